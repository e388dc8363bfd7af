package app

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// These tests cover sessions on real networks (relay/resume.go,
// relay/quality.go, rtc/twcc.go) with real pion peers on loopback.

func withNet(grace, quality time.Duration) func(*config.Config, *Options) {
	return func(c *config.Config, _ *Options) {
		c.ReconnectGrace = grace
		c.QualityInterval = quality
	}
}

// runQuality starts the relay's quality loop for the test.
func (h *harness) runQuality() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.app.RunQuality(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

// watcher reads a client's signals and remembers every one of them.
type watcher struct {
	t   *testing.T
	c   *client.Client
	got []proto.Signal
}

// next waits for a signal matching ok, reading past the others.
func (w *watcher) next(what string, ok func(proto.Signal) bool) proto.Signal {
	w.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case s := <-w.c.Signals():
			w.got = append(w.got, s)
			if ok(s) {
				return s
			}
		case <-timeout:
			w.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// drain reads what has arrived so far.
func (w *watcher) drain() {
	for {
		select {
		case s := <-w.c.Signals():
			w.got = append(w.got, s)
		default:
			return
		}
	}
}

func (w *watcher) saw(ok func(proto.Signal) bool) bool {
	w.drain()
	for _, s := range w.got {
		if ok(s) {
			return true
		}
	}
	return false
}

func presenceOf(pid, state string) func(proto.Signal) bool {
	return func(s proto.Signal) bool {
		return s.Type == proto.TypePresence && s.Participant != nil && s.Participant.ID == pid && s.State == state
	}
}

func leftOf(pid string) func(proto.Signal) bool {
	return func(s proto.Signal) bool {
		return s.Type == proto.TypeParticipantLeft && s.Participant != nil && s.Participant.ID == pid
	}
}

func joinedOf(pid string) func(proto.Signal) bool {
	return func(s proto.Signal) bool {
		return s.Type == proto.TypeParticipantJoined && s.Participant != nil && s.Participant.ID == pid
	}
}

func ofType(typ string) func(proto.Signal) bool {
	return func(s proto.Signal) bool { return s.Type == typ }
}

// rawResume presents token on a new socket and returns the first message's
// type and, for a close, its reason.
func rawResume(t *testing.T, url, token string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	b, _ := json.Marshal(proto.Signal{Type: proto.TypeResume, Resume: token})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return "", "socket closed: " + err.Error()
		}
		var s proto.Signal
		_ = json.Unmarshal(data, &s)
		if s.Type == proto.TypeClose || s.Type == proto.TypeResumed {
			return s.Type, s.Reason
		}
	}
}

func (s *eventSink) count(typ, sid, pid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.got {
		if e.Type == typ && e.SessionID == sid && e.ParticipantID == pid {
			n++
		}
	}
	return n
}

func (s *eventSink) find(typ, sid, pid string) (events.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.got {
		if e.Type == typ && e.SessionID == sid && e.ParticipantID == pid {
			return e, true
		}
	}
	return events.Event{}, false
}

func videoPackets(c *client.Client) uint64 {
	for _, tr := range c.Tracks() {
		if tr.Kind == "video" {
			return tr.Packets
		}
	}
	return 0
}

// TestResumeAfterSocketDrop: a guest whose WebSocket drops keeps the seat:
// the primary sees reconnecting and connected, never a leave or a join; the
// guest resumes with the secret from joined on the same peer connection,
// media flows on, the secret works once, and the API hears one join, no
// leave, and on the real leave the reconnect count.
func TestResumeAfterSocketDrop(t *testing.T) {
	h := newHarnessWith(t, withNet(10*time.Second, time.Hour))
	h.join(toolmatrix.Customer, "rs", "cust", true)
	prim := h.join(toolmatrix.Primary, "rs", "prim", false)
	guest := h.join(toolmatrix.Guest, "rs", "guest", false)
	receivesMedia(t, "guest", guest)
	pw := &watcher{t: t, c: prim}
	gw := &watcher{t: t, c: guest}
	gw.drain()
	pw.drain()
	pw.got = nil // the guest's first join
	first := guest.ResumeToken()
	if len(first) < 40 {
		t.Fatalf("joined carried no resume token: %q", first)
	}

	guest.DropSignal()
	pw.next("guest reconnecting", presenceOf("guest", proto.PresenceReconnecting))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := guest.Resume(ctx, h.url, ""); err != nil {
		t.Fatal(err)
	}
	resumed := gw.next("resumed", ofType(proto.TypeResumed))
	if resumed.Resume == "" || resumed.Resume == first {
		t.Fatalf("resumed carries no new secret: %q", resumed.Resume)
	}
	if len(resumed.Participants) != 2 || resumed.Participant == nil || resumed.Participant.ID != "guest" {
		t.Fatalf("resumed roster %+v self %+v", resumed.Participants, resumed.Participant)
	}
	pw.next("guest connected", presenceOf("guest", proto.PresenceConnected))
	before := videoPackets(guest)
	waitFor(t, "video after the resume", func() bool { return videoPackets(guest) > before+60 })

	if typ, reason := rawResume(t, h.url, first); typ != proto.TypeClose || reason != proto.ReasonResumeRefused {
		t.Fatalf("used secret: %s %q, want close resume_refused", typ, reason)
	}
	if pw.saw(leftOf("guest")) || pw.saw(joinedOf("guest")) {
		t.Fatal("the primary saw the guest leave or join")
	}
	if n := h.events.count(events.TypeJoined, "rs", "guest"); n != 1 {
		t.Fatalf("API heard %d joins of the guest, want 1", n)
	}
	if h.events.has(events.TypeLeft, "rs", "guest") {
		t.Fatal("API heard a leave of the resumed guest")
	}

	_ = guest.Close()
	waitFor(t, "left event", func() bool { return h.events.has(events.TypeLeft, "rs", "guest") })
	q, ok := h.events.find(events.TypeQuality, "rs", "guest")
	if !ok || q.Quality == nil || q.Quality.Reconnects != 1 {
		t.Fatalf("quality event %+v, want one reconnect", q)
	}
}

