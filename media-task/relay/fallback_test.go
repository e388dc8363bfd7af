package relay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// fakeReader serves stored states from a map and records the reads.
type fakeReader struct {
	mu     sync.Mutex
	states map[string]StoredState
	fail   map[string]error
	reads  []string
}

func (f *fakeReader) SessionState(_ context.Context, sid string) (StoredState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, sid)
	if err := f.fail[sid]; err != nil {
		return StoredState{}, err
	}
	return f.states[sid], nil
}

func (f *fakeReader) set(sid string, st StoredState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states[sid] = st
}

func (f *fakeReader) takeReads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.reads
	f.reads = nil
	slices.Sort(out)
	return out
}

// manualNow is a clock the test moves.
type manualNow struct {
	mu sync.Mutex
	t  time.Time
}

func (m *manualNow) now() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.t }
func (m *manualNow) advance(d time.Duration) {
	m.mu.Lock()
	m.t = m.t.Add(d)
	m.mu.Unlock()
}

func newWorldAt(t *testing.T, now func() time.Time) *world {
	eng := &fakeEngine{peers: map[string]*fakePeer{}}
	tk := fakeTickets{}
	srv, err := NewServer(Config{Engine: eng, Tickets: tk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &world{t: t, srv: srv, eng: eng, tickets: tk}
}

func TestApplyStoredEndsSession(t *testing.T) {
	w := newWorld(t)
	_, a := w.mustJoin(toolmatrix.Primary, "s", "a")
	_, b := w.mustJoin(toolmatrix.Guest, "s", "b")
	_, other := w.mustJoin(toolmatrix.Primary, "o", "p")

	if got := w.srv.ApplyStored("s", StoredState{Ended: true}); got.Ended || got.Disconnected != 0 {
		t.Fatalf("a state not found was applied: %+v", got)
	}
	got := w.srv.ApplyStored("s", StoredState{Found: true, Ended: true, EndReason: "bogus"})
	if !got.Ended || got.Disconnected != 2 {
		t.Fatalf("applied %+v, want the session ended with 2 disconnected", got)
	}
	for _, c := range []*fakeClient{a, b} {
		if r := c.closeReason(); r != proto.ReasonSessionEnded {
			t.Fatalf("close reason %q, want session_ended", r)
		}
	}
	if other.closeReason() != "" {
		t.Fatal("a participant of another session was disconnected")
	}
	if _, _, err := w.join(toolmatrix.Primary, "s", "a"); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("rejoin after the stored end: %v", err)
	}
	if again := w.srv.ApplyStored("s", StoredState{Found: true, Ended: true}); again.Ended || again.Disconnected != 0 {
		t.Fatalf("applied twice: %+v", again)
	}
	if hosted := w.srv.HostedSessions(); !slices.Equal(hosted, []string{"o"}) {
		t.Fatalf("hosted %v, want only the live session", hosted)
	}

	// The stored EndReason is used when it is a contract reason.
	_, c := w.mustJoin(toolmatrix.Primary, "x", "c")
	if got := w.srv.ApplyStored("x", StoredState{Found: true, Ended: true, EndReason: proto.ReasonExpired}); !got.Ended {
		t.Fatalf("applied %+v", got)
	}
	if r := c.closeReason(); r != proto.ReasonExpired {
		t.Fatalf("close reason %q, want expired", r)
	}
}

func TestApplyStoredRemovesAndBans(t *testing.T) {
	w := newWorld(t)
	_, cust := w.mustJoin(toolmatrix.Customer, "s", "cust")
	_, guest := w.mustJoin(toolmatrix.Guest, "s", "guest")

	// A control call already banned "pushed": the stored state does not
	// apply it again.
	if _, err := w.srv.RemoveParticipant("s", "pushed", proto.ReasonRemoved); err != nil {
		t.Fatal(err)
	}
	st := StoredState{Found: true, Removed: map[string]string{
		"guest":  proto.ReasonAccountEnded,
		"away":   proto.ReasonExpired, // not connected: banned for their next join
		"odd":    "",                  // no reason stored: removed
		"pushed": proto.ReasonRemoved,
	}}
	got := w.srv.ApplyStored("s", st)
	if got.Ended || got.Disconnected != 1 || !slices.Equal(got.Removed, []string{"away", "guest", "odd"}) {
		t.Fatalf("applied %+v", got)
	}
	if r := guest.closeReason(); r != proto.ReasonAccountEnded {
		t.Fatalf("guest close reason %q, want account_ended", r)
	}
	if cust.closeReason() != "" {
		t.Fatal("the customer was disconnected")
	}
	// Every later join or reconnect is checked against what was applied.
	for _, pid := range []string{"guest", "away", "odd", "pushed"} {
		if _, _, err := w.join(toolmatrix.Guest, "s", pid); !errors.Is(err, ErrRemoved) {
			t.Fatalf("join of %s after the stored removal: %v", pid, err)
		}
	}
	w.srv.mu.Lock()
	why := w.srv.revoked["s"].banned["odd"]
	w.srv.mu.Unlock()
	if why != proto.ReasonRemoved {
		t.Fatalf("ban reason %q, want removed", why)
	}
	if again := w.srv.ApplyStored("s", st); len(again.Removed) != 0 || again.Disconnected != 0 {
		t.Fatalf("applied twice: %+v", again)
	}
	if _, _, err := w.join(toolmatrix.Secondary, "s", "fresh"); err != nil {
		t.Fatalf("a participant not removed was refused: %v", err)
	}
}

func TestHostedSessionsLinger(t *testing.T) {
	clock := &manualNow{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	w := newWorldAt(t, clock.now)
	p, _ := w.mustJoin(toolmatrix.Primary, "a", "p")
	w.mustJoin(toolmatrix.Primary, "b", "q")
	if h := w.srv.HostedSessions(); !slices.Equal(h, []string{"a", "b"}) {
		t.Fatalf("hosted %v", h)
	}
	p.Leave(proto.ReasonLeft)
	clock.advance(hostLinger - time.Second)
	if h := w.srv.HostedSessions(); !slices.Equal(h, []string{"a", "b"}) {
		t.Fatalf("hosted %v: a session just emptied is still checked", h)
	}
	clock.advance(2 * time.Second)
	if h := w.srv.HostedSessions(); !slices.Equal(h, []string{"b"}) {
		t.Fatalf("hosted %v: a session empty for longer than the linger is not checked", h)
	}
}

func TestCheckerAppliesEachPass(t *testing.T) {
	w := newWorld(t)
	_, guest := w.mustJoin(toolmatrix.Guest, "live", "guest")
	_, prim := w.mustJoin(toolmatrix.Primary, "live", "prim")
	left, _ := w.mustJoin(toolmatrix.Guest, "gone", "g")
	left.Leave(proto.ReasonLeft)
	w.mustJoin(toolmatrix.Primary, "broken", "b")
	rd := &fakeReader{
		states: map[string]StoredState{"live": {Found: true}, "gone": {Found: true}},
		fail:   map[string]error{"broken": errors.New("throttled")},
	}
	ck, err := NewChecker(w.srv, CheckerConfig{Reader: rd, Interval: time.Hour, Logger: w.srv.log})
	if err != nil {
		t.Fatal(err)
	}
	if got := ck.Check(t.Context()); len(got) != 0 {
		t.Fatalf("applied %+v with nothing revoked", got)
	}
	if reads := rd.takeReads(); !slices.Equal(reads, []string{"broken", "gone", "live"}) {
		t.Fatalf("read %v, want every hosted session once", reads)
	}
	rd.set("live", StoredState{Found: true, Removed: map[string]string{"guest": proto.ReasonRemoved}})
	rd.set("gone", StoredState{Found: true, Removed: map[string]string{"g": proto.ReasonExpired}})
	got := ck.Check(t.Context())
	if len(got) != 2 || got["live"].Disconnected != 1 || got["gone"].Disconnected != 0 || !slices.Equal(got["gone"].Removed, []string{"g"}) {
		t.Fatalf("applied %+v", got)
	}
	if r := guest.closeReason(); r != proto.ReasonRemoved {
		t.Fatalf("guest reason %q", r)
	}
	if _, _, err := w.join(toolmatrix.Guest, "gone", "g"); !errors.Is(err, ErrRemoved) {
		t.Fatalf("reconnect after the stored removal: %v", err)
	}
	rd.set("live", StoredState{Found: true, Ended: true, EndReason: proto.ReasonSessionEnded})
	ck.Check(t.Context())
	if r := prim.closeReason(); r != proto.ReasonSessionEnded {
		t.Fatalf("primary reason %q", r)
	}
	rd.takeReads()
	ck.Check(t.Context())
	if reads := rd.takeReads(); slices.Contains(reads, "live") {
		t.Fatalf("read %v: a session known to be ended is read again", reads)
	}
}

func TestCheckerRunStops(t *testing.T) {
	w := newWorld(t)
	_, guest := w.mustJoin(toolmatrix.Guest, "s", "guest")
	rd := &fakeReader{states: map[string]StoredState{"s": {Found: true}}}
	ck, err := NewChecker(w.srv, CheckerConfig{Reader: rd, Interval: 10 * time.Millisecond, Logger: w.srv.log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ck.Run(ctx)
	}()
	rd.set("s", StoredState{Found: true, Removed: map[string]string{"guest": proto.ReasonAccountEnded}})
	deadline := time.Now().Add(20 * time.Second)
	for guest.closeReason() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the running checker did not apply the stored removal")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := guest.closeReason(); r != proto.ReasonAccountEnded {
		t.Fatalf("reason %q", r)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if _, err := NewChecker(w.srv, CheckerConfig{Reader: rd}); err == nil {
		t.Fatal("a checker without an interval was built")
	}
}
