package config

import (
	"strings"
	"testing"
)

func TestQuotasFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Quotas.SMSPerOrgDay != 100 || c.Quotas.InvitesPerOrgDay != 1000 || c.LoginFailuresPerAddress != 5 {
				t.Errorf("defaults: %+v", c.Quotas)
			}
			if !c.SMSCountries["DE"] || !c.SMSCountries["US"] || c.SMSCountries["JM"] {
				t.Errorf("default countries: %v", c.SMSCountries)
			}
		}},
		{name: "set", env: map[string]string{"GB_SMS_PER_ORG_PER_DAY": "7", "GB_SESSIONS_PER_USER_PER_HOUR": "3",
			"GB_SMS_COUNTRIES": "de,ch", "GB_LOGIN_FAILURES_PER_EMAIL": "40"}, check: func(t *testing.T, c Config) {
			if c.Quotas.SMSPerOrgDay != 7 || c.Quotas.SessionsPerUserHour != 3 || c.LoginFailuresPerEmail != 40 {
				t.Errorf("not read: %+v", c.Quotas)
			}
			if c.SMSCountries.String() != "CH,DE" {
				t.Errorf("countries: %v", c.SMSCountries)
			}
		}},
		{name: "zero budget", env: map[string]string{"GB_SMS_PER_ORG_PER_DAY": "0"}, wantErr: "GB_SMS_PER_ORG_PER_DAY must be at least 1"},
		{name: "not a number", env: map[string]string{"GB_INVITES_PER_ORG_PER_DAY": "lots"}, wantErr: "GB_INVITES_PER_ORG_PER_DAY: not a number"},
		{name: "unknown country", env: map[string]string{"GB_SMS_COUNTRIES": "DE,ZZ"}, wantErr: "GB_SMS_COUNTRIES"},
		{name: "slow after the ceiling", env: map[string]string{"GB_LOGIN_SLOW_AFTER": "30"}, wantErr: "GB_LOGIN_SLOW_AFTER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GB_SECRET", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := FromEnv()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error about %s", err, tc.wantErr)
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
