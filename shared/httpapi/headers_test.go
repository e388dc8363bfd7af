package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name        string
		policy      BrowserPolicy
		forwarded   string
		wantConnect string
		wantHSTS    string
	}{
		{"local http, one relay", BrowserPolicy{RelayOrigins: []string{"ws://localhost:7880"}},
			"", "connect-src 'self' ws://localhost:7880;", ""},
		{"http even when a client claims https", BrowserPolicy{},
			"https", "connect-src 'self';", ""},
		{"https with two relays", BrowserPolicy{RelayOrigins: []string{"wss://a.example.com", "wss://*.relay.example.com"}, HTTPS: true},
			"", "connect-src 'self' wss://a.example.com wss://*.relay.example.com;", "max-age=31536000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := SecurityHeaders(tc.policy, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "nope", http.StatusTeapot)
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tc.forwarded != "" {
				req.Header.Set("X-Forwarded-Proto", tc.forwarded)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			csp := rec.Header().Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self';", "script-src 'self' 'wasm-unsafe-eval';", "worker-src 'self';", "style-src 'self';",
				"img-src 'self' blob: data:;", "media-src 'self' blob:;", "frame-ancestors 'none'", tc.wantConnect} {
				if !strings.Contains(csp+";", want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			// WebAssembly compilation is the one exception (the scanning
			// tools); eval and inline code stay forbidden.
			if strings.Contains(strings.ReplaceAll(csp, "'wasm-unsafe-eval'", ""), "unsafe") {
				t.Errorf("CSP %q allows unsafe sources", csp)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := rec.Header().Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", got)
			}
			if got := rec.Header().Get("Strict-Transport-Security"); got != tc.wantHSTS {
				t.Errorf("Strict-Transport-Security = %q, want %q", got, tc.wantHSTS)
			}
		})
	}
}
