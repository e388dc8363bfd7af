package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
)

// historyOf waits for the relay's history message to c and returns the
// messages' texts by tool.
func historyOf(t *testing.T, c *client.Client) []map[string]any {
	t.Helper()
	deadline := time.After(liveWait)
	for {
		select {
		case s := <-c.Signals():
			if s.Type != proto.TypeHistory {
				continue
			}
			var out []map[string]any
			for _, raw := range s.History {
				var m map[string]any
				must(t, json.Unmarshal(raw, &m))
				out = append(out, m)
			}
			return out
		case <-deadline:
			t.Fatal("no history message")
			return nil
		}
	}
}

func reportRecord(r resp) []map[string]any {
	var v struct {
		Record []map[string]any `json:"record"`
	}
	_ = json.Unmarshal([]byte(r.Raw), &v)
	return v.Record
}

// TestLiveSessionRecord: what is said and done in a session is kept on it,
// reported to members, and sent to whoever joins later as far as their kind
// may receive it; a removal's reason reaches the removed person.
func TestLiveSessionRecord(t *testing.T) {
	e := newEnv(t)
	syncClock := func() { e.clock.Set(time.Now()) }
	syncClock()
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	relay := startLiveRelay(e)
	e.registerRelay("task-1", e.relay.signalURL(), 1000)
	e.registerRelay("task-e2e", relay.signalURL, 0)

	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}})
	sid := st.str("session", "id")
	prim := relay.joinPeer(t, "primary", st.str("primary", "relayUrl"), st.str("primary", "ticket"), false)
	_, custToken, _ := strings.Cut(st.str("customerLink"), "#")
	syncClock()
	cj := e.call("POST", "/v1/session-invites/"+custToken+"/join", "", nil)
	e.expect(cj, 200, "")
	cust := relay.joinPeer(t, "customer", cj.str("relayUrl"), cj.str("ticket"), false)

	must(t, prim.SendTool([]byte(`{"tool":"chat","text":"Hello Carl, please show the pump"}`)))
	must(t, prim.SendTool([]byte(`{"tool":"notes","text":"Seal looks worn"}`)))
	// The customer answers once the primary's lines are recorded, so the
	// order of the record is the test's.
	var rep resp
	eventually(t, "the primary's two lines in the session's report", func() bool {
		rep = e.call("GET", "/v1/sessions/"+sid+"/report", tech, nil)
		return rep.Status == 200 && len(reportRecord(rep)) == 2
	})
	must(t, cust.SendTool([]byte(`{"tool":"chat","text":"Here it is"}`)))

	// The record reaches the API, in order, with who said it.
	eventually(t, "the three lines in the session's report", func() bool {
		rep = e.call("GET", "/v1/sessions/"+sid+"/report", tech, nil)
		return rep.Status == 200 && len(reportRecord(rep)) == 3
	})
	rec := reportRecord(rep)
	for i, want := range []struct{ tool, kind, text string }{
		{"chat", "primary", "Hello Carl, please show the pump"},
		{"notes", "primary", "text: Seal looks worn"},
		{"chat", "customer", "Here it is"},
	} {
		if rec[i]["tool"] != want.tool || rec[i]["kind"] != want.kind || rec[i]["text"] != want.text {
			t.Errorf("record line %d: %v, want %+v", i, rec[i], want)
		}
	}

	// A guest technician who joins late gets the earlier chat, never the
	// primary's notes.
	inv := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gail"), "name": "Gail"})
	e.expect(inv, 201, "")
	gid := inv.str("id")
	syncClock()
	gj := e.callAs("POST", "/v1/session-invites/"+e.joinLink(e.email("gail"))+"/join", "", "web", "Mozilla/5.0 (X11; Linux x86_64)", nil)
	e.expect(gj, 200, "")
	guest := relay.joinPeer(t, "guest", gj.str("relayUrl"), gj.str("ticket"), false)
	hist := historyOf(t, guest)
	var texts []string
	for _, m := range hist {
		texts = append(texts, m["tool"].(string)+":"+m["text"].(string))
	}
	if strings.Join(texts, "|") != "chat:Hello Carl, please show the pump|chat:Here it is" {
		t.Fatalf("the late guest's history: %v", texts)
	}

	// A removal's reason is plain text of at most 200 characters.
	rm := "/v1/sessions/" + sid + "/participants/" + gid + "/remove"
	long := e.call("POST", rm, tech, map[string]string{"reason": strings.Repeat("x", 201)})
	e.expect(long, 400, "invalid_input")
	if long.field() != "reason" {
		t.Fatalf("long reason names %q", long.field())
	}
	e.expect(e.call("POST", rm, tech, map[string]string{"reason": "bye\u202eeyb"}), 400, "invalid_characters")
	select {
	case <-guest.Closed():
		t.Fatalf("a refused removal disconnected the guest (%s)", guest.CloseReason())
	default:
	}

	// The removed guest is told why.
	const why = "Wrong account, Gail: your colleague takes over."
	e.expect(e.call("POST", rm, tech, map[string]string{"reason": why}), 200, "")
	refusedWith(t, "the removed guest", guest, proto.ReasonRemoved)
	if m := guest.CloseMessage(); m != why {
		t.Fatalf("the removed guest read %q, want %q", m, why)
	}

	// The case page lists the session with the removal and the record.
	list := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/sessions", tech, nil)
	e.expect(list, 200, "")
	var cs struct {
		Sessions []struct {
			ID           string           `json:"id"`
			Participants []map[string]any `json:"participants"`
			Record       []map[string]any `json:"record"`
		} `json:"sessions"`
	}
	must(t, json.Unmarshal([]byte(list.Raw), &cs))
	if len(cs.Sessions) != 1 || cs.Sessions[0].ID != sid || len(cs.Sessions[0].Record) != 3 {
		t.Fatalf("case sessions: %s", list.Raw)
	}
	var removed map[string]any
	for _, p := range cs.Sessions[0].Participants {
		if p["id"] == gid {
			removed = p
		}
	}
	if removed == nil || removed["removedReason"] != "removed" || removed["removedNote"] != why || removed["joinedAt"] == nil {
		t.Fatalf("the removed guest in the report: %v", removed)
	}
}

