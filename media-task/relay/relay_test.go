package relay

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/ticket"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// These tests drive the domain through hand-written fakes of the media
// engine and the client: they check rules, not WebRTC (the app package
// tests the whole relay with real peers).

type fakeTickets map[string]ticket.Ticket

func (f fakeTickets) Join(token string) (ticket.Ticket, error) {
	t, ok := f[token]
	if !ok {
		return ticket.Ticket{}, ticket.ErrInvalid
	}
	return t, nil
}

type fakeEngine struct {
	mu    sync.Mutex
	peers map[string]*fakePeer
}

func (e *fakeEngine) NewPeer(cfg media.PeerConfig, ev media.PeerEvents) (media.Peer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := &fakePeer{cfg: cfg, ev: ev}
	e.peers[cfg.ID] = p
	return p, nil
}

func (e *fakeEngine) peer(id string) *fakePeer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.peers[id]
}

type fakePeer struct {
	cfg    media.PeerConfig
	ev     media.PeerEvents
	mu     sync.Mutex
	data   [][]byte
	subs   []*fakeSub
	closed bool
	cands  int
}

func (p *fakePeer) Start() error           { return nil }
func (p *fakePeer) SetAnswer(string) error { return nil }
func (p *fakePeer) AddCandidate(proto.Candidate) error {
	p.mu.Lock()
	p.cands++
	p.mu.Unlock()
	return nil
}
func (p *fakePeer) candidates() int { p.mu.Lock(); defer p.mu.Unlock(); return p.cands }
func (p *fakePeer) SendData(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.data = append(p.data, append([]byte(nil), b...))
	return nil
}
func (p *fakePeer) Subscribe(t media.Track) (media.Subscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &fakeSub{track: t, enabled: true}
	p.subs = append(p.subs, s)
	return s, nil
}
func (p *fakePeer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
func (p *fakePeer) messages() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, b := range p.data {
		out = append(out, string(b))
	}
	return out
}

type fakeSub struct {
	track   media.Track
	mu      sync.Mutex
	enabled bool
	closed  bool
}

func (s *fakeSub) SetEnabled(on bool) { s.mu.Lock(); s.enabled = on; s.mu.Unlock() }
func (s *fakeSub) Close() error       { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

type fakeTrack struct {
	kind    media.Kind
	mu      sync.Mutex
	enabled bool
}

func (t *fakeTrack) ID() string         { return "t" }
func (t *fakeTrack) Kind() media.Kind   { return t.kind }
func (t *fakeTrack) SetEnabled(on bool) { t.mu.Lock(); t.enabled = on; t.mu.Unlock() }
func (t *fakeTrack) RequestKeyframe()   {}
func (t *fakeTrack) isEnabled() bool    { t.mu.Lock(); defer t.mu.Unlock(); return t.enabled }

type fakeClient struct {
	mu     sync.Mutex
	sent   []proto.Signal
	reason string
}

func (c *fakeClient) Send(s proto.Signal) { c.mu.Lock(); c.sent = append(c.sent, s); c.mu.Unlock() }
func (c *fakeClient) Close(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == "" {
		c.reason = reason
	}
}
func (c *fakeClient) closeReason() string { c.mu.Lock(); defer c.mu.Unlock(); return c.reason }
func (c *fakeClient) last(typ string) (proto.Signal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.sent) - 1; i >= 0; i-- {
		if c.sent[i].Type == typ {
			return c.sent[i], true
		}
	}
	return proto.Signal{}, false
}

type world struct {
	t       *testing.T
	srv     *Server
	eng     *fakeEngine
	tickets fakeTickets
	n       int
}

