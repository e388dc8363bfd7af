package main

import (
	"strings"
	"testing"
)

func TestParseConfigOps(t *testing.T) {
	tests := []struct {
		name    string
		ctx     map[string]any
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{
			name: "defaults",
			ctx:  map[string]any{},
			check: func(t *testing.T, c config) {
				if c.SenderConcurrency != defaultSenderConcurrency || c.SMSMonthlyLimitUSD != 1 || c.WebDomain != "" || c.AlarmEmail != "" {
					t.Errorf("defaults: %+v", c)
				}
			},
		},
		{
			name: "webDomain gives publicUrl",
			ctx:  map[string]any{ctxWebDomain: "app.example.com", ctxWebCertificateArn: testWebCertArn},
			check: func(t *testing.T, c config) {
				if c.PublicURL != "https://app.example.com" || c.PublicOrigin() != "https://app.example.com" {
					t.Errorf("PublicURL = %q", c.PublicURL)
				}
			},
		},
		{
			name: "no reserved concurrency",
			ctx:  map[string]any{ctxSenderConcurrency: "0", ctxSMSMonthlyLimitUSD: float64(200), ctxAlarmEmail: "ops@example.com"},
			check: func(t *testing.T, c config) {
				if c.SenderConcurrency != 0 || c.SMSMonthlyLimitUSD != 200 || c.AlarmEmail != "ops@example.com" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{name: "domain without certificate", ctx: map[string]any{ctxWebDomain: "app.example.com"}, wantErr: ctxWebCertificateArn},
		{name: "certificate outside us-east-1", ctx: map[string]any{ctxWebDomain: "app.example.com", ctxWebCertificateArn: testCertArn}, wantErr: "us-east-1"},
		{name: "publicUrl on another host", ctx: map[string]any{ctxWebDomain: "app.example.com", ctxWebCertificateArn: testWebCertArn, ctxPublicURL: "https://other.example.com"}, wantErr: ctxPublicURL},
		{name: "domain with scheme", ctx: map[string]any{ctxWebDomain: "https://app.example.com", ctxWebCertificateArn: testWebCertArn}, wantErr: ctxWebDomain},
		{name: "alarm email with a name", ctx: map[string]any{ctxAlarmEmail: "Ops <ops@example.com>"}, wantErr: ctxAlarmEmail},
		{name: "negative concurrency", ctx: map[string]any{ctxSenderConcurrency: "-1"}, wantErr: ctxSenderConcurrency},
		{name: "zero SMS limit", ctx: map[string]any{ctxSMSMonthlyLimitUSD: "0"}, wantErr: ctxSMSMonthlyLimitUSD},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(func(k string) any { return tc.ctx[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
