package app_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/openapi"
)

// TestOpenAPIDocumentServed: GET /v1/openapi.json answers the embedded
// document without a token, as cacheable JSON with an ETag, and 304 to a
// client that already holds it.
func TestOpenAPIDocumentServed(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/v1/openapi.json", "", nil)
	e.expect(r, 200, "")
	if r.Raw != string(openapi.JSON) {
		t.Fatalf("the served document differs from shared/openapi/openapi.json (%d bytes served)", len(r.Raw))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Fatalf("Cache-Control %q, want it cacheable", cc)
	}
	if r.str("openapi") != "3.1.0" {
		t.Fatalf("openapi = %q", r.str("openapi"))
	}
	req := e.request("GET", "/v1/openapi.json", "", nil)
	req.Header.Set("If-None-Match", r.Header.Get("ETag"))
	if again := e.do(req); again.Status != http.StatusNotModified || again.Raw != "" {
		t.Fatalf("with its ETag: %d %q, want 304 and no body", again.Status, again.Raw)
	}
}

// TestOpenAPIFlowFitsTheDocument runs a guest's whole path with the
// contract check on, whatever GB_OPENAPI_VALIDATE says: sign-in, a case, an
// invitation by email, its preview, a refused and an accepted acceptance,
// the guest's own view and the refusals it meets, the lists with their ETag.
func TestOpenAPIFlowFitsTheDocument(t *testing.T) {
	contractAlways.Store(t)
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("admin"), "password": "wrong"}), 401, "invalid_credentials")
	caseID := e.createCase(admin, "Pump 7 leaks")
	e.expect(e.call("POST", "/v1/orgs/acme/cases", admin, map[string]any{"title": 7}), 400, "invalid_input")
	gid := e.invite(admin, "gina", "", caseID, 14).str("id")
	e.deliver()
	tok := e.emailLink(e.email("gina"))
	e.expect(e.call("GET", "/v1/invitations/"+tok, "", nil), 200, "")
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{}), 400, "invalid_input")
	acc := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword}), 410, "link_used")
	guest := acc.str("token")
	e.expect(e.call("GET", "/v1/me", guest, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+caseID, guest, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/guests", guest, nil), 403, "")
	e.expect(e.call("GET", "/v1/me", "", nil), 401, "unauthenticated")
	list := e.call("GET", "/v1/orgs/acme/guests?status=pending", admin, nil)
	e.expect(list, 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/guests?status=gone", admin, nil), 400, "invalid_input")
	req := e.request("GET", "/v1/orgs/acme/guests?status=pending", admin, nil)
	req.Header.Set("If-None-Match", list.Header.Get("ETag"))
	if r := e.do(req); r.Status != http.StatusNotModified {
		t.Fatalf("list with its ETag: %d", r.Status)
	}
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{"active": false}), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+caseID, guest, nil), 403, "guest_inactive")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+gid+"/end", admin, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/audit", admin, nil), 200, "")
	e.expect(e.call("GET", "/v1/no-such-route", admin, nil), 404, "route_not_found")
}

// TestOpenAPIContractCheckCatchesMismatches: the flow tests' check is no
// rubber stamp. Against a stand-in server it reports an error code the
// route does not list, a status it does not list, a body that breaks the
// schema, an undocumented route and a request the document refuses that
// the server took; and it passes an exchange that fits.
func TestOpenAPIContractCheckCatchesMismatches(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		want                     string // in the report; "" for none
	}{
		{"fits", "POST", "/v1/auth/login", `{"email":"a@b.test","password":"x"}`, 401,
			`{"error":{"code":"invalid_credentials","message":"Email or password is wrong."}}`, ""},
		{"code not listed for the route", "POST", "/v1/auth/login", `{"email":"a@b.test","password":"x"}`, 401,
			`{"error":{"code":"token_revoked","message":"x"}}`, "does not fit"},
		{"status not listed", "GET", "/v1/privileges", "", 409,
			`{"error":{"code":"conflict","message":"x"}}`, "status 409 is not documented"},
		{"body breaks the schema", "POST", "/v1/orgs/acme/cases", `{"title":"T"}`, 201,
			`{"id":"c1","orgId":"acme","title":"T","createdBy":"u1"}`, "does not fit"},
		{"error without a message", "GET", "/v1/orgs/acme/cases/c1", "", 404,
			`{"error":{"code":"case_not_found"}}`, "does not fit"},
		{"route not documented", "GET", "/v1/orgs/acme/widgets", "", 200, `{}`, "not in the document"},
		{"request refused by the document, taken by the server", "POST", "/v1/orgs/acme/cases", `{"title":"T","colour":"red"}`, 201,
			`{"id":"c1","orgId":"acme","title":"T","createdBy":"u1","createdAt":"2026-12-01T10:00:00Z"}`, "refuses this request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.answer))
			})
			var reports []error
			h := contractChecked(stub, func(err error) { reports = append(reports, err) })
			req := httptest.NewRequest(c.method, c.path, bytes.NewReader([]byte(c.body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer x")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status || rec.Body.String() != c.answer {
				t.Fatalf("the check changed the answer: %d %s", rec.Code, rec.Body)
			}
			got := errors.Join(reports...)
			switch {
			case c.want == "" && got != nil:
				t.Fatalf("reported a fitting exchange: %v", got)
			case c.want != "" && (got == nil || !strings.Contains(got.Error(), c.want)):
				t.Fatalf("report %v, want one saying %q", got, c.want)
			}
		})
	}
}

// TestOpenAPIContractCheckRefusesKeywordsItCannotRead: the check would pass
// what it cannot read, so a document using such a keyword is refused; a
// property that merely has such a name is not.
func TestOpenAPIContractCheckRefusesKeywordsItCannotRead(t *testing.T) {
	for _, c := range []struct {
		doc     string
		refused bool
	}{
		{`{"components":{"schemas":{"A":{"type":"object","properties":{"if":{"type":"string"}}}}}}`, false},
		{`{"components":{"schemas":{"A":{"type":"string","const":"x"}}}}`, true},
		{`{"components":{"schemas":{"A":{"type":"object","properties":{"b":{"type":"array","prefixItems":[{"type":"string"}]}}}}}}`, true},
		{string(openapi.JSON), false},
	} {
		if err := onlyWalkerKeywords([]byte(c.doc)); (err != nil) != c.refused {
			t.Errorf("%.80s: refused=%v (%v), want %v", c.doc, err != nil, err, c.refused)
		}
	}
}
