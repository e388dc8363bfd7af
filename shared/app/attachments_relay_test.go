package app_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/rtc/client"
)

// inbox keeps the tool messages a peer receives.
type inbox struct {
	mu   sync.Mutex
	msgs []map[string]any
}

func collect(c *client.Client) *inbox {
	in := &inbox{}
	go func() {
		for raw := range c.Messages() {
			var m map[string]any
			if json.Unmarshal(raw, &m) == nil {
				in.mu.Lock()
				in.msgs = append(in.msgs, m)
				in.mu.Unlock()
			}
		}
	}()
	return in
}

// step returns the snapshot messages of a step received so far.
func (in *inbox) step(step string) []map[string]any {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []map[string]any
	for _, m := range in.msgs {
		if m["tool"] == "snapshot" && m["step"] == step {
			out = append(out, m)
		}
	}
	return out
}

func (in *inbox) raw() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	b, _ := json.Marshal(in.msgs)
	return string(b)
}

// TestAttachSnapshotOverTheRelay: with real peers on the relay, the request
// for a still and the upload slot reach the customer alone; the customer's
// answers reach the primary and the secondary, never the guest technician;
// the picture the customer uploads lands on the case. (That the slot stays
// out of the history: TestSnapshotSlotGoesToTheCustomerAlone.)
func TestAttachSnapshotOverTheRelay(t *testing.T) {
	e := newEnv(t)
	syncClock := func() { e.clock.Set(time.Now()) }
	syncClock()
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
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
	adminID := e.memberIDOf(admin, "acme", e.email("admin"))
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": adminID}), 201, "")
	sj := e.call("POST", "/v1/sessions/"+sid+"/join", admin, nil)
	e.expect(sj, 200, "")
	sec := relay.joinPeer(t, "secondary", sj.str("relayUrl"), sj.str("ticket"), false)
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gail"), "name": "Gail"}), 201, "")
	syncClock()
	gj := e.callAs("POST", "/v1/session-invites/"+e.joinLink(e.email("gail"))+"/join", "", "web", "Mozilla/5.0 (X11; Linux x86_64)", nil)
	e.expect(gj, 200, "")
	guest := relay.joinPeer(t, "guest", gj.str("relayUrl"), gj.str("ticket"), false)
	inPrim, inCust, inSec, inGuest := collect(prim), collect(cust), collect(sec), collect(guest)

	// The primary asks for a still: the customer alone gets the request.
	must(t, prim.SendTool([]byte(`{"tool":"snapshot","step":"take","id":"snap-1"}`)))
	eventually(t, "the customer to get the request", func() bool { return len(inCust.step("take")) == 1 })
	// The customer's page took it and says how large it is.
	pic := testJPEG(t, 640, 480)
	must(t, cust.SendTool([]byte(`{"tool":"snapshot","step":"taken","ref":"snap-1","contentType":"image/jpeg","size":`+
		strconv.Itoa(len(pic))+`}`)))
	eventually(t, "the primary and the secondary to get the answer", func() bool {
		return len(inPrim.step("taken")) == 1 && len(inSec.step("taken")) == 1
	})

	// The primary's page asks the API for the slot and hands it over.
	sl := e.slot(tech, sid, "image/jpeg", len(pic))
	e.expect(sl, 201, "")
	up, _ := json.Marshal(map[string]any{"tool": "snapshot", "step": "upload", "ref": "snap-1",
		"upload": map[string]any{"url": sl.str("url"), "headers": sl.Body["headers"], "attachmentId": sl.str("attachmentId")}})
	must(t, prim.SendTool(up))
	eventually(t, "the customer to get the upload slot", func() bool { return len(inCust.step("upload")) == 1 })
	slot := inCust.step("upload")[0]["upload"].(map[string]any)
	h, _ := slot["headers"].(map[string]any)
	if code, _, _ := fetch(t, "PUT", slot["url"].(string), h, pic); code != 200 {
		t.Fatalf("the customer's upload: %d", code)
	}
	must(t, cust.SendTool([]byte(`{"tool":"snapshot","step":"uploaded","ref":"snap-1"}`)))
	eventually(t, "the primary to hear the upload is done", func() bool { return len(inPrim.step("uploaded")) == 1 })
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/attachments/"+sl.str("attachmentId")+"/complete", tech, nil), 200, "")

	// A chat line after it all, so that everything before has been delivered.
	must(t, prim.SendTool([]byte(`{"tool":"chat","text":"done"}`)))
	eventually(t, "the guest to get the chat line", func() bool { return strings.Contains(inGuest.raw(), `"done"`) })
	eventually(t, "the secondary to get the chat line", func() bool { return strings.Contains(inSec.raw(), `"done"`) })
	if strings.Contains(inGuest.raw(), "snapshot") {
		t.Fatalf("the guest technician got snapshot messages: %s", inGuest.raw())
	}
	if strings.Contains(inSec.raw(), "X-Amz") || len(inSec.step("take")) != 0 {
		t.Fatalf("the secondary got the customer's request or slot: %s", inSec.raw())
	}
	if len(inPrim.step("upload")) != 0 {
		t.Fatal("the slot came back to the primary")
	}
	// The customer may not send a request or a slot of its own.
	must(t, cust.SendTool([]byte(`{"tool":"snapshot","step":"upload","ref":"x","upload":{"url":"http://evil.test/"}}`)))
	eventually(t, "the customer's slot refused", func() bool { return strings.Contains(inCust.raw(), "tool_forbidden") })

	list := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", tech, nil)
	if atts := list.Body["attachments"].([]any); len(atts) != 1 {
		t.Fatalf("attachments: %s", list.Raw)
	}
}
