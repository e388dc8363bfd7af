// Package delivery turns what a provider reports after accepting a message
// (SES delivery, bounce and complaint events; SNS SMS delivery status records)
// into the message's status, and decides which reports stop the address
// from being mailed again. "Sent" only means SES or SNS took the message;
// these reports say whether it reached the person.
//
// The package parses the provider's JSON and holds the rules; the store
// applies the result (shared/store/delivery.go).
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/guestbridge/guestbridge/shared/outbox"
)

// Event is one provider report about one message.
type Event struct {
	Channel outbox.Channel
	// ProviderID is the id SES or SNS returned when it accepted the message.
	ProviderID string
	Status     outbox.Status
	// Reason is the provider's explanation for a bounce, complaint or failed
	// SMS, as the inviter sees it.
	Reason string
	// Permanent: the address itself is bad (a hard bounce) or its owner
	// does not want the mail (a complaint).
	Permanent bool
	At        time.Time
}

// Blocks reports whether the event stops the address from being mailed
// again until it is edited. A transient bounce (mailbox full, greylisting)
// is shown but does not block: the next invitation may well arrive.
func (e Event) Blocks() bool {
	return e.Channel == outbox.Email && e.Permanent && (e.Status == outbox.Bounced || e.Status == outbox.Complained)
}

// rank orders the statuses a message moves through after it was sent.
// Reports arrive out of order (a complaint can come days after the
// delivery, SNS retries deliver duplicates); a report may only move a
// message forward, so a late "delivered" never hides a bounce.
var rank = map[outbox.Status]int{
	outbox.Sent:       1,
	outbox.Delivered:  2,
	outbox.Failed:     3,
	outbox.Bounced:    3,
	outbox.Complained: 4,
}

// Replaces lists the statuses a message may have for the event's status to
// replace it: the ones ranked lower. The store writes the event on that
// condition, so the order holds under concurrent reports too.
func Replaces(next outbox.Status) []outbox.Status {
	var out []outbox.Status
	for _, s := range []outbox.Status{outbox.Sent, outbox.Delivered, outbox.Failed, outbox.Bounced, outbox.Complained} {
		if rank[s] < rank[next] {
			out = append(out, s)
		}
	}
	return out
}

// ErrUnknownMessage reports an event about a message Guestbridge did not
// record (sent by another application through the same configuration set,
// or older than the references' retention); it is skipped.
var ErrUnknownMessage = errors.New("delivery: unknown provider message")

// ErrStale reports an event that does not move its message forward.
var ErrStale = errors.New("delivery: event older than the message's status")

// Store applies events.
type Store interface {
	// ApplyDelivery writes ev on the message the provider id names and on the
	// guest's current invitation, only if the message's status is one of
	// replaces; if ev.Blocks(), it flags the guest's address. It fails with
	// ErrUnknownMessage or ErrStale.
	ApplyDelivery(ctx context.Context, ev Event, replaces []outbox.Status) error
}

// Apply records events in order and returns how many changed a message.
// Unknown and stale events are skipped; any other error stops the batch, so
// the invocation fails and the provider's retry brings the batch again
// (applying an event twice is a no-op by the rank rule).
func Apply(ctx context.Context, s Store, evs []Event) (int, error) {
	n := 0
	for _, ev := range evs {
		err := s.ApplyDelivery(ctx, ev, Replaces(ev.Status))
		switch {
		case errors.Is(err, ErrUnknownMessage), errors.Is(err, ErrStale):
			continue
		case err != nil:
			return n, err
		}
		n++
	}
	return n, nil
}

// Handle is the delivery function's whole work on one invocation payload. A
// payload that cannot be read would not read on a retry either: it is logged
// for the operator and dropped. A failure to record is returned, so the
// provider's retry brings the payload again.
func Handle(ctx context.Context, s Store, log *slog.Logger, raw []byte) error {
	evs, err := Parse(raw)
	if err != nil {
		log.ErrorContext(ctx, "delivery event not understood", "err", err)
		return nil
	}
	n, err := Apply(ctx, s, evs)
	log.InfoContext(ctx, "delivery events", "received", len(evs), "applied", n, "err", err)
	return err
}
