package session

import (
	"context"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// NetSummary is what a participant's connection was like in the session, as
// the relay measured it: how often their seat was resumed after a drop, and
// the worst figures seen. Each stay on a relay reports once, as it ends;
// the record adds the reconnects up and keeps the worst of the figures.
type NetSummary struct {
	Reconnects   int     `json:"reconnects"`
	WorstRTTMs   int64   `json:"worstRttMs"`
	WorstLossPct float64 `json:"worstLossPct"`
	// LowestKbps is the lowest bitrate received from the participant while
	// they published (the customer's camera); zero when they published
	// nothing.
	LowestKbps int64 `json:"lowestKbps"`
}

// IsZero reports whether nothing was measured.
func (n NetSummary) IsZero() bool { return n == NetSummary{} }

// Merge is the record after another stay's summary: reconnects add up, the
// worst figures stay the worst.
func (n NetSummary) Merge(o NetSummary) NetSummary {
	out := NetSummary{
		Reconnects:   n.Reconnects + o.Reconnects,
		WorstRTTMs:   max(n.WorstRTTMs, o.WorstRTTMs),
		WorstLossPct: max(n.WorstLossPct, o.WorstLossPct),
		LowestKbps:   n.LowestKbps,
	}
	if o.LowestKbps > 0 && (out.LowestKbps == 0 || o.LowestKbps < out.LowestKbps) {
		out.LowestKbps = o.LowestKbps
	}
	return out
}

// Limits of a summary the relay may report: beyond them it is not a
// measurement.
const (
	maxReconnects = 10_000
	maxRTTMs      = 600_000
	maxKbps       = 1_000_000
)

func checkNet(n *NetSummary) error {
	switch {
	case n == nil:
		return apperr.InvalidField("quality", "quality is required")
	case n.Reconnects < 0 || n.Reconnects > maxReconnects:
		return apperr.InvalidField("quality", "reconnects must be between 0 and 10000")
	case n.WorstRTTMs < 0 || n.WorstRTTMs > maxRTTMs:
		return apperr.InvalidField("quality", "worstRttMs must be between 0 and 600000")
	case !(n.WorstLossPct >= 0 && n.WorstLossPct <= 100):
		return apperr.InvalidField("quality", "worstLossPct must be between 0 and 100")
	case n.LowestKbps < 0 || n.LowestKbps > maxKbps:
		return apperr.InvalidField("quality", "lowestKbps must be between 0 and 1000000")
	}
	return nil
}

// QualityStore keeps participants' connection summaries.
type QualityStore interface {
	// MarkQuality merges q into the participant's summary on the
	// condition that the event id is new (ErrEventReplayed otherwise); the
	// id is remembered until forgetAt.
	MarkQuality(ctx context.Context, sessionID, participantID string, q NetSummary, eventID string, forgetAt time.Time) error
}

// recordQuality stores a quality event's summary on the participant.
func (s *Service) recordQuality(ctx context.Context, sess Session, ev Event, now time.Time) error {
	if err := checkNet(ev.Quality); err != nil {
		return err
	}
	qs, ok := s.store.(QualityStore)
	if !ok {
		return nil
	}
	return qs.MarkQuality(ctx, sess.ID, ev.ParticipantID, *ev.Quality, ev.ID, EventForgetAt(now))
}
