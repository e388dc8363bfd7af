package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		ctx     map[string]any
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{
			name: "no context takes defaults",
			ctx:  map[string]any{},
			check: func(t *testing.T, c config) {
				if c.AssetDir != defaultAssetDir || c.MailFrom != defaultMailFrom || c.PublicURL != defaultPublicURL || c.RelayMaxTasks != 1 {
					t.Errorf("defaults: %+v", c)
				}
				if !c.Defaulted[ctxMailFrom] || !c.Defaulted[ctxPublicURL] {
					t.Errorf("Defaulted = %v", c.Defaulted)
				}
				if c.MailDomain() != "guestbridge.test" || c.PublicOrigin() != "http://localhost:8080" {
					t.Errorf("derived: %q %q", c.MailDomain(), c.PublicOrigin())
				}
			},
		},
		{
			name: "cli strings",
			ctx: map[string]any{
				ctxMailFrom: "no-reply@mail.example.com", ctxPublicURL: "https://app.example.com:8443/x/",
				ctxRelayMaxTasks: "3", ctxRelayTicketPublicKey: testTicketKey,
			},
			check: func(t *testing.T, c config) {
				if c.RelayMaxTasks != 3 || c.MailDomain() != "mail.example.com" || c.PublicOrigin() != "https://app.example.com:8443" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "cdk.json number",
			ctx:  map[string]any{ctxRelayMaxTasks: float64(5)},
			check: func(t *testing.T, c config) {
				if c.RelayMaxTasks != 5 {
					t.Errorf("RelayMaxTasks = %d, want 5", c.RelayMaxTasks)
				}
			},
		},
		{name: "display name in mailFrom", ctx: map[string]any{ctxMailFrom: "Guestbridge <a@b.c>"}, wantErr: ctxMailFrom},
		{name: "relative public url", ctx: map[string]any{ctxPublicURL: "app.example.com"}, wantErr: ctxPublicURL},
		{name: "short ticket key", ctx: map[string]any{ctxRelayTicketPublicKey: "c2hvcnQ="}, wantErr: ctxRelayTicketPublicKey},
		{name: "zero tasks", ctx: map[string]any{ctxRelayMaxTasks: "0"}, wantErr: ctxRelayMaxTasks},
		{name: "tasks not a number", ctx: map[string]any{ctxRelayMaxTasks: "many"}, wantErr: ctxRelayMaxTasks},
		{name: "certificate not an arn", ctx: map[string]any{ctxRelayCertificateArn: "my-cert"}, wantErr: ctxRelayCertificateArn},
		{name: "domain with scheme", ctx: map[string]any{ctxRelayDomain: "https://relay.example.com"}, wantErr: ctxRelayDomain},
		{name: "no SMS budget", ctx: map[string]any{ctxSMSPerOrgPerDay: "0"}, wantErr: ctxSMSPerOrgPerDay},
		{name: "unknown SMS country", ctx: map[string]any{ctxSMSCountries: "DE,XX"}, wantErr: ctxSMSCountries},
		{
			name: "SMS defaults",
			ctx:  map[string]any{},
			check: func(t *testing.T, c config) {
				if c.SMSPerOrgPerDay != 100 || !strings.Contains(c.SMSCountries, "DE") || !strings.Contains(c.SMSCountries, "US") {
					t.Errorf("SMS defaults: %d %q", c.SMSPerOrgPerDay, c.SMSCountries)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(func(k string) any { return tt.ctx[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLambdaAssetDirs(t *testing.T) {
	dir := t.TempDir()
	_, err := lambdaAssetDirs(dir)
	if err == nil || !strings.Contains(err.Error(), "run make build") {
		t.Fatalf("err = %v, want the make build hint", err)
	}
	for _, fn := range lambdaFunctions {
		if !strings.Contains(err.Error(), filepath.Join(dir, fn, "bootstrap")) {
			t.Errorf("error does not name %s: %v", fn, err)
		}
	}
	for _, fn := range lambdaFunctions {
		if err := writeFile(filepath.Join(dir, fn, "bootstrap"), "x"); err != nil {
			t.Fatal(err)
		}
	}
	dirs, err := lambdaAssetDirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dirs["api"] != filepath.Join(dir, "api") {
		t.Errorf("api dir = %q", dirs["api"])
	}
}

func TestRelayImageContext(t *testing.T) {
	dir := t.TempDir()
	if _, err := relayImageContext(dir, "media-task/Dockerfile"); err == nil {
		t.Fatal("want an error for a missing Dockerfile")
	}
	if err := os.MkdirAll(filepath.Join(dir, "media-task"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "media-task", "Dockerfile"), "FROM scratch\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := relayImageContext(dir, "media-task/Dockerfile"); err != nil {
		t.Fatal(err)
	}
}
