// Package outbox holds messages that a request decided to send, and delivers
// them later through email or SMS. A request only writes the message; the
// sender delivers it, retries failures with backoff and records the outcome, so
// a slow or broken mail service never fails or loses an invitation.
package outbox

import (
	"time"
)

// Channel is how a message travels.
type Channel string

// Channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Status of a message's delivery.
type Status string

// Delivery statuses, as the guest list shows them.
const (
	Queued Status = "queued"
	Sent   Status = "sent"
	Failed Status = "failed"
	// What the provider reported after it accepted the message
	// (shared/delivery): the recipient's server took it, refused it, or the
	// recipient marked it as spam.
	Delivered  Status = "delivered"
	Bounced    Status = "bounced"
	Complained Status = "complained"
	// Suppressed: the message was not sent because the address bounced
	// before and has not been changed since.
	Suppressed Status = "suppressed"
)

// Kind names what a message says; the sender renders it.
type Kind string

// Message kinds.
const (
	GuestInvite   Kind = "guest_invite"
	GuestWelcome  Kind = "guest_welcome"
	GuestReminder Kind = "guest_reminder"
	InviterNotice Kind = "inviter_reminder"
	// SessionInvite invites a guest technician into a live session.
	SessionInvite Kind = "session_invite"
	// SessionCustomer gives the customer the link that opens the session as
	// the camera side.
	SessionCustomer Kind = "session_customer"
	// EmailVerification carries the link that proves an account's address.
	EmailVerification Kind = "email_verification"
	// MemberInvite invites a person to join a company as a member.
	MemberInvite Kind = "member_invite"
	// SignupVerification carries the link that confirms a sign-up.
	SignupVerification Kind = "signup_verification"
)

// LinkPath is the web client's path for a message's link: invitations to an
// account open /invite, session links open /join.
func (k Kind) LinkPath() string {
	if k == SessionInvite || k == SessionCustomer {
		return "/join"
	}
	if k == EmailVerification {
		return "/verify-email"
	}
	if k == MemberInvite {
		return "/join-company"
	}
	if k == SignupVerification {
		return "/signup-confirm"
	}
	return "/invite"
}

// Message is one email or SMS waiting to be delivered.
type Message struct {
	ID      string
	Channel Channel
	Kind    Kind
	To      string // email address or E.164 number
	// Data fills the message's template (names, dates, titles). It never holds a
	// secret.
	Data map[string]string
	// SealedToken is the invitation token encrypted with the outbox key, so that
	// the stored message holds no usable link; it is removed once delivered.
	SealedToken string
	// Ref ties the message to the guest and invitation whose delivery status it
	// updates; empty for messages without a status to report.
	OrgID        string
	GuestID      string
	InvitationID string

	Status        Status
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Delivery is the outcome of a message as shown to the inviter.
type Delivery struct {
	Status    Status    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	Attempts  int       `json:"attempts"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// MaxAttempts is how often a message is tried before it is marked failed.
const MaxAttempts = 6

// Backoff returns the wait before attempt number n+1 after n failed attempts:
// 30 s doubling, at most 30 minutes.
func Backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < 30*time.Minute; i++ {
		d *= 2
	}
	if d > 30*time.Minute {
		d = 30 * time.Minute
	}
	return d
}