// TestResumeRefused: a resume after a removal, an account end or a session
// end is told why, and
// after the grace ran out the seat is gone (one leave, reason left).
func TestResumeRefused(t *testing.T) {
	h := newHarnessWith(t, withNet(700*time.Millisecond, time.Hour))
	h.join(toolmatrix.Customer, "rf", "cust", true)
	prim := h.join(toolmatrix.Primary, "rf", "prim", false)
	pw := &watcher{t: t, c: prim}

	removed := h.join(toolmatrix.Guest, "rf", "removed", false)
	tok := removed.ResumeToken()
	removed.DropSignal()
	pw.next("reconnecting", presenceOf("removed", proto.PresenceReconnecting))
	if ok, err := h.app.Relay().RemoveParticipant("rf", "removed", ""); err != nil || !ok {
		t.Fatalf("remove: %v %v", ok, err)
	}
	if typ, reason := rawResume(t, h.url, tok); reason != proto.ReasonRemoved {
		t.Fatalf("resume after removal: %s %q", typ, reason)
	}

	gone := h.join(toolmatrix.Guest, "rf", "gone", false)
	tok = gone.ResumeToken()
	gone.DropSignal()
	pw.next("reconnecting", presenceOf("gone", proto.PresenceReconnecting))
	if _, err := h.app.Relay().RemoveParticipant("rf", "gone", proto.ReasonAccountEnded); err != nil {
		t.Fatal(err)
	}
	if typ, reason := rawResume(t, h.url, tok); reason != proto.ReasonAccountEnded {
		t.Fatalf("resume after the account ended: %s %q", typ, reason)
	}

	late := h.join(toolmatrix.Secondary, "rf", "late", false)
	tok = late.ResumeToken()
	dropped := time.Now()
	late.DropSignal()
	left := pw.next("left after the grace", leftOf("late"))
	if left.Reason != proto.ReasonLeft {
		t.Fatalf("left with %q", left.Reason)
	}
	waitFor(t, "left event", func() bool { return h.events.has(events.TypeLeft, "rf", "late") })
	// The API records the leave at the drop, not at the grace's end.
	if ev, _ := h.events.find(events.TypeLeft, "rf", "late"); ev.At.Sub(dropped) > 400*time.Millisecond {
		t.Fatalf("left at %v, %v after the drop", ev.At, ev.At.Sub(dropped))
	}
	if typ, reason := rawResume(t, h.url, tok); reason != proto.ReasonResumeRefused {
		t.Fatalf("resume after the grace: %s %q", typ, reason)
	}

	ended := h.join(toolmatrix.Guest, "rf", "ended", false)
	tok = ended.ResumeToken()
	ended.DropSignal()
	if _, err := h.app.Relay().EndSession("rf", ""); err != nil {
		t.Fatal(err)
	}
	if typ, reason := rawResume(t, h.url, tok); reason != proto.ReasonSessionEnded {
		t.Fatalf("resume after the end: %s %q", typ, reason)
	}
}

var ufrag = regexp.MustCompile(`a=ice-ufrag:(\S+)`)

