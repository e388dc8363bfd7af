package ratelimit

import (
	"context"
	"time"
)

// Charge is N events against Rule for Key.
type Charge struct {
	Rule Rule
	Key  string
	N    int
	// Code is the error code of a refusal; empty means "rate_limited". A
	// client tells a spent budget from a burst by it.
	Code string
}

// Refuse returns the error for a charge that would go over its rule in the
// window that holds now.
func (c Charge) Refuse(now time.Time) error {
	if c.Code == CodeSMSBudgetExhausted {
		end := WindowStart(now, c.Rule.Window).Add(c.Rule.Window)
		return refusal(c.Code, "Your company has sent as many text messages today as it may; send by email or try again tomorrow.", now, end)
	}
	return c.Rule.Refuse(now)
}

// Ledger counts events durably, across every instance of the API.
type Ledger interface {
	// Take records every charge in the windows that hold at, or none of
	// them: when one would go over its rule, nothing is counted and that
	// rule's refusal is returned. A refused request so costs the company
	// nothing.
	Take(ctx context.Context, at time.Time, charges ...Charge) error
	// Count returns the events counted for key in rule's window that holds at.
	Count(ctx context.Context, at time.Time, rule Rule, key string) (int, error)
	// Add adds n, which may be negative, to key's count in rule's window
	// that holds at, whatever the limit.
	Add(ctx context.Context, at time.Time, rule Rule, key string, n int) error
}

const day = 24 * time.Hour

// Quotas bound what reaches people outside the company or costs it money:
// invitations (each sends an email or SMS), live sessions (each may text and
// mail a customer) and SMS. Every count is kept per user and per company, so
// neither one busy inviter nor many accounts of one company can run up
// another's bill or flood strangers. Zero fields take DefaultQuotas.
type Quotas struct {
	InvitesPerUserHour, InvitesPerUserDay   int
	InvitesPerOrgHour, InvitesPerOrgDay     int
	SessionsPerUserHour, SessionsPerUserDay int
	SessionsPerOrgHour, SessionsPerOrgDay   int
	// SMSPerOrgDay is the company's daily SMS budget: messages queued, by
	// any of its people, per UTC day.
	SMSPerOrgDay int
	// SMSPerPhoneDay bounds the messages one number receives per UTC day.
	SMSPerPhoneDay int
}

// DefaultQuotas are the limits when none are configured.
var DefaultQuotas = Quotas{
	InvitesPerUserHour: 60, InvitesPerUserDay: 300,
	InvitesPerOrgHour: 200, InvitesPerOrgDay: 1000,
	SessionsPerUserHour: 30, SessionsPerUserDay: 200,
	SessionsPerOrgHour: 300, SessionsPerOrgDay: 2000,
	SMSPerOrgDay:   100,
	SMSPerPhoneDay: SMSPerPhone.Limit,
}

// WithDefaults fills the zero fields from DefaultQuotas.
func (q Quotas) WithDefaults() Quotas {
	d := DefaultQuotas
	for _, f := range []struct {
		dst *int
		def int
	}{
		{&q.InvitesPerUserHour, d.InvitesPerUserHour}, {&q.InvitesPerUserDay, d.InvitesPerUserDay},
		{&q.InvitesPerOrgHour, d.InvitesPerOrgHour}, {&q.InvitesPerOrgDay, d.InvitesPerOrgDay},
		{&q.SessionsPerUserHour, d.SessionsPerUserHour}, {&q.SessionsPerUserDay, d.SessionsPerUserDay},
		{&q.SessionsPerOrgHour, d.SessionsPerOrgHour}, {&q.SessionsPerOrgDay, d.SessionsPerOrgDay},
		{&q.SMSPerOrgDay, d.SMSPerOrgDay}, {&q.SMSPerPhoneDay, d.SMSPerPhoneDay},
	} {
		if *f.dst <= 0 {
			*f.dst = f.def
		}
	}
	return q
}

// Invite is what one invitation by userID in orgID costs.
func (q Quotas) Invite(userID, orgID string) []Charge {
	return []Charge{
		{Rule{Name: InvitePerUser.Name, Limit: q.InvitesPerUserHour, Window: time.Hour}, userID, 1, ""},
		{Rule{Name: "invite-user-day", Limit: q.InvitesPerUserDay, Window: day}, userID, 1, ""},
		{Rule{Name: "invite-org", Limit: q.InvitesPerOrgHour, Window: time.Hour}, orgID, 1, ""},
		{Rule{Name: "invite-org-day", Limit: q.InvitesPerOrgDay, Window: day}, orgID, 1, ""},
	}
}

// Session is what starting one live session by userID in orgID costs.
func (q Quotas) Session(userID, orgID string) []Charge {
	return []Charge{
		{Rule{Name: "session-user", Limit: q.SessionsPerUserHour, Window: time.Hour}, userID, 1, ""},
		{Rule{Name: "session-user-day", Limit: q.SessionsPerUserDay, Window: day}, userID, 1, ""},
		{Rule{Name: "session-org", Limit: q.SessionsPerOrgHour, Window: time.Hour}, orgID, 1, ""},
		{Rule{Name: "session-org-day", Limit: q.SessionsPerOrgDay, Window: day}, orgID, 1, ""},
	}
}

// SMS is what one text message from orgID to phone costs.
func (q Quotas) SMS(orgID, phone string) []Charge {
	return []Charge{
		{Rule{Name: "sms-org-day", Limit: q.SMSPerOrgDay, Window: day}, orgID, 1, CodeSMSBudgetExhausted},
		{Rule{Name: SMSPerPhone.Name, Limit: q.SMSPerPhoneDay, Window: SMSPerPhone.Window}, phone, 1, ""},
	}
}

// Durable is the table's limiter: fixed-window limits and a ledger in one.
type Durable interface {
	Limiter
	Ledger
}
