package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

type member struct {
	kind toolmatrix.Kind
	id   string
	c    *client.Client
}

// sessionOfFour joins a publishing customer and the three technician kinds
// and waits until every technician receives the customer's media.
func sessionOfFour(t *testing.T, h *harness, sid string) []member {
	t.Helper()
	ms := []member{
		{kind: toolmatrix.Customer, id: "cust"},
		{kind: toolmatrix.Primary, id: "prim"},
		{kind: toolmatrix.Secondary, id: "sec"},
		{kind: toolmatrix.Guest, id: "guest"},
	}
	for i := range ms {
		ms[i].c = h.join(ms[i].kind, sid, ms[i].id, ms[i].kind == toolmatrix.Customer)
	}
	for _, m := range ms[1:] {
		receivesMedia(t, string(m.kind), m.c)
	}
	return ms
}

type toolMsg struct {
	Tool     string           `json:"tool"`
	ID       string           `json:"id"`
	From     string           `json:"from"`
	FromKind string           `json:"fromKind"`
	Barrier  bool             `json:"barrier"`
	Error    *proto.ToolError `json:"error"`
}

// drainUntilBarrier collects c's tool messages until the barrier from
// sender arrives.
func drainUntilBarrier(t *testing.T, name string, c *client.Client, sender, barrierID string) []toolMsg {
	t.Helper()
	var got []toolMsg
	timeout := time.After(wait)
	for {
		select {
		case b := <-c.Messages():
			var m toolMsg
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: bad message %s", name, b)
			}
			if m.Barrier && m.From == sender && m.ID == barrierID {
				return got
			}
			got = append(got, m)
		case <-timeout:
			t.Fatalf("%s: barrier %s from %s never arrived (got %v)", name, barrierID, sender, got)
		}
	}
}

// TestMediaAndToolMatrix checks that every technician receives the
// customer's media and that every tool message from every kind is forwarded
// or refused exactly as the matrix says, and delivered only to those who may
// see it.
func TestMediaAndToolMatrix(t *testing.T) {
	h := newHarness(t)
	ms := sessionOfFour(t, h, "matrix")

	for _, sender := range ms {
		t.Run(string(sender.kind), func(t *testing.T) {
			var forbidden []string
			for _, tool := range toolmatrix.MessageTools {
				id := fmt.Sprintf("%s-%s", sender.id, tool)
				// Scan results carry only their own fields; other tools' extra
				// fields are passed on.
				extra := `"payload":{"x":1},`
				if proto.IsScan(tool) {
					extra = ""
				}
				msg := fmt.Sprintf(`{"tool":%q,"id":%q,%s%s"from":"spoofed"}`, tool, id, commandPayload(tool, id), extra)
				if err := sender.c.SendTool([]byte(msg)); err != nil {
					t.Fatal(err)
				}
				if !toolmatrix.Allowed(sender.kind, tool) {
					forbidden = append(forbidden, id)
				}
			}
			barrier := "barrier-" + sender.id
			if err := sender.c.SendTool([]byte(fmt.Sprintf(`{"tool":"chat","id":%q,"barrier":true}`, barrier))); err != nil {
				t.Fatal(err)
			}
			for _, rcv := range ms {
				if rcv.id == sender.id {
					continue
				}
				got := drainUntilBarrier(t, rcv.id, rcv.c, sender.id, barrier)
				var want, have []string
				for _, tool := range toolmatrix.MessageTools {
					if toolmatrix.Allowed(sender.kind, tool) && toolmatrix.Receives(rcv.kind, tool) {
						want = append(want, fmt.Sprintf("%s-%s", sender.id, tool))
					}
				}
				for _, m := range got {
					if m.From != sender.id || m.FromKind != string(sender.kind) {
						t.Errorf("%s got message with from=%q fromKind=%q, want %q %q", rcv.id, m.From, m.FromKind, sender.id, sender.kind)
					}
					have = append(have, m.ID)
				}
				if !slices.Equal(have, want) {
					t.Errorf("%s (%s) received %v from %s, want %v", rcv.id, rcv.kind, have, sender.kind, want)
				}
				if rcv.kind == toolmatrix.Guest {
					for _, m := range got {
						if m.Tool == string(toolmatrix.Notes) || m.Tool == string(toolmatrix.Snapshot) {
							t.Errorf("guest received %s", m.Tool)
						}
					}
				}
			}
			var refused []string
			timeout := time.After(wait)
			for len(refused) < len(forbidden) {
				select {
				case b := <-sender.c.Messages():
					var m toolMsg
					_ = json.Unmarshal(b, &m)
					if m.Error == nil {
						t.Fatalf("%s got non-error %s", sender.id, b)
					}
					if m.Error.Code != proto.CodeToolForbidden {
						t.Errorf("error code %q, want %q", m.Error.Code, proto.CodeToolForbidden)
					}
					var id string
					_ = json.Unmarshal(m.Error.ID, &id)
					refused = append(refused, id)
				case <-timeout:
					t.Fatalf("%s: refusals %v, want %v", sender.id, refused, forbidden)
				}
			}
			if !slices.Equal(refused, forbidden) {
				t.Errorf("%s: refused %v, want %v", sender.kind, refused, forbidden)
			}
		})
	}
}

