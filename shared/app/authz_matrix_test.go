package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAuthorizationMatrix walks every route of the API × every kind of caller
// × a resource of the caller's own company (in and out of a guest's scope) and
// of an unrelated company, and checks the status each gets. A route without a
// row here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	otherAdmin := e.login(e.email("otheradmin"))
	inScope := e.createCase(admin, "In scope")
	outScope := e.createCase(admin, "Out of scope")

	// Guests of acme: active, ended, expired.
	guestToken := func(who string, days int) (tok, id string) {
		g := e.invite(admin, who, "", inScope, days)
		e.deliver()
		acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
		e.expect(acc, 200, "")
		return acc.str("token"), g.str("id")
	}
	guest, _ := guestToken("active", 30)
	ended, endedID := guestToken("ended", 30)
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+endedID+"/end", admin, nil), 200, "")
	expired, expiredID := guestToken("expired", 30)
	until := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+expiredID, admin, map[string]any{"period": map[string]any{"until": until}}), 200, "")

	// Resources of the unrelated company.
	e.org = "other"
	foreignCase := e.createCase(otherAdmin, "Foreign case")
	foreignGuest := e.invite(otherAdmin, "foreignguest", "", foreignCase, 5).str("id")
	e.org = "acme"

	// Move past the expired guest's end; re-sign the members in.
	e.clock.Advance(time.Hour + time.Second)

	type caller struct {
		name  string
		token string
	}
	callers := []caller{
		{"anonymous", ""}, {"admin", admin}, {"technician", tech}, {"guest", guest},
		{"ended guest", ended}, {"expired guest", expired}, {"other company's admin", otherAdmin},
	}
	type target struct {
		name                 string
		org, caseID, guestID string
		own                  bool // the acme callers' own company
		foreignID            bool // an id of another company under acme's path
	}
	targets := []target{
		{name: "own, in scope", org: "acme", caseID: inScope, own: true},
		{name: "own, out of scope", org: "acme", caseID: outScope, own: true},
		{name: "own path, foreign ids", org: "acme", caseID: foreignCase, guestID: foreignGuest, own: true, foreignID: true},
		{name: "unrelated company", org: "other", caseID: foreignCase, guestID: foreignGuest},
	}

	seq := 0
	// freshGuest makes a guest of acme for a route that changes one.
	freshGuest := func(deactivate bool) string {
		seq++
		who := fmt.Sprintf("target%d", seq)
		id := e.invite(admin, who, "", inScope, 10).str("id")
		if deactivate {
			e.expect(e.call("POST", "/v1/orgs/acme/guests/"+id+"/end", admin, nil), 200, "")
		}
		return id
	}
	otherGuest := func(deactivate bool) string {
		seq++
		e.org = "other"
		id := e.invite(otherAdmin, fmt.Sprintf("otarget%d", seq), "", foreignCase, 10).str("id")
		if deactivate {
			e.expect(e.call("POST", "/v1/orgs/other/guests/"+id+"/end", otherAdmin, nil), 200, "")
		}
		e.org = "acme"
		return id
	}

	// Each row: the request for (caller, target) and the status a member of
	// the target company with full rights, a technician and a guest get.
	type req struct {
		method, path string
		body         any
	}
	type row struct {
		build func(c caller, tg target) req
		// want for acme callers on their own company.
		admin, tech, guest int
		// public routes answer the same to everyone.
		public int
	}
	inviteBody := func() map[string]any {
		seq++
		return map[string]any{"email": e.email(fmt.Sprintf("m%d", seq)), "name": "M", "newCase": map[string]string{"title": "T"},
			"period": map[string]int{"days": 2}}
	}
	guestFor := func(c caller, tg target, deactivate bool) string {
		if tg.foreignID {
			return tg.guestID
		}
		if tg.org == "other" {
			return otherGuest(deactivate)
		}
		return freshGuest(deactivate)
	}
	rows := map[string]row{
		"POST /v1/auth/login": {public: 400, build: func(c caller, tg target) req {
			return req{"POST", "/v1/auth/login", map[string]string{"email": "bad"}}
		}},
		"GET /v1/privileges": {public: 200, build: func(c caller, tg target) req { return req{"GET", "/v1/privileges", nil} }},
		"GET /v1/invitations/{token}": {public: 404, build: func(c caller, tg target) req {
			e.clock.Advance(time.Minute) // stay under the per-address redemption limit
			return req{"GET", "/v1/invitations/not-a-token", nil}
		}},
		"POST /v1/invitations/{token}/accept": {public: 404, build: func(c caller, tg target) req {
			e.clock.Advance(time.Minute) // stay under the per-address redemption limit
			return req{"POST", "/v1/invitations/not-a-token/accept", map[string]string{}}
		}},
		"POST /v1/invitations/{token}/decline": {public: 404, build: func(c caller, tg target) req {
			e.clock.Advance(time.Minute) // stay under the per-address redemption limit
			return req{"POST", "/v1/invitations/not-a-token/decline", nil}
		}},
		"POST /v1/auth/switch": {admin: 200, tech: 200, guest: 200, build: func(c caller, tg target) req {
			return req{"POST", "/v1/auth/switch", map[string]string{"orgId": tg.org}}
		}},
		"GET /v1/me": {admin: 200, tech: 200, guest: 200, build: func(c caller, tg target) req { return req{"GET", "/v1/me", nil} }},
		"POST /v1/me/password": {admin: 400, tech: 400, guest: 400, build: func(c caller, tg target) req {
			return req{"POST", "/v1/me/password", map[string]string{"password": "short"}}
		}},
		"POST /v1/orgs/{org}/cases": {admin: 201, tech: 201, guest: 403, build: func(c caller, tg target) req {
			return req{"POST", "/v1/orgs/" + tg.org + "/cases", map[string]string{"title": "x"}}
		}},
		"GET /v1/orgs/{org}/cases": {admin: 200, tech: 200, guest: 200, build: func(c caller, tg target) req {
			return req{"GET", "/v1/orgs/" + tg.org + "/cases", nil}
		}},
		"GET /v1/orgs/{org}/cases/{caseId}": {admin: 200, tech: 200, guest: 200, build: func(c caller, tg target) req {
			return req{"GET", "/v1/orgs/" + tg.org + "/cases/" + tg.caseID, nil}
		}},
		"POST /v1/orgs/{org}/guests": {admin: 201, tech: 201, guest: 403, build: func(c caller, tg target) req {
			return req{"POST", "/v1/orgs/" + tg.org + "/guests", inviteBody()}
		}},
		"GET /v1/orgs/{org}/guests": {admin: 200, tech: 200, guest: 403, build: func(c caller, tg target) req {
			return req{"GET", "/v1/orgs/" + tg.org + "/guests", nil}
		}},
		"GET /v1/orgs/{org}/guests/{guestId}": {admin: 200, tech: 200, guest: 403, build: func(c caller, tg target) req {
			return req{"GET", "/v1/orgs/" + tg.org + "/guests/" + guestFor(c, tg, false), nil}
		}},
		"PATCH /v1/orgs/{org}/guests/{guestId}": {admin: 200, tech: 200, guest: 403, build: func(c caller, tg target) req {
			return req{"PATCH", "/v1/orgs/" + tg.org + "/guests/" + guestFor(c, tg, false), map[string]any{"period": map[string]int{"days": 4}}}
		}},
		"POST /v1/orgs/{org}/guests/{guestId}/end": {admin: 200, tech: 200, guest: 403, build: func(c caller, tg target) req {
			return req{"POST", "/v1/orgs/" + tg.org + "/guests/" + guestFor(c, tg, false) + "/end", nil}
		}},
		"POST /v1/orgs/{org}/guests/{guestId}/reinvite": {admin: 200, tech: 200, guest: 403, build: func(c caller, tg target) req {
			return req{"POST", "/v1/orgs/" + tg.org + "/guests/" + guestFor(c, tg, true) + "/reinvite", map[string]any{"period": map[string]int{"days": 4}}}
		}},
		"GET /v1/orgs/{org}/audit": {admin: 200, tech: 403, guest: 403, build: func(c caller, tg target) req {
			return req{"GET", "/v1/orgs/" + tg.org + "/audit", nil}
		}},
	}

	for _, rt := range e.app.API.Routes() {
		k := rt.Method + " " + rt.Pattern
		r, ok := rows[k]
		if !ok {
			t.Errorf("route %s has no row in the authorization matrix", k)
			continue
		}
		if r.public != 0 != rt.Public {
			t.Errorf("route %s: public is %v in the API but not in the matrix", k, rt.Public)
		}
		for _, c := range callers {
			for _, tg := range targets {
				want := expected(r.public, r.admin, r.tech, r.guest, c.name, tg.own, tg.foreignID, tg.caseID != inScope, k)
				q := r.build(c, tg)
				got := e.call(q.method, q.path, c.token, q.body)
				if got.Status != want {
					t.Errorf("%s as %s on %s: got %d %s, want %d", k, c.name, tg.name, got.Status, got.code(), want)
				}
				if strings.Contains(got.Raw, "Foreign case") && c.name != "other company's admin" {
					t.Errorf("%s as %s on %s leaked the unrelated company's case", k, c.name, tg.name)
				}
			}
		}
	}
}

