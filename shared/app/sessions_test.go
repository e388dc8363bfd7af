package app_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/secret"
)

var joinLinkRe = regexp.MustCompile(`http://guestbridge\.test/join#([A-Za-z0-9_-]+)`)

// joinLink reads the newest session link sent to addr from the SES emulator.
func (e *env) joinLink(addr string) string {
	e.t.Helper()
	e.deliver()
	for _, s := range e.mailBodiesTo(addr) {
		if m := joinLinkRe.FindStringSubmatch(s); m != nil {
			return m[1]
		}
	}
	e.t.Fatalf("no session link mailed to %s", addr)
	return ""
}

func (e *env) mailBodiesTo(addr string) []string {
	e.t.Helper()
	var out []string
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		if len(mails[i].Destination.To) > 0 && mails[i].Destination.To[0] == addr {
			out = append(out, mails[i].Body.Text)
		}
	}
	return out
}

// callAs sends a request with a platform header and User-Agent.
func (e *env) callAs(method, path, token, platform, ua string, body any) resp {
	e.t.Helper()
	req := e.request(method, path, token, body)
	if platform != "" {
		req.Header.Set("X-Client-Platform", platform)
	}
	if ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	return e.do(req)
}

// claimsOf checks a join ticket with the API's public key and returns its claims.
func claimsOf(t *testing.T, pub ed25519.PublicKey, ticket string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(ticket, c, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience("guestbridge-relay"), jwt.WithIssuer("guestbridge-api"))
	if err != nil {
		t.Fatalf("ticket does not verify: %v", err)
	}
	return c
}

const iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

func (e *env) startSession(tok, caseID string, body any) resp {
	e.t.Helper()
	r := e.call("POST", "/v1/orgs/acme/cases/"+caseID+"/sessions", tok, body)
	e.expect(r, 201, "")
	return r
}

func TestSessionGuestTechnicianLinkIsSingleUseAndWebOnly(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Boiler fault")
	pub := e.app.Minter.PublicKey()
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl", "email": e.email("carl")}})
	sid := st.str("session", "id")
	pc := claimsOf(t, pub, st.str("primary", "ticket"))
	if pc["kind"] != "primary" || pc["sid"] != sid || pc["sub"] != st.str("primary", "participantId") {
		t.Fatalf("primary ticket claims: %v", pc)
	}
	if exp, iat := pc["exp"].(float64), pc["iat"].(float64); exp-iat > 60 {
		t.Fatalf("ticket lives %v s, want at most 60", exp-iat)
	}
	if st.str("primary", "relayUrl") != e.relay.signalURL() {
		t.Fatalf("relay URL: %s", st.Raw)
	}
	// The customer got the camera-side link by email.
	custLink := e.joinLink(e.email("carl"))
	cj := e.callAs("POST", "/v1/session-invites/"+custLink+"/join", "", "ios", iPhoneUA, nil)
	e.expect(cj, 200, "")
	if claimsOf(t, pub, cj.str("ticket"))["kind"] != "customer" {
		t.Fatalf("customer ticket: %s", cj.Raw)
	}

	// Only the primary invites, and not from the app.
	admin := e.login(e.email("admin"))
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", admin, map[string]string{"kind": "guest", "email": e.email("gt")}), 403, "not_primary")
	e.expect(e.callAs("POST", "/v1/sessions/"+sid+"/invites", tech, "android", "", map[string]string{"kind": "guest", "email": e.email("gt")}), 403, "mobile_not_allowed")
	e.expect(e.callAs("POST", "/v1/sessions/"+sid+"/invites", tech, "web", iPhoneUA, map[string]string{"kind": "guest", "email": e.email("gt")}), 403, "mobile_not_allowed")
	inv := e.callAs("POST", "/v1/sessions/"+sid+"/invites", tech, "web", "Mozilla/5.0 (X11; Linux x86_64)", map[string]string{"kind": "guest", "email": e.email("gt"), "name": "Gus"})
	e.expect(inv, 201, "")
	link := e.joinLink(e.email("gt"))

	// A guest on a phone is refused, and the link is not used up by it.
	m := e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "ios", iPhoneUA, nil)
	e.expect(m, 403, "mobile_not_allowed")
	if !strings.Contains(m.Raw, "Guest users are not allowed to join the session through the app. Please join through a web browser.") {
		t.Fatalf("mobile refusal: %s", m.Raw)
	}
	j := e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "web", "Mozilla/5.0 (Windows NT 10.0)", nil)
	e.expect(j, 200, "")
	gc := claimsOf(t, pub, j.str("ticket"))
	if gc["kind"] != "guest" || gc["sub"] != inv.str("id") {
		t.Fatalf("guest ticket: %v", gc)
	}
	tools := j.Raw
	for _, forbidden := range []string{`"notes"`, `"snapshot"`, `"record"`, `"invite"`} {
		if strings.Contains(tools, forbidden) {
			t.Errorf("guest tools include %s: %s", forbidden, tools)
		}
	}
	// The same link again, from another browser: 410 "Your link has expired."
	again := e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "web", "Mozilla/5.0 (Macintosh)", nil)
	e.expect(again, 410, "link_expired")
	if !strings.Contains(again.Raw, "Your link has expired.") {
		t.Fatalf("410 message: %s", again.Raw)
	}
}

