package rtc

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// rxCounter counts what one published track delivered. Its plain fields
// belong to the track's forwarding goroutine; the atomics are what Stats
// reads.
type rxCounter struct {
	started        bool
	base, high     uint32
	cycles         uint32
	packets, bytes atomic.Uint64
	expected       atomic.Uint64
}

// add counts one received packet.
func (c *rxCounter) add(seq uint16, n int) {
	s := uint32(seq)
	if !c.started {
		c.started = true
		c.base, c.high = s, s
	} else if d := uint16(s - c.high); d != 0 && d < 0x8000 {
		if s < c.high {
			c.cycles++
		}
		c.high = s
	}
	c.packets.Add(1)
	c.bytes.Add(uint64(n))
	c.expected.Store(uint64(c.cycles)<<16 + uint64(c.high) - uint64(c.base) + 1)
}

// peerQuality gathers a peer's figures between two Stats calls.
type peerQuality struct {
	rx [3]rxCounter // by media.Kind
	// rrLoss is the highest fraction lost (of 256) the peer reported for
	// what the relay sends it since the last Stats.
	rrLoss atomic.Uint32

	mu                   sync.Mutex
	lastAt               time.Time
	lastPackets, lastExp uint64
	lastBytes            uint64
}

// noteRR takes the fraction lost of each report block of a receiver report.
func (q *peerQuality) noteRR(pkt []byte) {
	count := int(pkt[0] & 0x1f)
	for i := 0; i < count; i++ {
		off := 8 + 24*i + 4
		if off >= len(pkt) {
			return
		}
		f := uint32(pkt[off])
		for {
			cur := q.rrLoss.Load()
			if f <= cur || q.rrLoss.CompareAndSwap(cur, f) {
				break
			}
		}
	}
}

var _ media.StatsPeer = (*Peer)(nil)

// Stats returns the figures since the previous call.
func (p *Peer) Stats() media.Stats {
	var out media.Stats
	if sp, ok := selectedPair(p.pc.GetStats()); ok {
		out.RTT = time.Duration(sp.CurrentRoundTripTime * float64(time.Second))
	}
	q := &p.q
	var packets, exp, bytes uint64
	for i := range q.rx {
		packets += q.rx[i].packets.Load()
		exp += q.rx[i].expected.Load()
		bytes += q.rx[i].bytes.Load()
	}
	now := time.Now()
	q.mu.Lock()
	dp, de, db := packets-q.lastPackets, exp-q.lastExp, bytes-q.lastBytes
	el := now.Sub(q.lastAt)
	first := q.lastAt.IsZero()
	q.lastAt, q.lastPackets, q.lastExp, q.lastBytes = now, packets, exp, bytes
	q.mu.Unlock()
	if !first && el > 0 {
		out.RecvBitrate = int64(float64(db*8) / el.Seconds())
	}
	rr := q.rrLoss.Swap(0)
	switch {
	case de > 0 && de >= dp:
		out.Loss = float64(de-dp) / float64(de)
	case de == 0:
		out.Loss = float64(rr) / 256
	}
	return out
}

// selectedPair finds the nominated, succeeded candidate pair in a report.
func selectedPair(r webrtc.StatsReport) (webrtc.ICECandidatePairStats, bool) {
	for _, s := range r {
		if cp, ok := s.(webrtc.ICECandidatePairStats); ok && cp.Nominated && cp.State == webrtc.StatsICECandidatePairStateSucceeded {
			return cp, true
		}
	}
	return webrtc.ICECandidatePairStats{}, false
}

// rrBlocks reports whether an RTCP packet (pt) carries receiver report
// blocks the relay reads for loss.
func rrBlocks(pt byte, pkt []byte) bool {
	return pt == 201 && len(pkt) >= 8 && binary.BigEndian.Uint16(pkt[2:4]) > 0
}
