package invite

import (
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

// View is a guest as the guest list shows it.
type View struct {
	ID       string           `json:"id"`
	OrgID    string           `json:"orgId"`
	Email    string           `json:"email"`
	Name     string           `json:"name"`
	Phone    string           `json:"phone,omitempty"`
	Channels []outbox.Channel `json:"channels"`
	Kind     access.GuestKind `json:"kind"`
	// Language of the guest's messages; empty for a guest invited before
	// languages existed, who gets the company's.
	Language   locale.Lang        `json:"language,omitempty"`
	CaseIDs    []string           `json:"caseIds"`
	RoleID     string             `json:"roleId,omitempty"`
	Workspace  *access.Workspace  `json:"workspace,omitempty"`
	Privileges []access.Privilege `json:"privileges,omitempty"`
	Status     guest.Status       `json:"status"`
	Active     bool               `json:"active"`
	Validated  bool               `json:"validated"`
	ValidUntil time.Time          `json:"validUntil"`
	EndedAt    *time.Time         `json:"endedAt,omitempty"`
	EndReason  string             `json:"endReason,omitempty"`
	InvitedBy  string             `json:"invitedBy"`
	CreatedAt  time.Time          `json:"createdAt"`
	Invitation InvitationView     `json:"invitation"`
	// EmailBlocked is set while the guest's address is not mailed because
	// it bounced for good or its owner complained.
	EmailBlocked *EmailBlockView `json:"emailBlocked,omitempty"`
}

// EmailBlockView says why and since when the guest's address is not mailed.
type EmailBlockView struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// InvitationView is the current invitation and its delivery per channel.
type InvitationView struct {
	ID       string                             `json:"id"`
	SentAt   time.Time                          `json:"sentAt"`
	Delivery map[outbox.Channel]outbox.Delivery `json:"delivery"`
}

// ViewOf renders g at now. Active is false as soon as the period is over, even
// before the sweep writes it.
func ViewOf(g guest.Guest, now time.Time) View {
	v := View{
		ID: g.ID, OrgID: g.OrgID, Email: g.Email, Name: g.Name, Phone: g.Phone, Channels: g.Channels,
		CaseIDs: g.CaseIDs, Status: g.StatusAt(now), Validated: g.Validated, ValidUntil: g.ValidUntil,
		EndReason: g.EndReason, InvitedBy: g.InvitedBy, CreatedAt: g.CreatedAt,
		Invitation: InvitationView{ID: g.InvitationID, SentAt: g.InvitedAt, Delivery: g.Deliveries},
	}
	v.Active = g.Active && v.Status != guest.Deactivated
	v.Kind, v.Language = g.Kind, g.Language
	if g.MailBlocked() {
		v.EmailBlocked = &EmailBlockView{Reason: g.EmailBlockedReason, Since: g.EmailBlockedAt}
	}
	if g.IsCompanyGuest() {
		ws := g.Workspace
		v.RoleID, v.Workspace, v.Privileges = g.RoleID, &ws, g.Privileges
	}
	if !g.EndedAt.IsZero() {
		t := g.EndedAt
		v.EndedAt = &t
	}
	if v.Status == guest.Deactivated && v.EndReason == "" {
		v.EndReason = guest.Expired
	}
	if v.Channels == nil {
		v.Channels = []outbox.Channel{}
	}
	if v.CaseIDs == nil {
		v.CaseIDs = []string{}
	}
	return v
}