// TestToolSwitch checks the runtime tool switch: never beyond the kind, and
// a switched-off tool is neither sent nor received.
func TestToolSwitch(t *testing.T) {
	h := newHarness(t)
	prim := h.join(toolmatrix.Primary, "sw", "prim", false)
	guest := h.join(toolmatrix.Guest, "sw", "guest", false)

	status, body := h.control("/control/sessions/sw/participants/guest/tools", map[string]any{
		"tools": []string{"annotation", "notes", "snapshot", "record", "video", "mic"},
	})
	if status != http.StatusOK {
		t.Fatalf("tools: %d %v", status, body)
	}
	got, _ := json.Marshal(body["tools"])
	if string(got) != `["video","annotation","mic"]` {
		t.Fatalf("effective tools %s, want video, annotation, mic (never beyond the guest kind)", got)
	}
	waitFor(t, "tools message", func() bool {
		select {
		case s := <-guest.Signals():
			return s.Type == proto.TypeTools && len(s.Tools) == 3
		default:
			return false
		}
	})

	// Chat is now off for the guest: refused when sent, not delivered.
	_ = guest.SendTool([]byte(`{"tool":"chat","id":"g1"}`))
	_ = guest.SendTool([]byte(`{"tool":"notes","id":"g2"}`))
	for _, want := range []string{`"g1"`, `"g2"`} {
		select {
		case b := <-guest.Messages():
			var m toolMsg
			_ = json.Unmarshal(b, &m)
			if m.Error == nil || string(m.Error.ID) != want || m.Error.Code != proto.CodeToolForbidden {
				t.Fatalf("guest got %s, want refusal of %s", b, want)
			}
		case <-time.After(wait):
			t.Fatal("no refusal")
		}
	}
	_ = prim.SendTool([]byte(`{"tool":"chat","id":"p1"}`))
	_ = prim.SendTool([]byte(`{"tool":"annotation","id":"p2",` + commandPayload(toolmatrix.Annotation, "p2") + `"x":1}`))
	select {
	case b := <-guest.Messages():
		var m toolMsg
		_ = json.Unmarshal(b, &m)
		if m.ID != "p2" {
			t.Fatalf("guest got %s, want only the annotation", b)
		}
	case <-time.After(wait):
		t.Fatal("annotation not delivered")
	}

	// Unknown tools are refused by the control call.
	if status, _ := h.control("/control/sessions/sw/participants/guest/tools", map[string]any{"tools": []string{"teleport"}}); status != http.StatusBadRequest {
		t.Fatalf("unknown tool: status %d", status)
	}
}

// TestTicketReuse checks single use: the second presentation is refused.
func TestTicketReuse(t *testing.T) {
	h := newHarness(t)
	tk := h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "reuse", pid: "g"})
	first := h.dial(tk, false)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := first.Joined(ctx); err != nil {
		t.Fatal(err)
	}
	second := h.dial(tk, false)
	select {
	case <-second.Closed():
	case <-time.After(wait):
		t.Fatal("reused ticket not refused")
	}
	if r := second.CloseReason(); r != proto.ReasonTicketUsed {
		t.Fatalf("close reason %q, want %q", r, proto.ReasonTicketUsed)
	}
	select {
	case <-first.Closed():
		t.Fatal("first connection closed by the reuse")
	default:
	}
}

