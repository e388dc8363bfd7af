package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/rtc/client"
)

// nextTool waits for the next data-channel message to c that has the given
// tool or is an error, and returns it decoded.
func nextTool(t *testing.T, who string, c *client.Client, tool string) map[string]any {
	t.Helper()
	deadline := time.After(liveWait)
	for {
		select {
		case b := <-c.Messages():
			var m map[string]any
			must(t, json.Unmarshal(b, &m))
			if m["tool"] == tool || m["error"] != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("%s: no %s message", who, tool)
			return nil
		}
	}
}

// TestLiveScanResults: a QR code, a barcode and recognized text that a
// technician's page read off the customer's video travel over the relay to
// whoever may receive them and land in the session's report; a scan result
// that says nothing is refused and not recorded.
func TestLiveScanResults(t *testing.T) {
	e := newEnv(t)
	syncClock := func() { e.clock.Set(time.Now()) }
	syncClock()
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 label")
	relay := startLiveRelay(e)
	// The env's stand-in relay is made the busier one, so the session lands
	// on the real one.
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

	// Refused: no text, a format on live text, a QR result without format,
	// a field a scan does not have.
	for _, bad := range []string{
		`{"tool":"qr","id":"q0","format":"QRCode","text":"  "}`,
		`{"tool":"live_text","id":"q1","format":"QRCode","text":"x"}`,
		`{"tool":"barcode","id":"q2","text":"SN-1"}`,
		`{"tool":"qr","id":"q3","format":"QRCode","text":"x","points":[[1,2]]}`,
	} {
		must(t, prim.SendTool([]byte(bad)))
		m := nextTool(t, "the primary", prim, "qr")
		errObj, _ := m["error"].(map[string]any)
		if errObj == nil || errObj["code"] != "tool_invalid" {
			t.Fatalf("%s: got %v, want a tool_invalid error", bad, m)
		}
	}

	must(t, prim.SendTool([]byte(`{"tool":"qr","id":"q4","format":"QRCode","text":"https://example.test/pump/4711"}`)))
	m := nextTool(t, "the customer", cust, "qr")
	if m["text"] != "https://example.test/pump/4711" || m["format"] != "QRCode" || m["fromKind"] != "primary" {
		t.Fatalf("the customer got %v", m)
	}
	must(t, prim.SendTool([]byte(`{"tool":"barcode","id":"q5","format":"Code128","text":"SN-4711-AB"}`)))
	must(t, prim.SendTool([]byte(`{"tool":"live_text","id":"q6","text":"PUMP SERIAL 4711"}`)))
	if m := nextTool(t, "the customer", cust, "live_text"); m["text"] != "PUMP SERIAL 4711" {
		t.Fatalf("the customer got %v", m)
	}

	var rep resp
	eventually(t, "the three scan results in the session's report", func() bool {
		rep = e.call("GET", "/v1/sessions/"+sid+"/report", tech, nil)
		return rep.Status == 200 && len(reportRecord(rep)) == 3
	})
	rec := reportRecord(rep)
	for i, want := range []struct{ tool, text string }{
		{"qr", "format: QRCode, text: https://example.test/pump/4711"},
		{"barcode", "format: Code128, text: SN-4711-AB"},
		{"live_text", "text: PUMP SERIAL 4711"},
	} {
		if rec[i]["tool"] != want.tool || rec[i]["kind"] != "primary" || rec[i]["text"] != want.text {
			t.Errorf("record line %d: %v, want %+v", i, rec[i], want)
		}
	}
}