func newWorld(t *testing.T) *world {
	eng := &fakeEngine{peers: map[string]*fakePeer{}}
	tk := fakeTickets{}
	srv, err := NewServer(Config{Engine: eng, Tickets: tk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ToolRate: 1, ToolBurst: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &world{t: t, srv: srv, eng: eng, tickets: tk}
}

func (w *world) join(kind toolmatrix.Kind, sid, pid string) (*Participant, *fakeClient, error) {
	w.n++
	tok := string(rune('a'+w.n%26)) + pid + sid + time.Now().String()
	w.tickets[tok] = ticket.Ticket{ParticipantID: pid, SessionID: sid, Kind: kind, ID: tok, Tools: toolmatrix.Tools(kind)}
	c := &fakeClient{}
	p, err := w.srv.Join(tok, c)
	return p, c, err
}

func (w *world) mustJoin(kind toolmatrix.Kind, sid, pid string) (*Participant, *fakeClient) {
	w.t.Helper()
	p, c, err := w.join(kind, sid, pid)
	if err != nil {
		w.t.Fatalf("join %s: %v", pid, err)
	}
	return p, c
}

func TestRevocationsApplyBeforeJoin(t *testing.T) {
	w := newWorld(t)
	if _, _, err := w.srv.SetTools("s", "g", []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Notes}); err != nil {
		t.Fatal(err)
	}
	_, c := w.mustJoin(toolmatrix.Guest, "s", "g")
	joined, _ := c.last(proto.TypeJoined)
	if !slices.Equal(joined.Tools, []toolmatrix.Tool{toolmatrix.Chat}) {
		t.Fatalf("tools at join %v, want only chat (notes is beyond a guest)", joined.Tools)
	}

	if _, err := w.srv.RemoveParticipant("s", "x", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.join(toolmatrix.Secondary, "s", "x"); !errors.Is(err, ErrRemoved) {
		t.Fatalf("banned join: %v", err)
	}
	if _, err := w.srv.EndSession("other", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.join(toolmatrix.Primary, "other", "p"); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("join to ended session: %v", err)
	}
	if _, err := w.srv.EndSession("s", "whatever"); !errors.Is(err, ErrBadReason) {
		t.Fatalf("bad reason: %v", err)
	}
	if _, _, err := w.srv.SetTools("s", "g", []toolmatrix.Tool{"teleport"}); !errors.Is(err, ErrBadTool) {
		t.Fatalf("bad tool: %v", err)
	}
}

func TestReconnectReplacesOldConnection(t *testing.T) {
	w := newWorld(t)
	_, old := w.mustJoin(toolmatrix.Secondary, "s", "p")
	_, fresh := w.mustJoin(toolmatrix.Secondary, "s", "p")
	if r := old.closeReason(); r != proto.ReasonReplaced {
		t.Fatalf("old connection reason %q", r)
	}
	if fresh.closeReason() != "" || w.srv.Load() != 1 {
		t.Fatalf("new connection closed (%q) or load %d", fresh.closeReason(), w.srv.Load())
	}
}

func TestExpiredTicketRefused(t *testing.T) {
	w := newWorld(t)
	w.tickets["tok"] = ticket.Ticket{ParticipantID: "g", SessionID: "s", Kind: toolmatrix.Guest, Until: time.Now().Add(-time.Second)}
	if _, err := w.srv.Join("tok", &fakeClient{}); !errors.Is(err, ErrExpired) || Reason(err) != proto.ReasonExpired {
		t.Fatalf("err %v", err)
	}
	if _, err := w.srv.Join("nope", &fakeClient{}); Reason(err) != proto.ReasonTicketInvalid {
		t.Fatalf("unknown ticket: %v", err)
	}
}

func TestMediaFollowsTools(t *testing.T) {
	w := newWorld(t)
	w.mustJoin(toolmatrix.Customer, "s", "c")
	w.mustJoin(toolmatrix.Guest, "s", "g")
	cust, guest := w.eng.peer("s/c"), w.eng.peer("s/g")
	if !cust.cfg.PublishVideo || !cust.cfg.PublishAudio || guest.cfg.PublishVideo || !guest.cfg.PublishAudio {
		t.Fatalf("publish config customer %+v guest %+v", cust.cfg, guest.cfg)
	}
	video := &fakeTrack{kind: media.Video}
	cust.ev.Track(video)
	if !video.isEnabled() || len(guest.subs) != 1 {
		t.Fatalf("video enabled %v, guest subscriptions %d", video.isEnabled(), len(guest.subs))
	}
	// The guest's video switched off: their subscription stops.
	if _, _, err := w.srv.SetTools("s", "g", []toolmatrix.Tool{toolmatrix.Chat}); err != nil {
		t.Fatal(err)
	}
	if guest.subs[0].enabled {
		t.Fatal("guest still receives video with video off")
	}
	// The customer's video switched off: the track stops for everyone.
	if _, _, err := w.srv.SetTools("s", "c", []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Mic}); err != nil {
		t.Fatal(err)
	}
	if video.isEnabled() {
		t.Fatal("customer video still forwarded with video off")
	}
	// A late joiner subscribes to the existing track.
	w.mustJoin(toolmatrix.Primary, "s", "p")
	if n := len(w.eng.peer("s/p").subs); n != 1 {
		t.Fatalf("late joiner has %d subscriptions", n)
	}
	// The publisher leaves: every subscription to its track closes.
	cust.ev.TrackEnded(video)
	if !guest.subs[0].closed || !w.eng.peer("s/p").subs[0].closed {
		t.Fatal("subscriptions survive the ended track")
	}
}

func TestToolRateLimit(t *testing.T) {
	w := newWorld(t)
	w.mustJoin(toolmatrix.Primary, "s", "p")
	w.mustJoin(toolmatrix.Secondary, "s", "q")
	p, q := w.eng.peer("s/p"), w.eng.peer("s/q")
	for range 10 {
		p.ev.Data([]byte(`{"tool":"chat","text":"x"}`))
	}
	if n := len(q.messages()); n != 3 {
		t.Fatalf("%d messages forwarded, want the burst of 3", n)
	}
	var limited int
	for _, m := range p.messages() {
		var e struct{ Error proto.ToolError }
		_ = json.Unmarshal([]byte(m), &e)
		if e.Error.Code == proto.CodeRateLimited {
			limited++
		}
	}
	if limited != 1 {
		t.Fatalf("%d rate_limited replies, want 1 per second", limited)
	}
}

func TestDrainAndClose(t *testing.T) {
	w := newWorld(t)
	_, c := w.mustJoin(toolmatrix.Primary, "s", "p")
	w.srv.Drain(time.Now().Add(50 * time.Millisecond))
	if _, ok := c.last(proto.TypeDraining); !ok {
		t.Fatal("no draining message")
	}
	if r := c.closeReason(); r != proto.ReasonShutdown {
		t.Fatalf("reason %q", r)
	}
	if _, _, err := w.join(toolmatrix.Primary, "s", "late"); !errors.Is(err, ErrDraining) {
		t.Fatalf("join while draining: %v", err)
	}
	w.srv.Close()
	if _, _, err := w.join(toolmatrix.Primary, "s", "later"); !errors.Is(err, ErrClosed) {
		t.Fatalf("join after close: %v", err)
	}
}
