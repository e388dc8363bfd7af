package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// qualityEvent posts a signed relay quality event and returns the answer.
func (e *env) qualityEvent(sessionID, participantID, id string, q map[string]any) resp {
	e.t.Helper()
	ev, _ := json.Marshal(map[string]any{"type": "quality", "sessionId": sessionID, "participantId": participantID,
		"at": e.clock.Now(), "id": id, "sentAt": e.clock.Now(), "quality": q})
	keys, err := secret.Derive(e.app.Config.Secret)
	must(e.t, err)
	mac := hmac.New(sha256.New, app.RelayEventsKey(e.app.Config, keys))
	mac.Write(ev)
	req := e.request("POST", "/v1/internal/relay/events", "", string(ev))
	req.Header.Set("X-Relay-Signature", hex.EncodeToString(mac.Sum(nil)))
	return e.do(req)
}

// TestSessionKeepsConnectionSummary: the relay's quality events reach the
// session's details: reconnects add up over a participant's stays, the
// worst figures stay the worst, a replayed event changes nothing, and a
// summary that is no measurement is refused naming its field.
func TestSessionKeepsConnectionSummary(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	companyWorld(e, admin)
	cid := e.createCase(admin, "Pump in hall 2")
	started := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Chris Customer"}})
	sid := started.str("session", "id")
	gina := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gina"), "name": "Gina Guest"})
	e.expect(gina, 201, "")
	gid := gina.str("id")

	first := strings.Repeat("c3", 16)
	if r := e.qualityEvent(sid, gid, first, map[string]any{"reconnects": 2, "worstRttMs": 310, "worstLossPct": 4.5, "lowestKbps": 0}); r.Status != http.StatusNoContent {
		t.Fatalf("quality event: %d %s", r.Status, r.Raw)
	}
	if r := e.qualityEvent(sid, gid, first, map[string]any{"reconnects": 2, "worstRttMs": 310, "worstLossPct": 4.5}); r.Status != http.StatusConflict {
		t.Fatalf("replayed quality event: %d %s", r.Status, r.Raw)
	}
	if r := e.qualityEvent(sid, gid, strings.Repeat("d4", 16), map[string]any{"reconnects": 1, "worstRttMs": 120, "worstLossPct": 9.25, "lowestKbps": 0}); r.Status != http.StatusNoContent {
		t.Fatalf("second quality event: %d %s", r.Status, r.Raw)
	}
	bad := e.qualityEvent(sid, gid, strings.Repeat("e5", 16), map[string]any{"reconnects": 1, "worstLossPct": 250})
	e.expect(bad, 400, "invalid_input")
	if bad.field() != "quality" {
		t.Fatalf("refusal names %q, want quality", bad.field())
	}

	got := e.call("GET", "/v1/sessions/"+sid, tech, nil)
	e.expect(got, 200, "")
	parts, _ := got.Body["participants"].([]any)
	var conn map[string]any
	for _, p := range parts {
		m, _ := p.(map[string]any)
		if m["id"] == gid {
			conn, _ = m["connection"].(map[string]any)
		}
	}
	if conn == nil {
		t.Fatalf("the guest's details carry no connection summary: %s", got.Raw)
	}
	if conn["reconnects"] != 3.0 || conn["worstRttMs"] != 310.0 || conn["worstLossPct"] != 9.25 {
		t.Fatalf("connection summary %v, want 3 reconnects, 310 ms, 9.25 %%", conn)
	}
}
