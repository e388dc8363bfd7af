package app_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestTrustNamesRefuseControlAndBidiCharacters sends a name or title with a
// text-direction override, an isolate, a newline or a C1 control to every
// route that stores one, and a plain one to show the route itself works.
func TestTrustNamesRefuseControlAndBidiCharacters(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(admin, "Text rules")
	group := e.call("POST", "/v1/orgs/acme/groups", admin, map[string]string{"name": "Pumps"})
	e.expect(group, 201, "")
	sid := e.startSession(tech, e.createCase(tech, "Live"), nil).str("session", "id")
	e.invite(admin, "gina", "", cid, 3)
	e.deliver()
	link := e.emailLink(e.email("gina"))

	n := 0
	routes := []struct {
		name, method, path, token, field string
		body                             func(s string) any
	}{
		{"case title", "POST", "/v1/orgs/acme/cases", admin, "title",
			func(s string) any { return map[string]string{"title": s} }},
		{"guest name", "POST", "/v1/orgs/acme/guests", admin, "name",
			func(s string) any {
				n++
				return map[string]any{"email": e.email("g" + strings.Repeat("x", n)), "name": s, "caseId": cid, "period": map[string]int{"days": 3}}
			}},
		{"new case title", "POST", "/v1/orgs/acme/guests", admin, "newCase.title",
			func(s string) any {
				n++
				return map[string]any{"email": e.email("n" + strings.Repeat("x", n)), "name": "Nina", "newCase": map[string]string{"title": s}, "period": map[string]int{"days": 3}}
			}},
		{"role name", "POST", "/v1/orgs/acme/roles", admin, "name",
			func(s string) any { return map[string]any{"name": s, "privileges": []string{}} }},
		{"group name", "POST", "/v1/orgs/acme/groups", admin, "name",
			func(s string) any { return map[string]string{"name": s} }},
		{"device name", "POST", "/v1/orgs/acme/devices", admin, "name",
			func(s string) any { return map[string]string{"name": s, "groupId": group.str("id")} }},
		{"customer name", "POST", "/v1/orgs/acme/cases/" + cid + "/sessions", tech, "customer.name",
			func(s string) any { return map[string]any{"customer": map[string]string{"name": s}} }},
		{"session guest name", "POST", "/v1/sessions/" + sid + "/invites", tech, "name",
			func(s string) any { return map[string]string{"kind": "guest", "email": e.email("gt"), "name": s} }},
		{"account name on accept", "POST", "/v1/invitations/" + link + "/accept", "", "name",
			func(s string) any { return map[string]string{"password": testPassword, "name": s} }},
	}
	// Controls go inside the text: TrimSpace takes leading and trailing ones
	// (tab, newline, U+0085) away before the check, which is fine.
	bad := []struct{ what, s string }{
		{"right-to-left override", "Ann\u202eeivaD"},
		{"left-to-right embedding", "\u202aAnn"},
		{"first strong isolate", "Ann \u2068Admin\u2069"},
		{"right-to-left mark", "Ann\u200f"},
		{"newline", "Ann\nAdmin"},
		{"escape", "\x1b[2JAnn"},
		{"C1 control", "An\u0085n"},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			for _, b := range bad {
				what := b.what
				r := e.call(rt.method, rt.path, rt.token, rt.body(b.s))
				if r.Status != 400 || r.code() != "invalid_characters" || r.field() != rt.field {
					t.Errorf("%s: got %d %s field %q, want 400 invalid_characters on %q: %s", what, r.Status, r.code(), r.field(), rt.field, r.Raw)
				}
			}
			// The same route takes a name in any script, with accents and emoji.
			r := e.call(rt.method, rt.path, rt.token, rt.body("Zoë Ålund-山田 👩‍🔧"))
			if r.Status >= 300 {
				t.Errorf("plain name refused: %d %s", r.Status, r.Raw)
			}
		})
	}
}

// goType matches a Go type as it would show in a message: "[]", "map[" or a
// package-qualified name such as toolmatrix.Tool.
var goType = regexp.MustCompile(`\[\]|map\[|\b[a-z]+\.[A-Z]\w*`)

// TestTrustTypeErrorsNameTheFieldInJSONWords sends bodies of the wrong JSON
// type through the API: the answer names the field and what it must hold,
// and shows no Go type.
func TestTrustTypeErrorsNameTheFieldInJSONWords(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Types")
	st := e.startSession(tech, cid, nil)
	sid, pid := st.str("session", "id"), st.str("primary", "participantId")
	tests := []struct {
		name, method, path, token string
		body                      string
		field, message            string
	}{
		{"tools as text", "PUT", "/v1/sessions/" + sid + "/participants/" + pid + "/tools", tech,
			`{"tools":"camera"}`, "tools", "tools: must be a list of tool names"},
		{"a tool as number", "PUT", "/v1/sessions/" + sid + "/participants/" + pid + "/tools", tech,
			`{"tools":[7]}`, "tools", "tools: must be a list of tool names"},
		{"channels as text", "POST", "/v1/orgs/acme/guests", admin,
			`{"email":"x@example.test","name":"X","caseId":"` + cid + `","channels":"email"}`,
			"channels", `channels: must be a list of channel names ("email" or "sms")`},
		{"days as text", "POST", "/v1/orgs/acme/guests", admin,
			`{"email":"x@example.test","name":"X","caseId":"` + cid + `","period":{"days":"three"}}`,
			"period.days", "period.days: must be a whole number"},
		{"privileges as text", "POST", "/v1/orgs/acme/roles", admin,
			`{"name":"R","privileges":"cases.read"}`, "privileges", "privileges: must be a list of privilege names"},
		{"title as number", "POST", "/v1/orgs/acme/cases", admin,
			`{"title":42}`, "title", "title: must be text"},
		{"body as list", "POST", "/v1/orgs/acme/cases", admin,
			`[{"title":"x"}]`, "body", "the request body must be a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.method, tc.path, tc.token, tc.body)
			e.expect(r, 400, "invalid_input")
			msg, _ := r.Body["error"].(map[string]any)["message"].(string)
			if r.field() != tc.field || msg != tc.message {
				t.Errorf("got field %q message %q, want %q %q", r.field(), msg, tc.field, tc.message)
			}
			if m := goType.FindString(r.Raw); m != "" {
				t.Errorf("answer shows a Go type (%q): %s", m, r.Raw)
			}
		})
	}
}
