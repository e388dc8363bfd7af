package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"

	"github.com/guestbridge/guestbridge/media-task/relay"
	"github.com/guestbridge/guestbridge/shared/config"
)

// Review of issue 7: flow tests of places where a claim of the issue or of
// docs/security.md did not hold.

// callFrom sends a request from the loopback address addr (127.0.0.x), so
// the API sees a different client address per "machine".
func (e *env) callFrom(addr, method, path, token string, body any) resp {
	e.t.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}).DialContext}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(e.request(method, path, token, body))
	must(e.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// An SMS (or email) link to an existing account asks for that account's
// password. Anyone who may invite guests can send themselves such a link for
// any email they know; the accept must then be no better a password oracle
// than the sign-in, whose failures are throttled per (email, address) with a
// per-email ceiling. Today the accept checks the password with no throttle
// at all (only the per-address link-redemption rate, 60 a minute).
func TestReviewAcceptIsNoUnthrottledPasswordOracle(t *testing.T) {
	e := newEnv(t, signInThrottle) // 3 failures per (email, address)
	e.tomorrowAt(10, 0)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Bait")
	victim, phone := e.email("otheradmin"), "+4915110000901"
	e.inviteBySMS(tech, "acme", victim, phone, cid)
	e.deliver()
	tok := e.smsLink(phone)
	accept := func(addr, pw string) resp {
		return e.callFrom(addr, "POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": pw})
	}
	// An address the sign-in refuses after 3 failures goes on guessing
	// through the accept.
	for i := 0; i < 3; i++ {
		e.expect(e.loginFrom(attacker, victim, "guess "+strconv.Itoa(i)), 401, "invalid_credentials")
	}
	e.expect(e.loginFrom(attacker, victim, "guess 3"), 429, "rate_limited")
	for i := 4; i < 10; i++ {
		if r := accept(attacker, "guess "+strconv.Itoa(i)); r.Status != 429 {
			t.Fatalf("guess %d of the victim's password through the accept of an SMS link: %d %s (the sign-in refuses this address)", i+1, r.Status, r.Raw)
		}
	}
	// Failures at the accept count like failures at the sign-in.
	for i := 0; i < 3; i++ {
		accept(attacker2, "guess "+strconv.Itoa(i))
	}
	e.expect(e.loginFrom(attacker2, victim, "guess 4"), 429, "rate_limited")
	// The owner, from their own address, is not locked out.
	e.expect(e.loginFrom(owner, victim, testPassword), 200, "")
}

// docs/security.md: invitation quotas and the SMS budget are raised "in one
// conditional transaction: a refused request counts nothing". An invitation
// refused because the company already has a guest with that email (409)
// still takes an invitation and an SMS from the company's budget, so
// refused duplicates exhaust it without a single text being sent.
func TestReviewRefusedDuplicateInvitationCostsNothing(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Quotas.SMSPerOrgDay = 2 })
	e.tomorrowAt(10, 0)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Dup")
	e.expect(e.tryInvite(admin, "dup", "+4915110000911", cid), 201, "")
	dup := e.tryInvite(admin, "dup", "+4915110000911", cid)
	if dup.Status != 409 {
		t.Fatalf("a second invitation of the same email: %d %s", dup.Status, dup.Raw)
	}
	// One text has been sent today, of a budget of two.
	if r := e.tryInvite(admin, "next", "+4915110000912", cid); r.Status != 201 {
		t.Fatalf("the refused duplicate was charged to the SMS budget: %d %s", r.Status, r.Raw)
	}
}

// The same for a guest technician invited into a live session: a request
// refused for its name is charged to the inviter's and the company's
// invitation quotas.
func TestReviewRefusedSessionInviteCostsNothing(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Quotas.InvitesPerOrgHour = 2 })
	e.tomorrowAt(10, 0)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Boiler")
	sid := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}}).str("session", "id")
	for i := 0; i < 2; i++ {
		r := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gt"), "name": "Gail\u202e"})
		e.expect(r, 400, "invalid_characters")
	}
	if r := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gt"), "name": "Gail"}); r.Status != 201 {
		t.Fatalf("two refused session invitations were charged to the quota: %d %s", r.Status, r.Raw)
	}
}

// Issue 7, item 9: "re-inviting a company guest re-checks the scope against
// the re-inviter like a new invitation". A technician lacks devices.configure
// and may not re-invite a guest who holds it; but switching such a guest's
// Active back on after an admin switched it off, or lengthening their
// period, gives the same access back and is not checked.
func TestReviewPatchRechecksTheCompanyGuestsScope(t *testing.T) {
	e := newEnv(t)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	g := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("cfg"), "name": "Cfg", "roleId": "admin", "active": false, "period": map[string]int{"days": 3}})
	e.expect(g, 201, "")
	id := g.str("id")
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/guests/"+id, tech, map[string]any{"active": true}), "privilege_not_held", "devices.configure")
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/guests/"+id, tech, map[string]any{"period": map[string]int{"days": 30}}), "privilege_not_held", "devices.configure")
	// Shortening it, or switching it off, takes nothing: anyone who manages guests may.
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+id, tech, map[string]any{"active": false, "period": map[string]int{"days": 1}}), 200, "")
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+id, admin, map[string]any{"active": true}), 200, "")
}

// Issue 7, item 12 and docs/security.md: nobody on the network may "point
// the relay at loopback/link-local" with a remote ICE candidate. The
// unspecified address (0.0.0.0, ::) is delivered to the relay's own host on
// Linux, exactly like 127.0.0.1; link-local multicast (224.0.0.0/24,
// ff02::/16) reaches every neighbour on the relay's link, which is what the
// link-local rule is there to prevent. A relay that is not on loopback
// accepts all of them.
func TestReviewRelayRefusesUnspecifiedAndMulticastCandidates(t *testing.T) {
	for _, a := range []string{"0.0.0.0", "::", "::ffff:0.0.0.0", "224.0.0.1", "239.255.255.250", "ff02::1", "ff01::1", "ff0e::1"} {
		if relay.CandidateAllowed(netip.MustParseAddr(a), false) {
			t.Errorf("remote candidate %s allowed to a relay not on loopback", a)
		}
	}
}
