package signal

import (
	"sync"

	"github.com/guestbridge/guestbridge/media-task/proto"
)

// presence holds a connection's presence messages (participant_joined and
// participant_left) apart from its send queue, coalesced to the latest state
// of each participant: a client that lags while people come and go gets one
// message per participant once it catches up, instead of every change
// filling its queue until it must be dropped.
type presence struct {
	mu      sync.Mutex
	order   []string // participant IDs in the order of their first pending change
	latest  map[string][]byte
	pending chan struct{} // holds a token while latest is not empty
}

func newPresence() *presence {
	return &presence{latest: map[string][]byte{}, pending: make(chan struct{}, 1)}
}

// isPresence reports whether s is a presence message keyed by a participant.
func isPresence(s proto.Signal) bool {
	return (s.Type == proto.TypeParticipantJoined || s.Type == proto.TypeParticipantLeft) && s.Participant != nil
}

// put records the encoded message b as participant pid's latest state.
func (p *presence) put(pid string, b []byte) {
	p.mu.Lock()
	if _, ok := p.latest[pid]; !ok {
		p.order = append(p.order, pid)
	}
	p.latest[pid] = b
	p.mu.Unlock()
	select {
	case p.pending <- struct{}{}:
	default:
	}
}

// take returns the pending messages, oldest participant first, and empties
// the set.
func (p *presence) take() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, 0, len(p.order))
	for _, pid := range p.order {
		out = append(out, p.latest[pid])
	}
	p.order = p.order[:0]
	clear(p.latest)
	return out
}

// Len returns how many participants have a pending change.
func (p *presence) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.order)
}
