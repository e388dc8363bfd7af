package relay

import (
	"context"
	"math"
	"time"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// DefaultQualityInterval is how often connection figures are sent.
const DefaultQualityInterval = 3 * time.Second

// QualityEvents is an Events that also keeps each participant's
// QualitySummary in the session's record; it is told once, when the
// participant leaves, before Left. It must not block.
type QualityEvents interface {
	Quality(sessionID, participantID string, q proto.QualitySummary, at time.Time)
}

// worst accumulates a participant's worst figures; guarded by netState.mu.
type worst struct {
	rttMs   int64
	lossPct float64
	lowKbps int64
	samples int
}

func (w *worst) add(q proto.Quality) {
	w.samples++
	w.rttMs = max(w.rttMs, q.RTTMs)
	w.lossPct = max(w.lossPct, q.LossPct)
	if q.Kbps > 0 && (w.lowKbps == 0 || q.Kbps < w.lowKbps) {
		w.lowKbps = q.Kbps
	}
}

// RunQuality measures every participant's connection each interval (zero
// means DefaultQualityInterval) until ctx ends, and sends the figures over
// signaling: the primary sees everyone's, every other participant their
// own.
func (s *Server) RunQuality(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultQualityInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.QualityPass()
		}
	}
}

// QualityPass measures and sends the figures once.
func (s *Server) QualityPass() {
	s.mu.Lock()
	var sessions [][]*Participant
	for _, sess := range s.sessions {
		sessions = append(sessions, sess.othersLocked(nil))
	}
	s.mu.Unlock()
	for _, ps := range sessions {
		all := make([]proto.Quality, 0, len(ps))
		for _, p := range ps {
			all = append(all, p.measure())
		}
		for i, p := range ps {
			if p.kind == toolmatrix.Primary {
				p.client.Send(proto.Signal{Type: proto.TypeQuality, Quality: all})
			} else {
				p.client.Send(proto.Signal{Type: proto.TypeQuality, Quality: all[i : i+1]})
			}
		}
	}
}

// measure takes the participant's figures since the last pass and keeps the
// worst.
func (p *Participant) measure() proto.Quality {
	q := proto.Quality{ID: p.id, State: proto.PresenceConnected}
	if st, ok := p.peer.(media.StatsPeer); ok {
		f := st.Stats()
		q.RTTMs = f.RTT.Milliseconds()
		q.LossPct = math.Round(f.Loss*1000) / 10
		q.Kbps = f.RecvBitrate / 1000
	}
	if p.presence() == proto.PresenceReconnecting {
		q.State = proto.PresenceReconnecting
		q.Kbps = 0
		return q
	}
	p.net.mu.Lock()
	p.net.worst.add(q)
	p.net.mu.Unlock()
	return q
}

// summary is the participant's QualitySummary so far; p.net.mu must be
// held.
func (p *Participant) summaryLocked() proto.QualitySummary {
	return proto.QualitySummary{
		Reconnects: p.net.reconnects, WorstRTTMs: p.net.worst.rttMs,
		WorstLossPct: p.net.worst.lossPct, LowestKbps: p.net.worst.lowKbps,
	}
}