// TestLiveSessionRecordEvents: a record line is taken once, bounded in size,
// and only for a participant of the session.
func TestLiveSessionRecordEvents(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	e.registerRelay("task-1", e.relay.signalURL(), 0)
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}})
	sid := st.str("session", "id")
	pid := st.str("primary", "participantId")
	if pid == "" {
		d := e.call("GET", "/v1/sessions/"+sid, tech, nil)
		var v struct {
			Participants []struct{ ID, Kind string } `json:"participants"`
		}
		must(t, json.Unmarshal([]byte(d.Raw), &v))
		for _, p := range v.Participants {
			if p.Kind == "primary" {
				pid = p.ID
			}
		}
	}
	ev := func(id, pid, tool, text string) map[string]any {
		return map[string]any{"type": "tool", "sessionId": sid, "participantId": pid, "tool": tool, "text": text,
			"at": e.clock.Now(), "sentAt": e.clock.Now(), "id": id}
	}
	id := strings.Repeat("ab", 16)
	e.expect(e.signedEvent(ev(id, pid, "chat", "Hi")), 204, "")
	e.expect(e.signedEvent(ev(id, pid, "chat", "Hi")), 409, "event_replayed")
	e.expect(e.signedEvent(ev(strings.Repeat("cd", 16), pid, "chat", strings.Repeat("y", 2001))), 400, "invalid_input")
	e.expect(e.signedEvent(ev(strings.Repeat("ce", 16), pid, "video", "x")), 400, "invalid_input")
	e.expect(e.signedEvent(ev(strings.Repeat("cf", 16), "p_nobody", "chat", "x")), 404, "participant_not_found")
	rep := e.call("GET", "/v1/sessions/"+sid+"/report", tech, nil)
	e.expect(rep, 200, "")
	if r := reportRecord(rep); len(r) != 1 || r[0]["text"] != "Hi" {
		t.Fatalf("record after a replay and refused lines: %s", rep.Raw)
	}
}

