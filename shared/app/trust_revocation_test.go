package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/app"
)

// memberIDOf returns the user id of the member with email, as the members list shows it.
func (e *env) memberIDOf(tok, org, email string) string {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+org+"/members", tok, nil)
	e.expect(r, 200, "")
	for _, m := range r.Body["members"].([]any) {
		if mm := m.(map[string]any); mm["email"] == email {
			return mm["userId"].(string)
		}
	}
	e.t.Fatalf("no member %s in %s: %s", email, org, r.Raw)
	return ""
}

// auditHas reports whether org's audit log holds action on target.
func (e *env) auditHas(adminTok, org, action, target string) bool {
	e.t.Helper()
	a := e.call("GET", "/v1/orgs/"+org+"/audit?limit=200", adminTok, nil)
	e.expect(a, 200, "")
	for _, x := range a.Body["entries"].([]any) {
		if m := x.(map[string]any); m["action"] == action && m["target"] == target {
			return true
		}
	}
	return false
}

func TestTrustPasswordChangeRevokesEveryOlderToken(t *testing.T) {
	e := newEnv(t)
	phone, laptop := e.login(e.email("tech")), e.login(e.email("tech"))
	admin := e.login(e.email("admin"))
	const next = "a completely new passphrase"
	e.expect(e.call("POST", "/v1/me/password", phone, map[string]string{"password": next, "currentPassword": testPassword}), 204, "")
	for name, tok := range map[string]string{"the token that changed it": phone, "another device's token": laptop} {
		if r := e.call("GET", "/v1/me", tok, nil); r.Status != 401 || r.code() != "token_revoked" {
			t.Fatalf("%s after the change: %d %s", name, r.Status, r.Raw)
		}
	}
	// Someone else's session is untouched; the new password works, the old does not.
	e.expect(e.call("GET", "/v1/me", admin, nil), 200, "")
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("tech"), "password": testPassword}), 401, "invalid_credentials")
	fresh := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("tech"), "password": next})
	e.expect(fresh, 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases", fresh.str("token"), nil), 200, "")
}

func TestTrustFirstPasswordRevokesTheLinkSession(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Boiler")
	phone := "+4915112340001"
	e.invite(admin, "sid", phone, cid, 30)
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.smsLink(phone)+"/accept", "", map[string]string{})
	e.expect(acc, 200, "")
	link := acc.str("token")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, link, nil), 200, "")
	// Whoever held the SMS link session (the phone, or someone who saw the
	// link) loses it once the owner sets a password.
	e.expect(e.call("POST", "/v1/me/password", link, map[string]string{"password": testPassword}), 204, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, link, nil), 401, "token_revoked")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, e.login(e.email("sid")), nil), 200, "")
}

func TestTrustSignOutEverywhere(t *testing.T) {
	e := newEnv(t)
	a, b := e.login(e.email("tech")), e.login(e.email("tech"))
	admin := e.login(e.email("admin"))
	e.expect(e.call("POST", "/v1/me/sign-out-everywhere", a, nil), 204, "")
	for _, tok := range []string{a, b} {
		e.expect(e.call("GET", "/v1/orgs/acme/cases", tok, nil), 401, "token_revoked")
		// Nor can a dead token mint a new one by switching.
		e.expect(e.call("POST", "/v1/auth/switch", tok, map[string]string{"orgId": "acme"}), 401, "token_revoked")
	}
	e.expect(e.call("GET", "/v1/me", admin, nil), 200, "")
	again := e.login(e.email("tech"))
	e.expect(e.call("GET", "/v1/orgs/acme/cases", again, nil), 200, "")
	if !e.auditHas(admin, "acme", "user.signed_out_everywhere", e.memberIDOf(admin, "acme", e.email("tech"))) {
		t.Fatal("sign-out everywhere is not in the audit log")
	}
}

