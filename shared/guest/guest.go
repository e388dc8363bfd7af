// Package guest holds the rules of guest accounts on cases: who may be invited,
// for how long, through which links, and when access ends.
//
// A guest has a profile that is never deleted (deactivated guests stay listed
// and can be re-invited) and, once they accept, a grant that carries a TTL. The
// rules here never rely on the TTL: every decision compares the period's end
// with the clock.
package guest

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/plaintext"
)

// Status is what the guest list shows for a guest.
type Status string

// Statuses.
const (
	Pending     Status = "pending"     // invited, not yet accepted
	Active      Status = "active"      // accepted, switched on, within the period
	Inactive    Status = "inactive"    // switched off by an admin; can be switched on again
	Deactivated Status = "deactivated" // ended by hand, by expiry or declined
)

// End reasons.
const (
	EndedByHand = "ended"
	Expired     = "expired"
	Declined    = "declined"
)

// Link lifetimes. The SMS link is valid for 24 hours (seed 000); an email link
// is valid for a week, and never beyond the period.
const (
	SMSLinkTTL   = 24 * time.Hour
	EmailLinkTTL = 7 * 24 * time.Hour
)

// Guest is a guest's profile in one organisation.
type Guest struct {
	ID       string
	OrgID    string
	OrgName  string // the host company, denormalised for listings
	UserID   string // set when the guest accepts
	Email    string
	Name     string
	Phone    string
	Channels []outbox.Channel
	Kind     access.GuestKind // case guest or guest of the company
	// Language is what the guest's emails and SMS are written in, chosen at
	// invitation; empty for guests invited before languages existed.
	Language locale.Lang
	CaseIDs  []string // for case guests
	// For company guests: the role, the workspace scope and the privileges
	// given besides the role's.
	RoleID     string
	Workspace  access.Workspace
	Privileges []access.Privilege
	ValidUntil time.Time
	Active     bool // the admin's switch; false once ended, expired or declined
	Validated  bool // the guest accepted the current invitation
	EndedAt    time.Time
	EndReason  string
	InvitedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time

	InvitationID string // the current invitation: older links are void
	InvitedAt    time.Time
	Deliveries   map[outbox.Channel]outbox.Delivery
	// ReminderFor is the period end a reminder was sent for, so one period gets
	// one reminder and an extension earns a new one.
	ReminderFor time.Time
	GrantID     string
	// EmailBlocked is the address that bounced for good or whose owner
	// complained, with the provider's reason: it is not mailed again. The
	// block holds only while Email is that address, so editing the address
	// lifts it.
	EmailBlocked       string
	EmailBlockedReason string
	EmailBlockedAt     time.Time
}

// MailBlocked reports whether the guest's current address must not be
// mailed (shared/delivery).
func (g *Guest) MailBlocked() bool { return g.EmailBlocked != "" && g.EmailBlocked == g.Email }

// StatusAt tells the guest's status at now. A period that has ended counts as
// deactivated even before the sweep records it.
func (g *Guest) StatusAt(now time.Time) Status {
	switch {
	case g.EndReason != "" || !now.Before(g.ValidUntil):
		return Deactivated
	case !g.Active:
		return Inactive
	case !g.Validated:
		return Pending
	}
	return Active
}

// Refusal explains why a guest has no access at now, or returns nil.
func (g *Guest) Refusal(now time.Time) error {
	switch {
	case g.EndReason == EndedByHand:
		return ErrEnded
	case g.EndReason == Declined:
		return ErrDeclined
	case g.EndReason == Expired || !now.Before(g.ValidUntil):
		return ErrExpired
	case !g.Active:
		return ErrInactive
	}
	return nil
}

// IsCompanyGuest tells a guest of the company from a guest on cases.
func (g *Guest) IsCompanyGuest() bool { return g.Kind == access.CompanyGuest }

// Errors that guests and inviters see.
var (
	ErrExpired     = apperr.New(apperr.Forbidden, "guest_expired", "Your guest access has expired.")
	ErrEnded       = apperr.New(apperr.Forbidden, "guest_ended", "Your guest account was ended by the company.")
	ErrInactive    = apperr.New(apperr.Forbidden, "guest_inactive", "Your guest access is switched off by the company.")
	ErrDeclined    = apperr.New(apperr.Forbidden, "guest_declined", "You declined this invitation.")
	ErrNotFound    = apperr.New(apperr.NotFound, "guest_not_found", "No such guest.")
	ErrExists      = apperr.New(apperr.Conflict, "guest_exists", "This person is already a guest of the company; extend or re-invite them instead.")
	ErrNotEnded    = apperr.New(apperr.Conflict, "guest_not_deactivated", "Only a deactivated guest can be re-invited.")
	ErrDeactivated = apperr.New(apperr.Conflict, "guest_deactivated", "This guest is deactivated; re-invite them to give a new period.")
	ErrLinkUsed    = apperr.New(apperr.Gone, "link_used", "This link has already been used.")
	ErrLinkExpired = apperr.New(apperr.Gone, "link_expired", "Your link has expired.")
	ErrLinkUnknown = apperr.New(apperr.NotFound, "link_not_found", "This link is not valid.")
	ErrWrongPass   = apperr.New(apperr.Unauthorized, "invalid_credentials", "The password does not match this account.")
)

