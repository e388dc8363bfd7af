// Package audit describes the audit log: who did what to whom, and when.
package audit

import "time"

// Entry is one line of an organisation's audit log.
type Entry struct {
	ID      string            `json:"id"`
	OrgID   string            `json:"orgId"`
	At      time.Time         `json:"at"`
	Actor   string            `json:"actor"` // a user id, or "system" for the sweep
	Action  string            `json:"action"`
	Target  string            `json:"target"`
	Details map[string]string `json:"details,omitempty"`
	// ActorName and TargetName are copied in when the entry is written, so
	// the log still reads after the person, case or device is deleted.
	ActorName  string `json:"actorName,omitempty"`
	TargetName string `json:"targetName,omitempty"`
}

// By returns e with the actor's name kept in it.
func (e Entry) By(actor string) Entry {
	e.ActorName = actor
	return e
}

// Naming returns e with the target's name or title kept in it.
func (e Entry) Naming(target string) Entry {
	e.TargetName = target
	return e
}

// SystemActor is the actor of changes made by the expiry sweep.
const SystemActor = "system"

// Actions written to the log.
const (
	CaseCreated      = "case.created"
	GuestInvited     = "guest.invited"
	GuestReinvited   = "guest.reinvited"
	GuestAccepted    = "guest.accepted"
	GuestDeclined    = "guest.declined"
	GuestExtended    = "guest.extended"
	GuestEnded       = "guest.ended"
	GuestExpired     = "guest.expired"
	GuestReminded    = "guest.reminded"
	GuestPasswordSet = "guest.password_set"
	// EmailReclaimed: the proven owner of a mailbox took the address from an
	// account that held it unverified.
	EmailReclaimed = "user.email_reclaimed"
	// EmailVerificationDeclined: the owner of an address said an account
	// made for it from a text-message link is not theirs.
	EmailVerificationDeclined = "user.email_verification_declined"
	UserSignedIn              = "user.signed_in"
	MessageFailed             = "message.failed"
	MessageDelivered          = "message.delivered"
)