func TestSessionLinkRaceHasOneWinner(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Race")
	sid := e.startSession(tech, cid, nil).str("session", "id")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("tabs")}), 201, "")
	link := e.joinLink(e.email("tabs"))
	const tabs = 10
	codes := make([]int, tabs)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = e.call("POST", "/v1/session-invites/"+link+"/join", "", nil).Status
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == 200 {
			ok++
		} else if c != 410 {
			t.Fatalf("unexpected status %d in %v", c, codes)
		}
	}
	if ok != 1 {
		t.Fatalf("%d tabs joined with one link, want 1: %v", ok, codes)
	}
}

func TestSessionRemoveToolsEndAndDetails(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	admin := e.login(e.email("admin"))
	cid := e.createCase(tech, "Pump")
	sid := e.startSession(tech, cid, nil).str("session", "id")

	// An internal technician joins as secondary with their own sign-in.
	ms := e.call("GET", "/v1/orgs/acme/members", admin, nil)
	var adminID string
	for _, m := range ms.Body["members"].([]any) {
		if mm := m.(map[string]any); mm["email"] == e.email("admin") {
			adminID = mm["userId"].(string)
		}
	}
	sec := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": adminID})
	e.expect(sec, 201, "")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": adminID}), 409, "already_participant")
	sj := e.call("POST", "/v1/sessions/"+sid+"/join", admin, nil)
	e.expect(sj, 200, "")
	if claimsOf(t, e.app.Minter.PublicKey(), sj.str("ticket"))["kind"] != "secondary" {
		t.Fatalf("secondary ticket: %s", sj.Raw)
	}

	// The primary switches tools, never beyond the kind: notes stay off for a guest.
	g := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gina")})
	gid := g.str("id")
	tl := e.call("PUT", "/v1/sessions/"+sid+"/participants/"+gid+"/tools", tech, map[string]any{"tools": []string{"chat", "notes", "zoom"}})
	e.expect(tl, 200, "")
	got := tl.Body["tools"].([]any)
	if len(got) != 2 || strings.Contains(tl.Raw, `"notes"`) {
		t.Fatalf("restricted tools: %s", tl.Raw)
	}
	calls := e.relay.callsTo("/participants/" + gid + "/tools")
	if len(calls) != 1 || !calls[0].Token {
		t.Fatalf("relay tools calls: %+v", calls)
	}
	e.expect(e.call("PUT", "/v1/sessions/"+sid+"/participants/"+gid+"/tools", admin, map[string]any{"tools": []string{}}), 403, "not_primary")

	// Removal is a ban: the relay is told, and the guest's link no longer works.
	link := e.joinLink(e.email("gina"))
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/participants/"+gid+"/remove", tech, nil), 200, "")
	rc := e.relay.callsTo("/participants/" + gid + "/remove")
	if len(rc) != 1 || rc[0].Body["reason"] != "removed" {
		t.Fatalf("relay remove calls: %+v", rc)
	}
	e.expect(e.call("POST", "/v1/session-invites/"+link+"/join", "", nil), 410, "link_expired")

	// The relay reports joins and leaves, signed; unsigned reports are refused.
	ev, _ := json.Marshal(map[string]any{"type": "joined", "sessionId": sid, "participantId": sec.str("id"), "at": e.clock.Now(),
		"id": strings.Repeat("e1", 16), "sentAt": e.clock.Now()})
	keys, err := secret.Derive(e.app.Config.Secret)
	must(t, err)
	mac := hmac.New(sha256.New, app.RelayEventsKey(e.app.Config, keys))
	mac.Write(ev)
	req := e.request("POST", "/v1/internal/relay/events", "", string(ev))
	req.Header.Set("X-Relay-Signature", hex.EncodeToString(mac.Sum(nil)))
	if r := e.do(req); r.Status != http.StatusNoContent {
		t.Fatalf("signed event: %d %s", r.Status, r.Raw)
	}
	bad := e.request("POST", "/v1/internal/relay/events", "", string(ev))
	bad.Header.Set("X-Relay-Signature", strings.Repeat("0", 64))
	e.expect(e.do(bad), 401, "bad_signature")

	d := e.call("GET", "/v1/sessions/"+sid, admin, nil)
	e.expect(d, 200, "")
	if !strings.Contains(d.Raw, `"kind":"secondary"`) || !strings.Contains(d.Raw, `"joinedAt"`) || !strings.Contains(d.Raw, `"removedReason":"removed"`) || !strings.Contains(d.Raw, `"matrix"`) {
		t.Fatalf("details: %s", d.Raw)
	}

	// Ending the session tells the relay; nothing joins afterwards.
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/end", admin, nil), 403, "not_primary")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/end", tech, nil), 200, "")
	if ec := e.relay.callsTo("/sessions/" + sid + "/end"); len(ec) != 1 || ec[0].Body["reason"] != "session_ended" {
		t.Fatalf("relay end calls: %+v", ec)
	}
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/join", admin, nil), 410, "session_ended")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/end", tech, nil), 410, "session_ended")
	audit := e.call("GET", "/v1/orgs/acme/audit?limit=200", admin, nil)
	for _, a := range []string{"session.started", "session.invited", "session.tools_changed", "session.participant_removed", "session.participant_joined", "session.ended"} {
		if !strings.Contains(audit.Raw, `"action":"`+a+`"`) {
			t.Errorf("audit lacks %s", a)
		}
	}
}