// TestBadTickets checks that forged, foreign and overlong tickets are refused.
func TestBadTickets(t *testing.T) {
	h := newHarness(t)
	other := newHarness(t)
	cases := []struct {
		name   string
		ticket string
	}{
		{"garbage", "not.a.jwt"},
		{"signed by another key", other.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "s", pid: "p"})},
		{"lifetime over 60 s", h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "s", pid: "p", ttl: 10 * time.Minute})},
		{"control token as ticket", h.controlToken("guestbridge-relay-control")},
		{"unknown kind", h.ticket(ticketOpts{kind: "admin", sid: "s", pid: "p"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(tc.ticket, false)
			select {
			case <-c.Closed():
			case <-time.After(wait):
				t.Fatal("not refused")
			}
			if r := c.CloseReason(); r != proto.ReasonTicketInvalid {
				t.Fatalf("reason %q, want %q", r, proto.ReasonTicketInvalid)
			}
		})
	}
}

// TestRemoveParticipant checks that a control call disconnects the
// participant within a second with the reason and bans any rejoin.
func TestRemoveParticipant(t *testing.T) {
	h := newHarness(t)
	cust := h.join(toolmatrix.Customer, "rm", "cust", true)
	guest := h.join(toolmatrix.Guest, "rm", "guest", false)
	receivesMedia(t, "guest", guest)

	start := time.Now()
	status, body := h.control("/control/sessions/rm/participants/guest/remove", map[string]string{"reason": "removed"})
	if status != http.StatusOK || body["connected"] != true {
		t.Fatalf("remove: %d %v", status, body)
	}
	select {
	case <-guest.Closed():
	case <-time.After(wait):
		t.Fatal("guest not disconnected")
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("disconnected after %s, want within a second", el)
	}
	if r := guest.CloseReason(); r != proto.ReasonRemoved {
		t.Fatalf("reason %q, want removed", r)
	}
	waitFor(t, "relay to forget the guest", func() bool { return h.app.Relay().Load() == 1 })
	waitFor(t, "left event", func() bool { return h.events.has("left", "rm", "guest") })

	again := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "rm", pid: "guest"}), false)
	select {
	case <-again.Closed():
	case <-time.After(wait):
		t.Fatal("rejoin not refused")
	}
	if r := again.CloseReason(); r != proto.ReasonRemoved {
		t.Fatalf("rejoin reason %q, want removed", r)
	}
	select {
	case <-cust.Closed():
		t.Fatal("customer disconnected too")
	default:
	}
}

// TestEndSession checks that ending a session disconnects everyone with the
// reason and refuses every later join.
func TestEndSession(t *testing.T) {
	h := newHarness(t)
	a := h.join(toolmatrix.Primary, "end", "a", false)
	b := h.join(toolmatrix.Guest, "end", "b", false)
	status, body := h.control("/control/sessions/end/end", map[string]string{"reason": "account_ended"})
	if status != http.StatusOK || body["disconnected"] != float64(2) {
		t.Fatalf("end: %d %v", status, body)
	}
	for _, c := range []*client.Client{a, b} {
		select {
		case <-c.Closed():
		case <-time.After(wait):
			t.Fatal("not disconnected")
		}
		if r := c.CloseReason(); r != proto.ReasonAccountEnded {
			t.Fatalf("reason %q", r)
		}
	}
	c := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Primary, sid: "end", pid: "new"}), false)
	select {
	case <-c.Closed():
	case <-time.After(wait):
		t.Fatal("join to ended session not refused")
	}
	if r := c.CloseReason(); r != proto.ReasonSessionEnded {
		t.Fatalf("reason %q, want session_ended", r)
	}
	if status, _ := h.control("/control/sessions/end/end", map[string]string{"reason": "bored"}); status != http.StatusBadRequest {
		t.Fatalf("bad reason: status %d", status)
	}
}

// TestControlAuth checks that control calls need a control token.
func TestControlAuth(t *testing.T) {
	h := newHarness(t)
	other := newHarness(t)
	cases := []struct {
		name  string
		token string
	}{
		{"none", ""},
		{"join audience", h.controlToken("guestbridge-relay")},
		{"other key", other.controlToken("guestbridge-relay-control")},
		{"join ticket", h.ticket(ticketOpts{kind: toolmatrix.Primary, sid: "s", pid: "p"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status, _ := h.controlWith(tc.token, "/control/sessions/s/end", nil); status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", status)
			}
		})
	}
	if status, _ := h.control("/control/sessions/s/nonsense", nil); status != http.StatusNotFound {
		t.Fatalf("unknown call: status %d", status)
	}
}