// TestTrustSignOutEverywhereMatrix is the authorization matrix's row for the
// route that revokes its caller: every kind of caller with a token of its own.
func TestTrustSignOutEverywhereMatrix(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Matrix")
	acceptAs := func(who string, body map[string]any) (tok, id string) {
		var g resp
		if body == nil {
			g = e.invite(admin, who, "", cid, 30)
		} else {
			body["email"], body["name"] = e.email(who), who
			g = e.call("POST", "/v1/orgs/acme/guests", admin, body)
			e.expect(g, 201, "")
		}
		e.deliver()
		acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
		e.expect(acc, 200, "")
		return acc.str("token"), g.str("id")
	}
	caseGuest, _ := acceptAs("mcase", nil)
	companyGuest, _ := acceptAs("mcompany", map[string]any{"roleId": "technician"})
	ended, endedID := acceptAs("mended", nil)
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+endedID+"/end", admin, nil), 200, "")
	revoked := e.login(e.email("otheradmin"))
	e.expect(e.call("POST", "/v1/me/sign-out-everywhere", e.login(e.email("otheradmin")), nil), 204, "")

	for _, c := range []struct {
		name, token string
		want        int
		code        string
	}{
		{"anonymous", "", 401, "unauthenticated"},
		{"garbage token", "not-a-token", 401, ""},
		{"revoked token", revoked, 401, "token_revoked"},
		{"ended guest", ended, 403, "guest_ended"},
		{"technician", e.login(e.email("tech")), 204, ""},
		{"case guest", caseGuest, 204, ""},
		{"company guest", companyGuest, 204, ""},
		{"admin", admin, 204, ""},
	} {
		r := e.call("POST", "/v1/me/sign-out-everywhere", c.token, nil)
		if r.Status != c.want || (c.code != "" && r.code() != c.code) {
			t.Errorf("%s: got %d %s, want %d %s", c.name, r.Status, r.code(), c.want, c.code)
		}
		if c.want == 204 {
			if r := e.call("GET", "/v1/me", c.token, nil); r.code() != "token_revoked" {
				t.Errorf("%s: token still answers %d %s after signing out everywhere", c.name, r.Status, r.code())
			}
		}
	}
}

func TestTrustMemberRemoval(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	other := e.login(e.email("otheradmin"))
	tech := e.login(e.email("tech"))
	techID := e.memberIDOf(admin, "acme", e.email("tech"))

	// The technician is also a guest of the other company.
	e.expect(e.call("POST", "/v1/orgs/other/guests", other, map[string]any{"email": e.email("tech"), "name": "Tim", "roleId": "technician"}), 201, "")
	list := e.call("GET", "/v1/me/invitations", tech, nil)
	inv := list.Body["invitations"].([]any)[0].(map[string]any)["id"].(string)
	e.expect(e.call("POST", "/v1/me/invitations/"+inv+"/accept", tech, nil), 200, "")
	asGuest := e.call("POST", "/v1/auth/switch", tech, map[string]string{"orgId": "other"})
	e.expect(asGuest, 200, "")

	// The technician leads one live session and sits in another.
	own := e.startSession(tech, e.createCase(tech, "Theirs"), nil).str("session", "id")
	shared := e.startSession(admin, e.createCase(admin, "Admin's"), nil).str("session", "id")
	seat := e.call("POST", "/v1/sessions/"+shared+"/invites", admin, map[string]string{"kind": "internal", "userId": techID})
	e.expect(seat, 201, "")
	e.expect(e.call("POST", "/v1/sessions/"+shared+"/join", tech, nil), 200, "")

	e.expect(e.call("DELETE", "/v1/orgs/acme/members/"+techID, admin, nil), 204, "")
	// Both of the technician's tokens die at once, the guest one included.
	e.expect(e.call("GET", "/v1/orgs/acme/cases", tech, nil), 401, "token_revoked")
	e.expect(e.call("GET", "/v1/orgs/other/devices", asGuest.str("token"), nil), 401, "token_revoked")
	// The relay was told before the call returned.
	if rc := e.relay.callsTo("/participants/" + seat.str("id") + "/remove"); len(rc) != 1 || rc[0].Body["reason"] != "member_removed" || !rc[0].Token {
		t.Fatalf("relay remove calls: %+v", rc)
	}
	// The session the member led ends; the others in it are told just that.
	if ec := e.relay.callsTo("/sessions/" + own + "/end"); len(ec) != 1 || ec[0].Body["reason"] != "session_ended" {
		t.Fatalf("relay end calls for the session the member led: %+v", ec)
	}
	if s := e.call("GET", "/v1/sessions/"+own, admin, nil); s.str("state") != "ended" {
		t.Fatalf("the session the member led: %s", s.Raw)
	}
	d := e.call("GET", "/v1/sessions/"+shared, admin, nil)
	if p := participantView(d, seat.str("id")); p == nil || p["removed"] != true || p["removedReason"] != "member_removed" {
		t.Fatalf("seat after removal: %s", d.Raw)
	}
	if s := e.call("GET", "/v1/sessions/"+shared, admin, nil); s.str("state") != "live" {
		t.Fatalf("the admin's session ended with the member: %s", s.Raw)
	}
	if ms := e.call("GET", "/v1/orgs/acme/members", admin, nil); strings.Contains(ms.Raw, e.email("tech")) {
		t.Fatalf("still listed: %s", ms.Raw)
	}
	if !e.auditHas(admin, "acme", "session.ended", own) {
		t.Fatal("ending the removed member's session not audited")
	}
	if !e.auditHas(admin, "acme", "member.removed", techID) {
		t.Fatal("removal not audited")
	}

	// Signing in again lands in the other company, where the guest access works.
	back := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("tech"), "password": testPassword})
	e.expect(back, 200, "")
	if back.str("actingOrg", "orgId") != "other" {
		t.Fatalf("signed in to %s, want the other company: %s", back.str("actingOrg", "orgId"), back.Raw)
	}
	e.expect(e.call("GET", "/v1/orgs/other/devices", back.str("token"), nil), 200, "")
	e.expect(e.call("POST", "/v1/auth/switch", back.str("token"), map[string]string{"orgId": "acme"}), 404, "")
	e.expect(e.call("POST", "/v1/sessions/"+shared+"/join", back.str("token"), nil), 404, "")

	// Gone is gone: a second removal finds nobody.
	e.expect(e.call("DELETE", "/v1/orgs/acme/members/"+techID, admin, nil), 404, "member_not_found")
}