func TestEndingGuestAccountDisconnectsTheirSessionSeat(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(admin, "Shared")
	g := e.invite(admin, "ext", "", cid, 10)
	sid := e.startSession(tech, cid, nil).str("session", "id")
	pid := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("ext")}).str("id")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+g.str("id")+"/end", admin, nil), 200, "")
	rc := e.relay.callsTo("/participants/" + pid + "/remove")
	if len(rc) != 1 || rc[0].Body["reason"] != "account_ended" {
		t.Fatalf("relay remove calls: %+v", rc)
	}
}

func TestNoRelayIsAClearError(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Lonely")
	e.clock.Advance(time.Minute) // the registered relay's heartbeat goes stale
	tech = e.login(e.email("tech"))
	e.expect(e.call("POST", "/v1/orgs/acme/cases/"+cid+"/sessions", tech, nil), 503, "relay_unavailable")
}

func TestGuestTechnicianHeldToTheirGuestAccount(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(admin, "Held")
	g := e.invite(admin, "held", "", cid, 2)
	sid := e.startSession(tech, cid, nil).str("session", "id")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("held")}), 201, "")
	link := e.joinLink(e.email("held"))
	j := e.call("POST", "/v1/session-invites/"+link+"/join", "", nil)
	e.expect(j, 200, "")
	until, _ := time.Parse(time.RFC3339, g.str("validUntil"))
	if c := claimsOf(t, e.app.Minter.PublicKey(), j.str("ticket")); int64(c["until"].(float64)) != until.Unix() {
		t.Fatalf("ticket until %v, want the account's end %v", c["until"], until.Unix())
	}
	// Once the account is ended, a new link for the same person is refused.
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+g.str("id")+"/end", admin, nil), 200, "")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("held")}), 201, "")
	e.expect(e.call("POST", "/v1/session-invites/"+e.joinLink(e.email("held"))+"/join", "", nil), 403, "guest_ended")
}