// TestLiveSessionReportPerKind: the case page's reports give a member with
// cases.read the whole record, and a guest of the case only what a guest
// technician would have received: never the primary's notes or snapshots,
// nor the other participants' addresses; another case's guest sees none.
func TestLiveSessionReportPerKind(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	other := e.createCase(tech, "Boiler 2")
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl", "email": e.email("carl")}})
	sid := st.str("session", "id")
	var prim, cust string
	d := e.call("GET", "/v1/sessions/"+sid, tech, nil)
	for _, p := range d.Body["participants"].([]any) {
		m := p.(map[string]any)
		switch m["kind"] {
		case "primary":
			prim = m["id"].(string)
		case "customer":
			cust = m["id"].(string)
		}
	}
	n := 0
	line := func(pid, tool, text string) {
		n++
		e.clock.Advance(time.Second)
		e.expect(e.signedEvent(map[string]any{"type": "tool", "sessionId": sid, "participantId": pid, "tool": tool, "text": text,
			"at": e.clock.Now(), "sentAt": e.clock.Now(), "id": strings.Repeat("0", 30) + fmt.Sprintf("%02d", n)}), 204, "")
	}
	line(prim, "chat", "Hello Carl")
	line(prim, "notes", "text: customer seems unsure")
	line(prim, "snapshot", "caption: seal")
	line(cust, "chat", "Hi")
	line(prim, "zoom", "level: 2")
	// The primary's tool switches are kept too.
	e.clock.Advance(time.Second)
	e.expect(e.call("PUT", "/v1/sessions/"+sid+"/participants/"+cust+"/tools", tech, map[string]any{"tools": []string{"chat"}}), 200, "")

	guestOf := func(who, caseID string) string {
		e.invite(admin, who, "", caseID, 30)
		e.deliver()
		acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
		e.expect(acc, 200, "")
		return acc.str("token")
	}
	texts := func(r resp) (out []string, raw string) {
		var v struct {
			Sessions []struct {
				Record []struct{ Tool, Text string } `json:"record"`
			} `json:"sessions"`
		}
		must(t, json.Unmarshal([]byte(r.Raw), &v))
		for _, s := range v.Sessions {
			for _, l := range s.Record {
				out = append(out, l.Tool+":"+l.Text)
			}
		}
		return out, r.Raw
	}
	path := "/v1/orgs/acme/cases/" + cid + "/sessions"
	full, _ := texts(e.call("GET", path, tech, nil))
	if strings.Join(full, "|") != "chat:Hello Carl|notes:text: customer seems unsure|snapshot:caption: seal|chat:Hi|zoom:level: 2|session_details:tools of Carl: chat" {
		t.Fatalf("the member's report: %v", full)
	}
	gr := e.call("GET", path, guestOf("gail", cid), nil)
	e.expect(gr, 200, "")
	seen, raw := texts(gr)
	if strings.Join(seen, "|") != "chat:Hello Carl|chat:Hi|zoom:level: 2|session_details:tools of Carl: chat" {
		t.Fatalf("the case guest's report: %v", seen)
	}
	if strings.Contains(raw, e.email("carl")) || strings.Contains(raw, `userId"`) || strings.Contains(raw, `"matrix"`) ||
		strings.Contains(raw, `"relayUrl"`) {
		t.Fatalf("the case guest's report shows addresses or ids: %s", raw)
	}
	// By session id, guests get nothing; another case's guest gets 404 on
	// this case.
	otherGuest := guestOf("olga", other)
	e.expect(e.call("GET", "/v1/sessions/"+sid+"/report", otherGuest, nil), 404, "session_not_found")
	e.expect(e.call("GET", path, otherGuest, nil), 404, "")
	if r := e.call("GET", "/v1/orgs/acme/cases/"+other+"/sessions", otherGuest, nil); !strings.Contains(r.Raw, `"sessions":[]`) {
		t.Fatalf("the other case's sessions: %s", r.Raw)
	}
}