// expected is the status a caller gets. outOfScope says the target case is
// not one the guest was added to.
func expected(public, admin, tech, guest int, caller string, own, foreignID, outOfScope bool, route string) int {
	if public != 0 {
		return public
	}
	selfRoute := strings.HasPrefix(route, "GET /v1/me") || strings.HasPrefix(route, "POST /v1/me/") || strings.HasPrefix(route, "POST /v1/auth/switch")
	switch caller {
	case "anonymous":
		return 401
	case "ended guest", "expired guest":
		return 403
	case "other company's admin":
		// Acting in "other": its own company is the "unrelated company" target.
		if selfRoute {
			if strings.HasPrefix(route, "POST /v1/auth/switch") && own {
				return 404
			}
			return admin
		}
		if own {
			return 404
		}
		return admin
	}
	if selfRoute {
		if strings.HasPrefix(route, "POST /v1/auth/switch") && !own {
			return 404
		}
		return map[string]int{"admin": admin, "technician": tech, "guest": guest}[caller]
	}
	if !own {
		return 404
	}
	want := map[string]int{"admin": admin, "technician": tech, "guest": guest}[caller]
	if foreignID && (strings.Contains(route, "{caseId}") || strings.Contains(route, "{guestId}")) && want < 400 {
		return 404
	}
	if caller == "guest" && strings.Contains(route, "{caseId}") && outOfScope {
		return 404
	}
	return want
}