// TestICERestartOverLiveSocket: a restart request gets an offer with new ICE
// credentials, and media flows on over the same peer connection.
func TestICERestartOverLiveSocket(t *testing.T) {
	h := newHarnessWith(t, withNet(10*time.Second, time.Hour))
	h.join(toolmatrix.Customer, "ir", "cust", true)
	guest := h.join(toolmatrix.Guest, "ir", "guest", false)
	receivesMedia(t, "guest", guest)
	gw := &watcher{t: t, c: guest}
	gw.drain()
	var old string
	for _, s := range gw.got {
		if m := ufrag.FindStringSubmatch(s.SDP); s.Type == proto.TypeOffer && m != nil {
			old = m[1]
		}
	}
	if old == "" {
		t.Fatal("no earlier offer seen")
	}
	if err := guest.RequestRestart(); err != nil {
		t.Fatal(err)
	}
	offer := gw.next("restart offer", ofType(proto.TypeOffer))
	m := ufrag.FindStringSubmatch(offer.SDP)
	if m == nil || m[1] == old {
		t.Fatalf("restart offer kept the ICE credentials (%q)", old)
	}
	before := videoPackets(guest)
	waitFor(t, "video after the restart", func() bool { return videoPackets(guest) > before+60 })
}

// TestTWCCNegotiatedForCustomerVideo: the customer's video carries the
// transport-cc extension and gets transport-wide feedback; audio and the
// technicians' connections do not negotiate it.
func TestTWCCNegotiatedForCustomerVideo(t *testing.T) {
	h := newHarnessWith(t, withNet(10*time.Second, time.Hour))
	api, err := client.NewAPIWith(client.APIOptions{TWCC: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cust, err := client.Dial(ctx, client.Options{URL: h.url, Ticket: h.ticket(ticketOpts{kind: toolmatrix.Customer, sid: "tw", pid: "cust"}), Publish: true, API: api})
	if err != nil {
		t.Fatal(err)
	}
	defer cust.Close()
	cw := &watcher{t: t, c: cust}
	offer := cw.next("offer", ofType(proto.TypeOffer))
	for _, sec := range strings.Split(offer.SDP, "\nm=")[1:] {
		has := strings.Contains(sec, "transport-wide-cc") && strings.Contains(sec, "transport-cc")
		if video := strings.HasPrefix(sec, "video"); video != has {
			t.Fatalf("m=%s: transport-cc negotiated %v", strings.SplitN(sec, "\r", 2)[0], has)
		}
	}
	prim := h.join(toolmatrix.Primary, "tw", "prim", false)
	receivesMedia(t, "primary", prim)
	waitFor(t, "transport-cc feedback", func() bool { return cust.TWCCFeedback() > 5 })
	pw := &watcher{t: t, c: prim}
	pw.drain()
	for _, s := range pw.got {
		if s.Type == proto.TypeOffer && strings.Contains(s.SDP, "transport-cc") {
			t.Fatal("a technician's offer negotiates transport-cc")
		}
	}
}

// TestQualityFigures: the primary gets every participant's figures, with
// the bitrate received from the customer; everyone else only their own.
func TestQualityFigures(t *testing.T) {
	h := newHarnessWith(t, withNet(10*time.Second, 300*time.Millisecond))
	h.runQuality()
	cust := h.join(toolmatrix.Customer, "qf", "cust", true)
	prim := h.join(toolmatrix.Primary, "qf", "prim", false)
	guest := h.join(toolmatrix.Guest, "qf", "guest", false)
	receivesMedia(t, "guest", guest)
	pw := &watcher{t: t, c: prim}
	q := pw.next("figures with the customer's bitrate", func(s proto.Signal) bool {
		if s.Type != proto.TypeQuality || len(s.Quality) != 3 {
			return false
		}
		for _, x := range s.Quality {
			if x.ID == "cust" && x.Kbps > 300 && x.State == proto.PresenceConnected {
				return true
			}
		}
		return false
	})
	t.Logf("primary's figures: %+v", q.Quality)
	for name, c := range map[string]*client.Client{"cust": cust, "guest": guest} {
		w := &watcher{t: t, c: c}
		s := w.next(name+"'s figures", ofType(proto.TypeQuality))
		if len(s.Quality) != 1 || s.Quality[0].ID != name {
			t.Fatalf("%s sees figures %+v, want only their own", name, s.Quality)
		}
	}
}

// TestDrainReleasesHeldSeats: a drain does not wait out the grace of a seat
// whose socket is gone (a resume is refused while draining anyway).
func TestDrainReleasesHeldSeats(t *testing.T) {
	h := newHarnessWith(t, withNet(time.Minute, time.Hour))
	prim := h.join(toolmatrix.Primary, "dr", "prim", false)
	held := h.join(toolmatrix.Guest, "dr", "held", false)
	held.DropSignal()
	(&watcher{t: t, c: prim}).next("the seat held", presenceOf("held", proto.PresenceReconnecting))
	_ = prim.Close()
	waitFor(t, "the primary gone", func() bool { return h.app.Relay().Load() == 1 })
	done := make(chan struct{})
	go func() { defer close(done); h.app.Relay().Drain(time.Now().Add(20 * time.Second)) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the drain waits for a held seat")
	}
	if typ, reason := rawResume(t, h.url, held.ResumeToken()); reason != proto.ReasonDraining {
		t.Fatalf("resume while draining: %s %q", typ, reason)
	}
}
