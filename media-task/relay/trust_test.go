package relay

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/ticket"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// joinTicket joins with a ticket as given.
func (w *world) joinTicket(tk ticket.Ticket) (*Participant, *fakeClient, error) {
	w.n++
	tk.ID = tk.ParticipantID + tk.SessionID + time.Now().String() + string(rune('a'+w.n%26))
	w.tickets[tk.ID] = tk
	c := &fakeClient{}
	p, err := w.srv.Join(tk.ID, c)
	return p, c, err
}

var (
	chatVideo = []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Video}
	chatOnly  = []toolmatrix.Tool{toolmatrix.Chat}
)

// TestJoinToolsFromTicket: a joining participant gets the tools its ticket
// carries, less what a tool switch this relay received took away; never
// the kind's full set, which is what a relay without memory gave back.
func TestJoinToolsFromTicket(t *testing.T) {
	cases := []struct {
		name     string
		ticket   []toolmatrix.Tool
		switched []toolmatrix.Tool // nil: no switch reached this relay
		want     []toolmatrix.Tool
	}{
		{"ticket only", chatOnly, nil, chatOnly},
		{"nothing on the ticket", []toolmatrix.Tool{}, nil, []toolmatrix.Tool{}},
		{"switched off after the ticket", chatVideo, chatOnly, chatOnly},
		{"switched on but not in the ticket", chatOnly, chatVideo, chatOnly},
		{"ticket beyond the kind", []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Record}, nil, chatOnly},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.switched != nil {
				if _, _, err := w.srv.SetTools("s", "g", tc.switched); err != nil {
					t.Fatal(err)
				}
			}
			p, c, err := w.joinTicket(ticket.Ticket{SessionID: "s", ParticipantID: "g", Kind: toolmatrix.Guest, Tools: tc.ticket})
			if err != nil {
				t.Fatal(err)
			}
			joined, _ := c.last(proto.TypeJoined)
			if !slices.Equal(p.Tools(), tc.want) || !slices.Equal(joined.Tools, tc.want) {
				t.Fatalf("tools %v (joined message %v), want %v", p.Tools(), joined.Tools, tc.want)
			}
		})
	}
}

// TestApplyStoredTools: the periodic check switches a connected
// participant's tools to the stored ones when the control call was lost,
// once, and never undoes a switch that arrived after its read began.
func TestApplyStoredTools(t *testing.T) {
	clock := &manualNow{t: time.Unix(1_800_000_000, 0)}
	w := newWorldAt(t, clock.now)
	p, _, err := w.joinTicket(ticket.Ticket{SessionID: "s", ParticipantID: "g", Kind: toolmatrix.Guest, Tools: chatVideo})
	if err != nil {
		t.Fatal(err)
	}
	// What the participant holds already is not switched again.
	if same := w.srv.ApplyStored("s", StoredState{Found: true, ReadAt: clock.now(), Tools: map[string][]toolmatrix.Tool{"g": chatVideo}}); len(same.Tools) != 0 {
		t.Fatalf("switched tools the participant already holds: %+v", same)
	}
	st := StoredState{Found: true, ReadAt: clock.now(), Tools: map[string][]toolmatrix.Tool{"g": chatOnly, "away": {}}}
	got := w.srv.ApplyStored("s", st)
	if !slices.Equal(got.Tools, []string{"away", "g"}) || !slices.Equal(p.Tools(), chatOnly) {
		t.Fatalf("applied %+v, tools %v; want g switched to chat only", got, p.Tools())
	}
	// "away" joins later with a ticket minted before the switch: still off.
	a, _, err := w.joinTicket(ticket.Ticket{SessionID: "s", ParticipantID: "away", Kind: toolmatrix.Guest, Tools: chatVideo})
	if err != nil || len(a.Tools()) != 0 {
		t.Fatalf("away joined with %v (%v), want no tools", a.Tools(), err)
	}
	clock.advance(time.Second)
	if again := w.srv.ApplyStored("s", StoredState{Found: true, ReadAt: clock.now(), Tools: st.Tools}); len(again.Tools) != 0 {
		t.Fatalf("applied the same state twice: %+v", again)
	}

	// A read that began before a control call switched video back on is
	// older than the switch and leaves it alone.
	readAt := clock.now()
	clock.advance(time.Second)
	if _, _, err := w.srv.SetTools("s", "g", chatVideo); err != nil {
		t.Fatal(err)
	}
	if stale := w.srv.ApplyStored("s", StoredState{Found: true, ReadAt: readAt, Tools: st.Tools}); len(stale.Tools) != 0 || !slices.Equal(p.Tools(), chatVideo) {
		t.Fatalf("a stale read undid a newer switch: %+v, tools %v", stale, p.Tools())
	}
}

