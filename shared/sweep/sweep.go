// Package sweep is the scheduled job that ends guest periods: it deactivates
// guests whose period is over and sends one reminder before the end. Access is
// refused at the end of the period whether or not the sweep has run; the sweep
// makes the guest list and the audit log say so.
package sweep

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Store is the storage the sweep needs.
type Store interface {
	GuestsEndingBy(ctx context.Context, t time.Time) ([]guest.Guest, error)
	Expire(ctx context.Context, g guest.Guest, now time.Time, entry audit.Entry) error
	MarkReminded(ctx context.Context, g guest.Guest, msgs []outbox.Message, entry audit.Entry) error
	Member(ctx context.Context, orgID, userID string) (identity.Member, error)
	Org(ctx context.Context, id string) (identity.Org, error)
}

// Sweeper runs the sweep.
type Sweeper struct {
	disconnect   func(ctx context.Context, orgID, email, reason string) error
	store        Store
	clock        clock.Clock
	reminderDays int
	log          *slog.Logger
}

// New returns a sweeper that reminds each company's guests as many days
// before the end as the company chose (identity.Org.ReminderDays, 0 for no
// reminder), reminderDays when the company cannot be read, and calls
// disconnect (if not nil) for each expired guest's live session seats.
func New(s Store, c clock.Clock, reminderDays int, log *slog.Logger, disconnect func(ctx context.Context, orgID, email, reason string) error) *Sweeper {
	return &Sweeper{store: s, clock: c, reminderDays: reminderDays, log: log, disconnect: disconnect}
}

// Result counts what one run did.
type Result struct {
	Expired  int `json:"expired"`
	Reminded int `json:"reminded"`
}

// Run does one sweep. A guest changed concurrently (extended, ended) is skipped:
// the next run sees the new state.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	now := s.clock.Now()
	// Guests ending within the longest reminder any company may choose;
	// each one's own company decides below whether it is reminded yet.
	horizon := now.Add(time.Duration(max(s.reminderDays, identity.ReminderDaysLimit)) * 24 * time.Hour)
	gs, err := s.store.GuestsEndingBy(ctx, horizon)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var errs []error
	reminderDays := map[string]int{}
	daysOf := func(orgID string) int {
		days, ok := reminderDays[orgID]
		if !ok {
			days = s.reminderDays
			if org, err := s.store.Org(ctx, orgID); err == nil {
				days = org.ReminderDays
			} else {
				s.log.WarnContext(ctx, "company not read for its reminder days; the service's are used", "org", orgID, "err", err)
			}
			reminderDays[orgID] = days
		}
		return days
	}
	for _, g := range gs {
		switch {
		case !now.Before(g.ValidUntil):
			entry := audit.Entry{ID: secret.NewID("a_"), OrgID: g.OrgID, At: now,
				Action: audit.GuestExpired, Target: g.ID, TargetName: g.Name, Details: map[string]string{"validUntil": g.ValidUntil.Format(time.RFC3339)}}.BySystem(audit.SystemActor)
			err := s.store.Expire(ctx, g, now, entry)
			if ok, err := counted(err); ok {
				res.Expired++
				s.log.InfoContext(ctx, "guest expired", "org", g.OrgID, "guest", g.ID)
				if s.disconnect != nil {
					if err := s.disconnect(ctx, g.OrgID, g.Email, "expired"); err != nil {
						errs = append(errs, err)
					}
				}
			} else if err != nil {
				errs = append(errs, err)
			}
		case g.ReminderDue(now, daysOf(g.OrgID)):
			err := s.store.MarkReminded(ctx, g, s.reminders(ctx, g, now), audit.Entry{
				ID: secret.NewID("a_"), OrgID: g.OrgID, At: now, Action: audit.GuestReminded,
				Target: g.ID, TargetName: g.Name, Details: map[string]string{"validUntil": g.ValidUntil.Format(time.RFC3339)},
			}.BySystem(audit.SystemActor))
			if ok, err := counted(err); ok {
				res.Reminded++
			} else if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return res, errors.Join(errs...)
}

// counted tells whether a write happened; a conflict means another writer
// changed the guest first and is not an error.
func counted(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if e := apperr.From(err); e != nil && e.Kind == apperr.Conflict {
		return false, nil
	}
	return false, err
}

func (s *Sweeper) reminders(ctx context.Context, g guest.Guest, now time.Time) []outbox.Message {
	inviter, err := s.store.Member(ctx, g.OrgID, g.InvitedBy)
	data := map[string]string{
		"guestName": g.Name, "guestEmail": g.Email, "orgName": g.OrgName, "inviterName": inviter.Name,
		"validUntil": g.ValidUntil.Format(time.RFC3339),
	}
	// An inviter without a name (or gone) is named by the message catalog.
	// A company read that fails leaves the defaults: a reminder in the
	// default zone beats no reminder.
	org, _ := s.store.Org(ctx, g.OrgID)
	msg := func(to string, k outbox.Kind, lang locale.Lang) outbox.Message {
		return outbox.Message{ID: secret.NewID("m_"), Channel: outbox.Email, Kind: k, To: to,
			Data:  outbox.Localized(data, lang, org.ZoneName()),
			OrgID: g.OrgID, GuestID: g.ID, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	}
	// The guest reads their own language; the inviter, a member, the company's.
	var msgs []outbox.Message
	if !g.MailBlocked() {
		// An address that bounced for good is not mailed again; the
		// inviter's notice still goes out.
		msgs = append(msgs, msg(g.Email, outbox.GuestReminder, g.Language.Or(org.Lang())))
	}
	if err == nil && inviter.Email != "" {
		msgs = append(msgs, msg(inviter.Email, outbox.InviterNotice, org.Lang()))
	}
	return msgs
}
