package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Mailer sends one email and returns the provider's id of the message, which
// the provider's later delivery, bounce and complaint events carry.
type Mailer interface {
	SendEmail(ctx context.Context, to, subject, text, html string) (providerID string, err error)
}

// Texter sends one SMS and returns the provider's id of the message, which
// the provider's delivery status records carry.
type Texter interface {
	SendSMS(ctx context.Context, to, body string) (providerID string, err error)
}

// ErrPermanent marks a delivery failure that retrying cannot fix, such as a
// rejected address. Adapters wrap such errors with it.
var ErrPermanent = errors.New("permanent delivery failure")

// ErrNotFound reports an unknown message id.
var ErrNotFound = errors.New("outbox: no such message")

// ErrClaimed reports a message another sender has claimed or finished.
var ErrClaimed = errors.New("outbox: message claimed elsewhere")

// Store is the storage the sender needs.
type Store interface {
	DueMessages(ctx context.Context, now time.Time, limit int) ([]Message, error)
	Message(ctx context.Context, id string) (Message, error)
	// Claim takes a queued message for one attempt until leaseUntil; it fails
	// with ErrClaimed if another sender got there first.
	Claim(ctx context.Context, m Message, leaseUntil, now time.Time) (Message, error)
	// Delivered records the handover to the provider; providerID ties the
	// provider's later events to the message.
	Delivered(ctx context.Context, m Message, providerID string, at time.Time) error
	Retry(ctx context.Context, m Message, next time.Time, reason string, at time.Time) error
	Fail(ctx context.Context, m Message, reason string, at time.Time, entry audit.Entry) error
	// Backlog counts the messages not yet handed to a provider and returns
	// the creation time of the oldest (zero when there are none).
	Backlog(ctx context.Context) (n int, oldest time.Time, err error)
}

// Sender delivers outbox messages.
type Sender struct {
	store     Store
	mail      Mailer
	text      Texter
	clock     clock.Clock
	sealKey   []byte
	publicURL string
	log       *slog.Logger
}

// NewSender returns a sender. publicURL is the web client's base URL, used to
// build invitation links.
func NewSender(s Store, m Mailer, t Texter, c clock.Clock, sealKey []byte, publicURL string, log *slog.Logger) *Sender {
	return &Sender{store: s, mail: m, text: t, clock: c, sealKey: sealKey, publicURL: publicURL, log: log}
}

// lease is how long one attempt may take before another sender may retry.
const lease = 2 * time.Minute

// DeliverDue delivers every message whose attempt is due, and returns how many
// were sent.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	due, err := s.store.DueMessages(ctx, s.clock.Now(), 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, m := range due {
		ok, err := s.deliver(ctx, m)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// Deliver delivers one message by id if it is still queued and due.
func (s *Sender) Deliver(ctx context.Context, id string) error {
	m, err := s.store.Message(ctx, id)
	if err != nil {
		return err
	}
	if m.Status != Queued || m.NextAttemptAt.After(s.clock.Now()) {
		return nil
	}
	_, err = s.deliver(ctx, m)
	return err
}

// deliver makes one attempt. Delivery failures are recorded on the message,
// not returned: only failures to record are errors.
func (s *Sender) deliver(ctx context.Context, m Message) (bool, error) {
	now := s.clock.Now()
	m, err := s.store.Claim(ctx, m, now.Add(lease), now)
	if errors.Is(err, ErrClaimed) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	providerID, sendErr := s.send(ctx, m)
	now = s.clock.Now()
	if sendErr == nil {
		s.log.InfoContext(ctx, "message delivered", "message", m.ID, "channel", m.Channel, "kind", m.Kind, "attempt", m.Attempts)
		return true, s.store.Delivered(ctx, m, providerID, now)
	}
	reason := sendErr.Error()
	if errors.Is(sendErr, ErrPermanent) || m.Attempts >= MaxAttempts {
		s.log.WarnContext(ctx, "message failed", "message", m.ID, "channel", m.Channel, "attempt", m.Attempts, "err", reason)
		entry := audit.Entry{ID: secret.NewID("a_"), OrgID: m.OrgID, At: now,
			Action: audit.MessageFailed, Target: m.GuestID, TargetName: m.Data["guestName"], Details: map[string]string{"channel": string(m.Channel), "reason": reason}}.BySystem(audit.SystemActor)
		return false, s.store.Fail(ctx, m, reason, now, entry)
	}
	next := now.Add(Backoff(m.Attempts))
	s.log.WarnContext(ctx, "message attempt failed, will retry", "message", m.ID, "channel", m.Channel,
		"attempt", m.Attempts, "next", next, "err", reason)
	return false, s.store.Retry(ctx, m, next, reason, now)
}

func (s *Sender) send(ctx context.Context, m Message) (string, error) {
	link := ""
	if m.SealedToken != "" {
		tok, err := secret.Open(s.sealKey, m.SealedToken)
		if err != nil {
			return "", fmt.Errorf("%w: the sealed link cannot be opened with this key", ErrPermanent)
		}
		link = s.publicURL + m.Kind.LinkPath() + "#" + tok
	}
	r, err := Render(m.Channel, m.Kind, m.Data, link)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	switch m.Channel {
	case Email:
		return s.mail.SendEmail(ctx, m.To, r.Subject, r.Text, r.HTML)
	case SMS:
		return s.text.SendSMS(ctx, m.To, r.Text)
	}
	return "", fmt.Errorf("%w: unknown channel %q", ErrPermanent, m.Channel)
}

// Backlog is the queue the sender has not worked off: how many messages wait
// for a provider and since when the oldest has waited. The scheduled run
// publishes it as a metric, so an alarm fires when mail stops going out.
func (s *Sender) Backlog(ctx context.Context) (n int, oldestAge time.Duration, err error) {
	n, oldest, err := s.store.Backlog(ctx)
	if err != nil || oldest.IsZero() {
		return n, 0, err
	}
	return n, s.clock.Now().Sub(oldest), nil
}
