package app_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

func TestMalformedInputsWriteNothing(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Inputs")
	past := e.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	far := e.clock.Now().Add(400 * 24 * time.Hour).Format(time.RFC3339)
	ok := func(over map[string]any) map[string]any {
		b := map[string]any{"email": e.email("valid"), "name": "Val", "caseId": cid, "period": map[string]any{"days": 3}}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"not json", `{"email":`, "body"},
		{"two objects", `{} {}`, "body"},
		{"unknown field", ok(map[string]any{"colour": "red"}), "colour"},
		{"bad email", ok(map[string]any{"email": "nope"}), "email"},
		{"missing name", ok(map[string]any{"name": nil}), "name"},
		{"phone not E.164", ok(map[string]any{"phone": "0151 1234", "channels": []string{"sms"}}), "phone"},
		{"sms without phone", ok(map[string]any{"channels": []string{"sms"}}), "phone"},
		{"unknown channel", ok(map[string]any{"channels": []string{"fax"}}), "channels"},
		{"no case", ok(map[string]any{"caseId": nil}), "caseId"},
		{"both cases", ok(map[string]any{"newCase": map[string]string{"title": "x"}}), "caseId"},
		{"unknown case", ok(map[string]any{"caseId": "c_nope"}), "caseId"},
		{"empty new case title", ok(map[string]any{"caseId": nil, "newCase": map[string]string{"title": " "}}), "newCase.title"},
		{"no period", ok(map[string]any{"period": nil}), "period"},
		{"zero days", ok(map[string]any{"period": map[string]any{"days": 0}}), "period.days"},
		{"date in the past", ok(map[string]any{"period": map[string]any{"until": past}}), "period.until"},
		{"beyond the maximum", ok(map[string]any{"period": map[string]any{"until": far}}), "period.until"},
		{"wrong type", ok(map[string]any{"period": map[string]any{"days": "three"}}), "period.days"},
		{"oversized", `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, "body"},
	}
	// Rate-limit counters are the only items a refused request may add.
	items := func() int {
		n := 0
		for _, it := range e.scan() {
			if !strings.HasPrefix(attrS(it, "PK"), "RATE#") {
				n++
			}
		}
		return n
	}
	before := items()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("POST", "/v1/orgs/acme/guests", admin, tc.body)
			if r.Status != 400 || r.field() != tc.field {
				t.Fatalf("got %d field %q, want 400 field %q: %s", r.Status, r.field(), tc.field, r.Raw)
			}
		})
	}
	if after := items(); after != before {
		t.Fatalf("bad requests wrote %d items", after-before)
	}
}

func TestLoginDoesNotRevealAccountsAndIsRateLimited(t *testing.T) {
	e := newEnv(t)
	unknown := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("nobody"), "password": "whatever it is"})
	wrong := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("admin"), "password": "whatever it is"})
	if unknown.Status != 401 || wrong.Status != 401 || unknown.Raw != wrong.Raw {
		t.Fatalf("unknown email and wrong password differ:\n%s\n%s", unknown.Raw, wrong.Raw)
	}
	var last resp
	for i := 0; i < 12; i++ {
		last = e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("tech"), "password": "guessing " + strconv.Itoa(i)})
	}
	e.expect(last, 429, "rate_limited")
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestUnknownAndExpiredLinks(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Links")
	e.expect(e.call("GET", "/v1/invitations/garbage", "", nil), 404, "link_not_found")
	e.expect(e.call("GET", "/v1/invitations/"+strings.Repeat("A", 43), "", nil), 404, "link_not_found")
	e.invite(admin, "lou", "+4915312345678", cid, 30)
	e.deliver()
	smsTok := e.smsLink("+4915312345678")
	e.clock.Advance(24*time.Hour + time.Second)
	e.expect(e.call("GET", "/v1/invitations/"+smsTok, "", nil), 410, "link_expired")
	e.expect(e.call("POST", "/v1/invitations/"+smsTok+"/accept", "", map[string]string{}), 410, "link_expired")
	// The email link of the same invitation lasts a week.
	e.expect(e.call("GET", "/v1/invitations/"+e.emailLink(e.email("lou")), "", nil), 200, "")
}

func TestDuplicateGuestIsAConflict(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Dup")
	e.invite(admin, "dupe", "", cid, 3)
	r := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("dupe"), "name": "Again", "caseId": cid, "period": map[string]int{"days": 3}})
	e.expect(r, 409, "guest_exists")
}

func TestLinkRedemptionIsRateLimited(t *testing.T) {
	e := newEnv(t)
	var last resp
	for i := 0; i < 61; i++ {
		last = e.call("GET", "/v1/invitations/guess"+strconv.Itoa(i), "", nil)
	}
	e.expect(last, 429, "rate_limited")
	e.clock.Advance(time.Minute)
	e.expect(e.call("GET", "/v1/invitations/guess", "", nil), 404, "link_not_found")
}
