package app_test

import (
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/config"
)

// TestTrustSecurityHeadersOnEveryAPIAnswer checks the browser-protection
// headers on answers of every sort: success, validation error, no session,
// unknown route and a public route; and that HSTS follows GB_PUBLIC_URL,
// not a header the client sends.
func TestTrustSecurityHeadersOnEveryAPIAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, publicURL string
		hsts            bool
	}{
		{"served over http", "http://guestbridge.test", false},
		{"served over https", "https://guestbridge.test", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *config.Config) {
				c.PublicURL = tc.publicURL
				c.RelayOrigins = []string{"wss://relay.guestbridge.test"}
			})
			admin := e.login(e.email("admin"))
			answers := map[string]resp{
				"ok":            e.call("GET", "/v1/me", admin, nil),
				"invalid":       e.call("POST", "/v1/orgs/acme/cases", admin, `{"title":""}`),
				"no session":    e.call("GET", "/v1/me", "", nil),
				"unknown route": e.call("GET", "/v1/nope", "", nil),
				"public":        e.call("GET", "/v1/privileges", "", nil),
			}
			forwarded := e.request("GET", "/v1/privileges", "", nil)
			forwarded.Header.Set("X-Forwarded-Proto", "https")
			answers["claims https"] = e.do(forwarded)
			for what, r := range answers {
				csp := r.Header.Get("Content-Security-Policy")
				for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'",
					"connect-src 'self' wss://relay.guestbridge.test"} {
					if !strings.Contains(csp, want) {
						t.Errorf("%s (%d): CSP %q lacks %q", what, r.Status, csp, want)
					}
				}
				if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("%s (%d): headers %v", what, r.Status, r.Header)
				}
				if got := r.Header.Get("Strict-Transport-Security") != ""; got != tc.hsts {
					t.Errorf("%s (%d): Strict-Transport-Security %q, want it sent: %v", what, r.Status,
						r.Header.Get("Strict-Transport-Security"), tc.hsts)
				}
			}
		})
	}
}
