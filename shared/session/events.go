package session

import (
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Relay events are signed, but a signed body seen on the wire could be sent
// again: each carries a random id and the time it was sent, and is taken
// only while fresh and only once.
const (
	// EventWindow is how old an event may be when it arrives.
	EventWindow = 60 * time.Second
	// EventSkew is how far in the future an event's sentAt may lie, for
	// clock skew between a relay and the API.
	EventSkew = 10 * time.Second
	// eventIDMin and eventIDMax bound an event id's length: at least 128
	// bits in hex.
	eventIDMin, eventIDMax = 32, 128
)

// Errors of relay events.
var (
	ErrEventStale    = apperr.New(apperr.Unauthorized, "event_stale", "The event was not sent within the last minute.")
	ErrEventReplayed = apperr.New(apperr.Conflict, "event_replayed", "This event was already recorded.")
)

// CheckEvent applies the freshness rules to an event that arrives at now:
// it names an id of at least 128 bits, and was sent within EventWindow
// (and no more than EventSkew ahead).
func CheckEvent(ev Event, now time.Time) error {
	if n := len(ev.ID); n < eventIDMin || n > eventIDMax || !idChars(ev.ID) {
		return apperr.InvalidField("id", "id must be a random identifier of at least 128 bits")
	}
	if ev.SentAt.IsZero() {
		return apperr.InvalidField("sentAt", "sentAt is required")
	}
	if ev.SentAt.After(now.Add(EventSkew)) || now.Sub(ev.SentAt) > EventWindow {
		return ErrEventStale
	}
	return nil
}

// EventForgetAt is when the id of an event accepted at now may be
// forgotten: after it, an event with that id is stale anyway.
func EventForgetAt(now time.Time) time.Time { return now.Add(EventWindow + 2*EventSkew) }

func idChars(s string) bool {
	for _, c := range s {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
