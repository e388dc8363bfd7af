package signal

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/proto"
)

func TestPresenceCoalesces(t *testing.T) {
	type change struct{ typ, pid string }
	for _, tc := range []struct {
		name    string
		changes []change
		want    []change
	}{
		{"one join", []change{{proto.TypeParticipantJoined, "a"}}, []change{{proto.TypeParticipantJoined, "a"}}},
		{"join then leave keeps the leave", []change{{proto.TypeParticipantJoined, "a"}, {proto.TypeParticipantLeft, "a"}},
			[]change{{proto.TypeParticipantLeft, "a"}}},
		{"leave then rejoin keeps the join", []change{{proto.TypeParticipantLeft, "a"}, {proto.TypeParticipantJoined, "a"}},
			[]change{{proto.TypeParticipantJoined, "a"}}},
		{"order of first change per participant", []change{
			{proto.TypeParticipantJoined, "b"}, {proto.TypeParticipantJoined, "a"}, {proto.TypeParticipantLeft, "b"},
			{proto.TypeParticipantJoined, "c"}, {proto.TypeParticipantLeft, "a"},
		}, []change{{proto.TypeParticipantLeft, "b"}, {proto.TypeParticipantLeft, "a"}, {proto.TypeParticipantJoined, "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPresence()
			for _, c := range tc.changes {
				b, _ := proto.Signal{Type: c.typ, Participant: &proto.Participant{ID: c.pid, Kind: "guest"}}.Encode()
				p.put(c.pid, b)
			}
			var got []change
			for _, b := range p.take() {
				var s proto.Signal
				if err := json.Unmarshal(b, &s); err != nil {
					t.Fatal(err)
				}
				got = append(got, change{s.Type, s.Participant.ID})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
			if p.Len() != 0 || len(p.take()) != 0 {
				t.Fatal("take did not empty the set")
			}
		})
	}
}

// stalledClient is a connection's writer whose client does not read: every
// write blocks until release is closed, and the written messages are
// recorded.
type stalledClient struct {
	*client
	release chan struct{}
	mu      sync.Mutex
	written []proto.Signal
	cancel  context.CancelFunc
}

func newStalledClient(t *testing.T) *stalledClient {
	t.Helper()
	// A real socket pair, for the close handshake at the end.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		for {
			if _, _, err := c.Read(r.Context()); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	conn, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stalledClient{release: make(chan struct{}), cancel: cancel}
	s.client = &client{conn: conn, log: slog.New(slog.NewTextHandler(io.Discard, nil)), out: make(chan []byte, sendQueue),
		presence: newPresence(), closing: make(chan struct{}), done: make(chan struct{})}
	s.writeFn = func(ctx context.Context, b []byte) error {
		<-s.release
		var m proto.Signal
		_ = json.Unmarshal(b, &m)
		s.mu.Lock()
		s.written = append(s.written, m)
		s.mu.Unlock()
		return nil
	}
	go s.writeLoop(ctx)
	t.Cleanup(func() { cancel(); s.once(); <-s.done })
	return s
}

func (s *stalledClient) once() {
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func (s *stalledClient) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	return s.closed
}

// TestSlowClientPresenceIsCoalesced keeps a client from reading while 40
// participants join and leave 100 times each (8000 presence messages, far
// beyond the queue of 128) around a few offers: the client is not dropped,
// and once it reads it gets the offers in order and one message per
// participant with its latest state.
func TestSlowClientPresenceIsCoalesced(t *testing.T) {
	s := newStalledClient(t)
	s.Send(proto.Signal{Type: proto.TypeOffer, SDP: "v=0 first"})
	for round := range 100 {
		for i := range 40 {
			pid := "p" + string(rune('A'+i))
			typ := proto.TypeParticipantJoined
			if (round+i)%2 == 1 {
				typ = proto.TypeParticipantLeft
			}
			s.Send(proto.Signal{Type: typ, Participant: &proto.Participant{ID: pid, Kind: "guest"}})
		}
		if round%25 == 0 {
			s.Send(proto.Signal{Type: proto.TypeOffer, SDP: "v=0 later"})
		}
	}
	if s.isClosed() {
		t.Fatalf("a lagging client was closed (%s)", s.reason)
	}
	s.once()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.written)
		s.mu.Unlock()
		if n >= 1+4+40 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages written", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.written) != 45 {
		t.Fatalf("%d messages written, want 45 (5 offers, 40 presence)", len(s.written))
	}
	if s.written[0].Type != proto.TypeOffer || s.written[0].SDP != "v=0 first" {
		t.Fatalf("first message %+v, want the first offer", s.written[0])
	}
	offers, seen := 0, map[string]bool{}
	for _, m := range s.written {
		switch m.Type {
		case proto.TypeOffer:
			offers++
		case proto.TypeParticipantJoined, proto.TypeParticipantLeft:
			pid := m.Participant.ID
			if seen[pid] {
				t.Fatalf("two presence messages for %s", pid)
			}
			seen[pid] = true
			i := int(pid[1] - 'A')
			want := proto.TypeParticipantJoined
			if (99+i)%2 == 1 {
				want = proto.TypeParticipantLeft
			}
			if m.Type != want {
				t.Fatalf("%s: %s, want its latest state %s", pid, m.Type, want)
			}
		}
	}
	if offers != 5 || len(seen) != 40 {
		t.Fatalf("offers %d, participants %d", offers, len(seen))
	}
}

// TestSlowClientOverflowIsTold fills a stalled client's queue with offers:
// it is closed with the documented client_too_slow, which is the last
// message it gets, never internal_error.
func TestSlowClientOverflowIsTold(t *testing.T) {
	s := newStalledClient(t)
	// One message is taken by the stalled writer, sendQueue wait.
	for range sendQueue + 2 {
		s.Send(proto.Signal{Type: proto.TypeCandidate, Candidate: &proto.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}})
	}
	if !s.isClosed() {
		t.Fatal("overflowing client not closed")
	}
	s.once()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("writer did not finish")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.written[len(s.written)-1]
	if last.Type != proto.TypeClose || last.Reason != proto.ReasonClientTooSlow {
		t.Fatalf("last message %+v, want close client_too_slow", last)
	}
}
