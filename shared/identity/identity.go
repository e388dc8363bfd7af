// Package identity holds accounts, organisations and memberships, and turns a
// signed session token into the principal a request acts as.
//
// Session tokens are short-lived HMAC-signed JWTs. They only name who the
// caller is and in which organisation they act; every request re-reads the
// membership or the guest's grant, so ending a guest or changing a role takes
// effect on the next request, whatever token the caller holds.
package identity

import (
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/locale"
)

// User is an account.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"createdAt"`
	// TokenVersion is signed into every session token; raising it (a new
	// password, sign-out everywhere, removal by an admin) makes every token
	// issued before refused on its next request.
	TokenVersion int64 `json:"-"`
	// EmailUnverified marks an account made from an SMS link whose holder has
	// not proven the mailbox. Such an account holds the address only for
	// itself: flows that match people by email (invitations, "Companies",
	// accepting an email link) do not see it, and the mailbox's owner can
	// take the address from it.
	EmailUnverified bool `json:"-"`
	// CreatedByOrgID and CreatedByOrgName name the company whose text-message
	// link made the account, so that the mailbox's owner, asked to verify the
	// address, can tell whose request it is.
	CreatedByOrgID   string `json:"-"`
	CreatedByOrgName string `json:"-"`
}

// HasPassword reports whether the account can sign in with a password.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

// Org is a company.
type Org struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	MaxGuestDays int    `json:"maxGuestDays"`
	ReminderDays int    `json:"reminderDays"`
	// Language is what messages to the company's people and, unless the
	// inviter chooses otherwise, to its guests are written in.
	Language locale.Lang `json:"language"`
	// TimeZone (IANA) is where the company's dates are read: emails and SMS
	// show times there, and a custom end date ends at the end of that day.
	TimeZone string `json:"timeZone"`
	// SMSPerDay is the company's daily SMS budget; 0 takes the service's.
	SMSPerDay int       `json:"smsPerDay,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Lang is the company's language, or the default for a company stored before
// it had one.
func (o Org) Lang() locale.Lang { return o.Language.Or(locale.DefaultLang) }

// Zone is the company's time zone, or the default.
func (o Org) Zone() *time.Location { return locale.Zone(o.TimeZone) }

// ZoneName is the name of Zone.
func (o Org) ZoneName() string { return o.Zone().String() }

// Member is a user's membership of their own company.
type Member struct {
	OrgID   string `json:"orgId"`
	OrgName string `json:"orgName"`
	UserID  string `json:"userId"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	Role    string `json:"role"`
}

// Grant is a guest's access to a host company. It exists from accept to the
// end of the period; GrantID changes with each accepted invitation so tokens
// from an earlier grant do not revive.
type Grant struct {
	OrgID   string
	GuestID string
	GrantID string
	UserID  string
	// Name is the guest's, so what they do is logged by name.
	Name       string
	Kind       access.GuestKind
	Active     bool
	CaseIDs    []string
	RoleID     string
	Workspace  access.Workspace
	Privileges []access.Privilege
	ValidUntil time.Time
}

// Membership is one line of "where can I act": a member's company or a host
// company the user is a guest of.
type Membership struct {
	OrgID      string           `json:"orgId"`
	OrgName    string           `json:"orgName"`
	Kind       access.Kind      `json:"kind"`
	GuestKind  access.GuestKind `json:"guestKind,omitempty"`
	Role       string           `json:"role,omitempty"`
	GuestID    string           `json:"guestId,omitempty"`
	Status     string           `json:"status,omitempty"` // for guests: pending, active, deactivated
	ValidUntil *time.Time       `json:"validUntil,omitempty"`
	grantID    string
	refusal    error
}

// Errors of sign-in and session checks.
var (
	ErrBadCredentials = apperr.New(apperr.Unauthorized, "invalid_credentials", "Email or password is wrong.")
	ErrNoSession      = apperr.New(apperr.Unauthorized, "unauthenticated", "Sign in first.")
	ErrSessionExpired = apperr.New(apperr.Unauthorized, "session_expired", "Your session has expired; sign in again.")
	ErrNoAccess       = apperr.New(apperr.Forbidden, "no_access", "You no longer have access to this company.")
	ErrUserNotFound   = apperr.New(apperr.NotFound, "user_not_found", "No such user.")
	ErrOrgNotFound    = apperr.New(apperr.NotFound, "org_not_found", "No such company.")
	ErrEmailTaken     = apperr.New(apperr.Conflict, "email_taken", "An account with this email exists.")
	ErrRoleNotFound   = apperr.New(apperr.NotFound, "role_not_found", "No such role.")
	ErrTokenRevoked   = apperr.New(apperr.Unauthorized, "token_revoked", "This session was signed out; sign in again.")
	// ErrConfined refuses what a session opened from an SMS link may not do:
	// it acts only as the guest the link invited.
	ErrConfined    = apperr.New(apperr.Forbidden, "link_session_confined", "A session opened from a text-message link is limited to that invitation; sign in with your password for the rest.")
	ErrPasswordSet = apperr.New(apperr.Conflict, "password_set", "This account already has a password; give the current one to change it.")
)