// TestSeatHeldByOneDevice: while a participant is connected from one seat
// (a device of a reusable link), a ticket of another seat is refused; the
// same seat reconnects, replacing its old connection; once the seat's
// device has left another may take it.
func TestSeatHeldByOneDevice(t *testing.T) {
	w := newWorld(t)
	cust := func(seat string) (*Participant, *fakeClient, error) {
		return w.joinTicket(ticket.Ticket{SessionID: "s", ParticipantID: "c", Kind: toolmatrix.Customer, Tools: toolmatrix.Tools(toolmatrix.Customer), Seat: seat})
	}
	_, first, err := cust("phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cust("laptop"); !errors.Is(err, ErrSeatTaken) || Reason(err) != proto.ReasonSeatTaken {
		t.Fatalf("second device: %v, want seat taken", err)
	}
	if _, _, err := cust(""); !errors.Is(err, ErrSeatTaken) {
		t.Fatalf("ticket without a seat: %v, want seat taken", err)
	}
	if first.closeReason() != "" {
		t.Fatalf("the first device was disconnected: %q", first.closeReason())
	}
	again, _, err := cust("phone")
	if err != nil {
		t.Fatalf("reconnect of the same device: %v", err)
	}
	if first.closeReason() != proto.ReasonReplaced {
		t.Fatalf("old connection reason %q, want replaced", first.closeReason())
	}
	again.Leave(proto.ReasonLeft)
	if _, _, err := cust("laptop"); err != nil {
		t.Fatalf("another device after the first left: %v", err)
	}
}

func TestCandidateAllowed(t *testing.T) {
	cases := []struct {
		addr               string
		onLoopback, remote bool // allowed to a relay on loopback, to one that is not
	}{
		{"203.0.113.7", true, true},
		{"10.0.0.5", true, true},
		{"2001:db8::1", true, true},
		{"127.0.0.1", true, false},
		{"127.8.9.1", true, false},
		{"::1", true, false},
		{"::ffff:127.0.0.1", true, false},
		{"169.254.10.20", false, false},
		{"::ffff:169.254.1.1", false, false},
		{"fe80::1", false, false},
		{"fe80::1%eth0", false, false},
		{"febf::1", false, false},
		{"fec0::1", true, true},
		{"0.0.0.0", true, false},
		{"::", true, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		if got := CandidateAllowed(a, true); got != tc.onLoopback {
			t.Errorf("%s to a relay on loopback: %v, want %v", tc.addr, got, tc.onLoopback)
		}
		if got := CandidateAllowed(a, false); got != tc.remote {
			t.Errorf("%s to a relay not on loopback: %v, want %v", tc.addr, got, tc.remote)
		}
	}
}

func TestCandidateLines(t *testing.T) {
	cases := []struct {
		line string
		want bool // allowed to a relay not on loopback
	}{
		{"candidate:1 1 udp 2130706431 203.0.113.7 50000 typ host", true},
		{"a=candidate:1 1 udp 2130706431 169.254.3.4 50000 typ host", false},
		{"candidate:2 1 udp 2130706431 fe80::aa:bb 50000 typ host", false},
		{"candidate:3 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active", false},
		{"candidate:4 1 udp 1686052607 198.51.100.2 61000 typ srflx raddr 127.0.0.1 rport 5000", true},
		{"candidate:5 1 udp 2130706431 3c6f1a.local 50000 typ host", true}, // mDNS: nothing to judge
		{"candidate:6 1 udp", true}, // malformed: the peer refuses it
	}
	for _, tc := range cases {
		if got := candidateAllowed(tc.line, false); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.line, got, tc.want)
		}
	}
	sdp := "v=0\r\na=candidate:1 1 udp 1 203.0.113.7 5 typ host\r\na=candidate:2 1 udp 1 169.254.0.9 5 typ host\r\na=candidate:3 1 udp 1 127.0.0.1 5 typ host\r\na=end\r\n"
	got, dropped := filterSDPCandidates(sdp, false)
	if dropped != 2 || got != "v=0\r\na=candidate:1 1 udp 1 203.0.113.7 5 typ host\r\na=end\r\n" {
		t.Fatalf("filtered %d: %q", dropped, got)
	}
	if got, dropped := filterSDPCandidates(sdp, true); dropped != 1 || got == sdp {
		t.Fatalf("on loopback filtered %d: %q", dropped, got)
	}
}

// TestTrickledCandidatesFiltered: the relay hands a trickled candidate to
// its peer only when the rule allows it.
func TestTrickledCandidatesFiltered(t *testing.T) {
	for _, onLoopback := range []bool{false, true} {
		eng := &fakeEngine{peers: map[string]*fakePeer{}}
		tk := fakeTickets{}
		srv, err := NewServer(Config{Engine: eng, Tickets: tk, RelayOnLoopback: onLoopback})
		if err != nil {
			t.Fatal(err)
		}
		w := &world{t: t, srv: srv, eng: eng, tickets: tk}
		p, _ := w.mustJoin(toolmatrix.Secondary, "s", "x")
		for _, c := range []string{
			"candidate:1 1 udp 2130706431 203.0.113.7 50000 typ host",
			"candidate:2 1 udp 2130706431 169.254.3.4 50000 typ host",
			"candidate:3 1 udp 2130706431 127.0.0.1 50000 typ host",
		} {
			p.HandleSignal(proto.Signal{Type: proto.TypeCandidate, Candidate: &proto.Candidate{Candidate: c}})
		}
		want := 1
		if onLoopback {
			want = 2
		}
		if got := eng.peer("s/x").candidates(); got != want {
			t.Errorf("relay on loopback %v: %d candidates reached the peer, want %d", onLoopback, got, want)
		}
		srv.Close()
	}
}