func TestTrustLastAdminStays(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	adminID := e.memberIDOf(admin, "acme", e.email("admin"))
	r := e.call("DELETE", "/v1/orgs/acme/members/"+adminID, admin, nil)
	e.expect(r, 409, "last_admin")
	e.expect(e.call("GET", "/v1/me", admin, nil), 200, "")

	// With a second admin, either may go, but two removing each other at
	// once leave one.
	techID := e.memberIDOf(admin, "acme", e.email("tech"))
	e.expect(e.call("PATCH", "/v1/orgs/acme/members/"+techID, admin, map[string]string{"role": "admin"}), 200, "")
	second := e.login(e.email("tech"))
	var wg sync.WaitGroup
	results := make([]resp, 2)
	for i, c := range []struct{ tok, target string }{{admin, techID}, {second, adminID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.call("DELETE", "/v1/orgs/acme/members/"+c.target, c.tok, nil)
		}()
	}
	wg.Wait()
	wins := 0
	for _, r := range results {
		switch {
		case r.Status == 204:
			wins++
		case r.Status == 409 && (r.code() == "last_admin" || r.code() == "member_changed"):
		case r.Status == 401 && r.code() == "token_revoked", r.Status == 403 && r.code() == "no_access":
			// The loser was removed before its own request got that far.
		default:
			t.Fatalf("unexpected answer: %d %s", r.Status, r.Raw)
		}
	}
	if wins != 1 {
		t.Fatalf("%d removals won, want 1: %+v", wins, results)
	}
	survivor := e.email("admin")
	if results[1].Status == 204 {
		survivor = e.email("tech")
	}
	ms := e.call("GET", "/v1/orgs/acme/members", e.login(survivor), nil)
	e.expect(ms, 200, "")
	if n := strings.Count(ms.Raw, `"role":"admin"`); n != 1 {
		t.Fatalf("%d admins left: %s", n, ms.Raw)
	}
}

func TestTrustActiveOffClosesTheSeatLikeEnding(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	inv := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("ivy"), "name": "Ivy", "roleId": "technician"})
	e.expect(inv, 201, "")
	sid := e.startSession(tech, e.createCase(tech, "Valve"), nil).str("session", "id")
	pid := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("ivy")}).str("id")

	start := time.Now()
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+inv.str("id"), admin, map[string]any{"active": false}), 200, "")
	rc := e.relay.callsTo("/participants/" + pid + "/remove")
	if len(rc) != 1 || rc[0].Body["reason"] != "account_inactive" || !rc[0].Token {
		t.Fatalf("relay remove calls: %+v", rc)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("the relay was told %s after the switch, want within a second", el)
	}
	d := e.call("GET", "/v1/sessions/"+sid, tech, nil)
	if p := participantView(d, pid); p["removed"] != true || p["removedReason"] != "account_inactive" {
		t.Fatalf("seat after switching off: %s", d.Raw)
	}
	// Other changes leave seats alone: switching back on tells the relay nothing.
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+inv.str("id"), admin, map[string]any{"active": true}), 200, "")
	if n := len(e.relay.callsTo("/remove")); n != 1 {
		t.Fatalf("%d remove calls, want 1", n)
	}
}