// TestUntilExpiry checks that a participant is disconnected when the until
// claim passes, and that a ticket past its until is refused.
func TestUntilExpiry(t *testing.T) {
	h := newHarness(t)
	c := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "exp", pid: "g", until: time.Now().Add(3 * time.Second)}), false)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := c.Joined(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Closed():
	case <-time.After(wait):
		t.Fatal("not expired")
	}
	if r := c.CloseReason(); r != proto.ReasonExpired {
		t.Fatalf("reason %q, want expired", r)
	}
	late := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "exp", pid: "g", until: time.Now().Add(-time.Second)}), false)
	select {
	case <-late.Closed():
	case <-time.After(wait):
		t.Fatal("expired ticket accepted")
	}
	if r := late.CloseReason(); r != proto.ReasonExpired {
		t.Fatalf("reason %q, want expired", r)
	}
}

// TestJoinLeaveCycles runs 100 join/leave cycles against a publishing
// customer and checks that no goroutine and no memory is left behind, by the
// relay or the clients.
func TestJoinLeaveCycles(t *testing.T) {
	base := runtime.NumGoroutine()
	// An aborted client's seat is held for the reconnect grace; a short
	// one lets the cycles end.
	h := newHarnessWith(t, func(c *config.Config, _ *Options) { c.ReconnectGrace = 300 * time.Millisecond })
	cust := h.join(toolmatrix.Customer, "cyc", "cust", true)
	prim := h.join(toolmatrix.Primary, "cyc", "prim", false)
	receivesMedia(t, "primary", prim)
	time.Sleep(200 * time.Millisecond)
	steady := runtime.NumGoroutine()
	heapBefore := liveHeap()

	kinds := []toolmatrix.Kind{toolmatrix.Guest, toolmatrix.Secondary}
	for i := range cycleCount() {
		kind := kinds[i%2]
		c := h.join(kind, "cyc", fmt.Sprintf("t%d", i), false)
		if i%4 == 0 {
			receivesMedia(t, "cycle", c)
		}
		if i%3 == 0 {
			c.Abort()
		} else {
			_ = c.Close()
		}
		h.forget(c)
	}
	waitFor(t, "participants to leave", func() bool { return h.app.Relay().Load() == 2 })
	settleGoroutines(t, steady)
	// A subscriber costs about 250 KB: 100 leaked ones would be 25 MB. The
	// slack covers caches that grow once and the GC's own timing.
	grown := liveHeap() - heapBefore
	t.Logf("live heap change over %d join/leave cycles: %d KB", cycleCount(), grown>>10)
	if grown > 8<<20 {
		t.Errorf("live heap grew by %d KB over %d join/leave cycles", grown>>10, cycleCount())
	}

	_ = cust.Close()
	_ = prim.Close()
	h.close()
	settleGoroutines(t, base)
}

// TestGarbageUDP sends garbage to the shared UDP port during a session and
// checks that media keeps flowing.
func TestGarbageUDP(t *testing.T) {
	h := newHarness(t)
	h.join(toolmatrix.Customer, "udp", "cust", true)
	prim := h.join(toolmatrix.Primary, "udp", "prim", false)
	receivesMedia(t, "primary", prim)

	addr := h.app.Engine().LocalAddrs()[0].(*net.UDPAddr)
	conn, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	junk := [][]byte{
		{},
		{0x00},
		{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42}, // truncated STUN
		append([]byte{0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42}, make([]byte, 20)...),
		{0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, // DTLS-looking
		append([]byte{0x80, 0x60}, make([]byte, 200)...),          // RTP-looking
		make([]byte, 1400),
	}
	for i := range 2000 {
		p := junk[i%len(junk)]
		if i%len(junk) == len(junk)-1 {
			for j := range p {
				p[j] = byte(i * j)
			}
		}
		_, _ = conn.Write(p)
	}
	count := func() uint64 {
		var n uint64
		for _, tr := range prim.Tracks() {
			n += tr.Packets
		}
		return n
	}
	before := count()
	waitFor(t, "media after garbage", func() bool { return count() > before+100 })
	select {
	case <-prim.Closed():
		t.Fatal("session disturbed")
	default:
	}
}

// TestDrain checks the graceful drain: clients are told, new joins are
// refused, and the rest are closed at the deadline.
func TestDrain(t *testing.T) {
	h := newHarness(t)
	a := h.join(toolmatrix.Primary, "dr", "a", false)
	b := h.join(toolmatrix.Guest, "dr", "b", false)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.app.Drain(context.Background())
	}()
	waitFor(t, "draining message", func() bool {
		select {
		case s := <-a.Signals():
			return s.Type == proto.TypeDraining
		default:
			return false
		}
	})
	resp, err := http.Get(h.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz while draining: %d", resp.StatusCode)
	}
	late := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "dr", pid: "late"}), false)
	select {
	case <-late.Closed():
	case <-time.After(wait):
		t.Fatal("join during drain accepted")
	}
	if r := late.CloseReason(); r != proto.ReasonDraining {
		t.Fatalf("reason %q", r)
	}
	_ = a.Close()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("drain did not finish")
	}
	select {
	case <-b.Closed():
	case <-time.After(wait):
		t.Fatal("b not closed at the deadline")
	}
	if r := b.CloseReason(); r != proto.ReasonShutdown {
		t.Fatalf("reason %q", r)
	}
}

