package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
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