// TestTrustLiveSeatsCloseWithinASecond runs the two new revocations against
// the real relay with real peers: switching a guest of the company off, and
// removing a member, drop their connections within a second, with the reason.
func TestTrustLiveSeatsCloseWithinASecond(t *testing.T) {
	e := newEnv(t)
	syncClock := func() { e.clock.Set(time.Now()) }
	syncClock()
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	inv := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("ivy"), "name": "Ivy", "roleId": "technician"})
	e.expect(inv, 201, "")
	relay := startLiveRelay(e)
	e.registerRelay("task-1", e.relay.signalURL(), 1000)
	e.registerRelay("task-e2e", relay.signalURL, 0)

	st := e.startSession(admin, e.createCase(admin, "Live"), nil)
	sid := st.str("session", "id")
	prim := relay.joinPeer(t, "primary", st.str("primary", "relayUrl"), st.str("primary", "ticket"), false)
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", admin, map[string]string{"kind": "internal",
		"userId": e.memberIDOf(admin, "acme", e.email("tech"))}), 201, "")
	syncClock()
	tj := e.call("POST", "/v1/sessions/"+sid+"/join", tech, nil)
	e.expect(tj, 200, "")
	techPeer := relay.joinPeer(t, "technician", tj.str("relayUrl"), tj.str("ticket"), false)
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", admin, map[string]string{"kind": "guest", "email": e.email("ivy")}), 201, "")
	link := e.joinLink(e.email("ivy"))
	syncClock()
	gj := e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "web", "Mozilla/5.0 (X11; Linux x86_64)", nil)
	e.expect(gj, 200, "")
	guestPeer := relay.joinPeer(t, "guest", gj.str("relayUrl"), gj.str("ticket"), false)

	for _, step := range []struct {
		name   string
		do     func()
		peer   interface{ CloseReason() string }
		closed <-chan struct{}
		reason string
	}{
		{"guest switched off", func() {
			e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+inv.str("id"), admin, map[string]any{"active": false}), 200, "")
		}, guestPeer, guestPeer.Closed(), proto.ReasonAccountInactive},
		{"member removed", func() {
			e.expect(e.call("DELETE", "/v1/orgs/acme/members/"+e.memberIDOf(admin, "acme", e.email("tech")), admin, nil), 204, "")
		}, techPeer, techPeer.Closed(), proto.ReasonMemberRemoved},
	} {
		step.do()
		done := time.Now()
		select {
		case <-step.closed:
		case <-time.After(liveWait):
			t.Fatalf("%s: not disconnected", step.name)
		}
		if el := time.Since(done); el > time.Second {
			t.Errorf("%s: disconnected %s after the call returned, want within a second", step.name, el)
		}
		if r := step.peer.CloseReason(); r != step.reason {
			t.Fatalf("%s: close reason %q, want %q", step.name, r, step.reason)
		}
	}
	select {
	case <-prim.Closed():
		t.Fatalf("the primary was disconnected too (%s)", prim.CloseReason())
	default:
	}
}

// TestTrustDemoteAndRemoveRaceKeepsAnAdmin: an admin demoting another while
// being removed by them never leaves the company without an admin.
func TestTrustDemoteAndRemoveRaceKeepsAnAdmin(t *testing.T) {
	e := newEnv(t)
	survivor := e.email("admin")
	for i := range 5 {
		rival := e.email(fmt.Sprintf("rival%d", i))
		must(t, e.app.SeedOrg(t.Context(), "acme", "Acme Support", []app.DemoAccount{{Email: rival, Name: "Rita Rival", Role: "admin"}}, testPassword))
		s, r := e.login(survivor), e.login(rival)
		sID, rID := e.memberIDOf(s, "acme", survivor), e.memberIDOf(s, "acme", rival)
		var wg sync.WaitGroup
		var demote, remove resp
		wg.Add(2)
		go func() {
			defer wg.Done()
			demote = e.call("PATCH", "/v1/orgs/acme/members/"+rID, s, map[string]string{"role": "technician"})
		}()
		go func() { defer wg.Done(); remove = e.call("DELETE", "/v1/orgs/acme/members/"+sID, r, nil) }()
		wg.Wait()
		if demote.Status == 200 && remove.Status == 204 {
			t.Fatalf("round %d: both the demotion and the removal went through", i)
		}
		for _, x := range []resp{demote, remove} {
			if x.Status >= 500 {
				t.Fatalf("round %d: %d %s", i, x.Status, x.Raw)
			}
		}
		admins := 0
		for _, who := range []string{survivor, rival} {
			l := e.call("POST", "/v1/auth/login", "", map[string]string{"email": who, "password": testPassword})
			if l.Status != 200 {
				continue
			}
			if me := e.call("GET", "/v1/me", l.str("token"), nil); me.str("actingOrg", "role") == "admin" {
				admins++
				survivor = who
			}
		}
		if admins == 0 {
			t.Fatalf("round %d: no admin left (demote %d %s, remove %d %s)", i, demote.Status, demote.code(), remove.Status, remove.code())
		}
	}
}