// TestEventsAndHealth checks the joined/left events and /healthz.
func TestEventsAndHealth(t *testing.T) {
	h := newHarness(t)
	c := h.join(toolmatrix.Secondary, "ev", "s1", false)
	resp, err := http.Get(h.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || body["participants"] != float64(1) {
		t.Fatalf("healthz %d %v", resp.StatusCode, body)
	}
	_ = c.Close()
	waitFor(t, "joined and left events", func() bool {
		return h.events.has("joined", "ev", "s1") && h.events.has("left", "ev", "s1")
	})
	h.events.mu.Lock()
	bad := h.events.bad
	h.events.mu.Unlock()
	if bad != 0 {
		t.Fatalf("%d badly signed events", bad)
	}
}

// TestProtocolErrors checks that a socket that does not start with a valid
// join is closed with protocol_error.
func TestProtocolErrors(t *testing.T) {
	h := newHarness(t)
	for name, first := range map[string]string{
		"not json":            `hello`,
		"answer before join":  `{"type":"answer","sdp":"v=0"}`,
		"join without ticket": `{"type":"join"}`,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, h.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			if err := ws.Write(ctx, websocket.MessageText, []byte(first)); err != nil {
				t.Fatal(err)
			}
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var s proto.Signal
			_ = json.Unmarshal(data, &s)
			if s.Type != proto.TypeClose || s.Reason != proto.ReasonProtocolError {
				t.Fatalf("got %s", data)
			}
		})
	}
}

// TestLargeToolMessages checks messages around the data channel reader's
// standing buffer and over the limit.
func TestLargeToolMessages(t *testing.T) {
	h := newHarness(t)
	a := h.join(toolmatrix.Primary, "big", "a", false)
	b := h.join(toolmatrix.Secondary, "big", "b", false)
	text := strings.Repeat("x", 12<<10)
	_ = a.SendTool([]byte(`{"tool":"chat","id":"big","text":"` + text + `"}`))
	select {
	case m := <-b.Messages():
		var got struct{ ID, Text string }
		_ = json.Unmarshal(m, &got)
		if got.ID != "big" || got.Text != text {
			t.Fatalf("got %.80s", m)
		}
	case <-time.After(wait):
		t.Fatal("12 KiB message not delivered")
	}
	// Over the announced a=max-message-size a compliant client refuses to
	// send at all.
	if err := a.SendTool([]byte(`{"tool":"chat","id":"huge","text":"` + strings.Repeat("y", 20<<10) + `"}`)); err == nil {
		t.Fatal("client sent a message over the relay's max-message-size")
	}
	// Under it but over the tool message limit, the relay refuses it.
	_ = a.SendTool([]byte(`{"tool":"chat","id":"over","text":"` + strings.Repeat("z", 15<<10) + `"}`))
	select {
	case m := <-a.Messages():
		if !strings.Contains(string(m), `"tool_invalid"`) {
			t.Fatalf("got %.80s", m)
		}
	case <-time.After(wait):
		t.Fatal("message over the tool limit not refused")
	}
	_ = a.SendTool([]byte(`{"tool":"chat","id":"after"}`))
	select {
	case m := <-b.Messages():
		if !strings.Contains(string(m), `"after"`) {
			t.Fatalf("got %.80s", m)
		}
	case <-time.After(wait):
		t.Fatal("channel stuck after an oversized message")
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func cycleCount() int {
	if n, err := strconv.Atoi(os.Getenv("GB_CYCLES")); err == nil {
		return n
	}
	return 100
}