// PeriodRequest is the period an inviter asks for: a number of days, or an end
// date.
type PeriodRequest struct {
	Days *int `json:"days,omitempty"`
	// Until is a calendar day such as 2026-12-24, which lasts to the end of
	// that day in the company's time zone, or an instant in RFC 3339 for
	// clients that computed the end themselves.
	Until *string `json:"until,omitempty"`
}

// Resolve turns a period request into the period's end. field names the input in
// errors. A custom date ends at the end of that day in loc (the company's
// zone), an instant at that moment; days count from now.
func (p *PeriodRequest) Resolve(field string, now time.Time, maxDays int, loc *time.Location) (time.Time, error) {
	if p == nil || (p.Days == nil) == (p.Until == nil) {
		return time.Time{}, apperr.InvalidField(field, "give either period.days or period.until")
	}
	latest := now.Add(time.Duration(maxDays) * 24 * time.Hour)
	if p.Days != nil {
		d := *p.Days
		if d < 1 || d > maxDays {
			return time.Time{}, apperr.InvalidField(field+".days", "days must be between 1 and the company maximum of "+strconv.Itoa(maxDays))
		}
		return now.Add(time.Duration(d) * 24 * time.Hour).Truncate(time.Second), nil
	}
	u, err := untilTime(*p.Until, loc)
	if err != nil {
		return time.Time{}, apperr.InvalidField(field+".until", "give a date such as 2026-12-24 or a time such as 2026-12-24T18:00:00Z")
	}
	if !u.After(now) {
		return time.Time{}, apperr.InvalidField(field+".until", "the end date must be in the future")
	}
	if u.After(latest) {
		return time.Time{}, apperr.InvalidField(field+".until", "the end date is beyond the company maximum of "+strconv.Itoa(maxDays)+" days")
	}
	return u.UTC().Truncate(time.Second), nil
}

func untilTime(s string, loc *time.Location) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if loc == nil {
			loc = time.UTC
		}
		return locale.EndOfDay(d.Year(), d.Month(), d.Day(), loc), nil
	}
	return time.Parse(time.RFC3339, s)
}

// LinkExpiry is when a link sent on ch at now stops working.
func LinkExpiry(ch outbox.Channel, now, validUntil time.Time) time.Time {
	ttl := EmailLinkTTL
	if ch == outbox.SMS {
		ttl = SMSLinkTTL
	}
	exp := now.Add(ttl)
	if validUntil.Before(exp) {
		return validUntil
	}
	return exp
}

// ReminderDue reports whether a guest should get their end-of-period reminder
// at now, given how many days ahead reminders go out.
func (g *Guest) ReminderDue(now time.Time, days int) bool {
	if st := g.StatusAt(now); st == Deactivated || st == Inactive || g.ReminderFor.Equal(g.ValidUntil) {
		return false
	}
	return !g.ValidUntil.After(now.Add(time.Duration(days) * 24 * time.Hour))
}

var (
	emailRe = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	// E.164: a plus, a country code not starting with 0, at most 15 digits.
	phoneRe = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// NormalizeEmail trims and lower-cases an address and checks its form.
func NormalizeEmail(field, email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if len(e) > 254 || !emailRe.MatchString(e) {
		return "", apperr.InvalidField(field, "a valid email address is required")
	}
	return e, nil
}

// CheckPhone checks an E.164 phone number such as +4915112345678.
func CheckPhone(field, phone string) error {
	if !phoneRe.MatchString(phone) {
		return apperr.InvalidField(field, "phone must be in E.164 form, such as +4915112345678")
	}
	return nil
}

// CleanName trims a person's name and checks it.
func CleanName(field, name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || len(n) > 120 {
		return "", apperr.InvalidField(field, "a name of 1 to 120 characters is required")
	}
	if err := plaintext.Check(field, n); err != nil {
		return "", err
	}
	return n, nil
}

// CheckChannels validates the channels an invitation goes through; phone says
// whether a number was given.
func CheckChannels(channels []outbox.Channel, hasPhone bool) error {
	if len(channels) == 0 {
		return apperr.InvalidField("channels", "choose at least one channel: email or sms")
	}
	seen := map[outbox.Channel]bool{}
	for _, c := range channels {
		if c != outbox.Email && c != outbox.SMS {
			return apperr.InvalidField("channels", `channels may only contain "email" and "sms"`)
		}
		if seen[c] {
			return apperr.InvalidField("channels", "a channel is listed twice")
		}
		seen[c] = true
	}
	if seen[outbox.SMS] && !hasPhone {
		return apperr.InvalidField("phone", "a mobile number is required to invite by SMS")
	}
	return nil
}
