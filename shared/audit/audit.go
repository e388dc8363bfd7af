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

// Actors that are not people. An entry they write carries their name in
// words (SystemName), so no reader of the log or its export sees a code.
const (
	// SystemActor is the actor of changes made by the expiry sweep, the
	// outbox and the server on its own behalf.
	SystemActor = "system"
	// RelayActor reports who joined and left a live session.
	RelayActor = "relay"
)

// SystemName is the name kept in an entry written by a system actor; the web
// client shows its own words for these actors, in the reader's language.
var SystemName = map[string]string{SystemActor: "Guestbridge", RelayActor: "Media relay"}

// BySystem returns e with a system actor and its name kept in it.
func (e Entry) BySystem(actor string) Entry {
	e.Actor = actor
	e.ActorName = SystemName[actor]
	return e
}

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
	UserPasswordChanged       = "user.password_changed"
	UserSignedOutEverywhere   = "user.signed_out_everywhere"
	MessageFailed             = "message.failed"
	GuestChanged              = "guest.changed"
	OrgSettingsChanged        = "org.settings_changed"
	RoleCreated               = "role.created"
	RoleUpdated               = "role.updated"
	RoleDeleted               = "role.deleted"
	MemberRoleChanged         = "member.role_changed"
	MemberRemoved             = "member.removed"
	GroupCreated              = "group.created"
	GroupUpdated              = "group.updated"
	GroupDeleted              = "group.deleted"
	DeviceCreated             = "device.created"
	DeviceUpdated             = "device.updated"
	DeviceDeleted             = "device.deleted"
	DeviceCommand             = "device.command"
	SessionStarted            = "session.started"
	SessionInvited            = "session.invited"
	SessionEnded              = "session.ended"
	SessionToolsChanged       = "session.tools_changed"
	SessionParticipantRemoved = "session.participant_removed"
	SessionParticipantJoined  = "session.participant_joined"
	SessionParticipantLeft    = "session.participant_left"
	SessionSnapshotTaken      = "session.snapshot_taken"
	SessionRecordingStarted   = "session.recording_started"
	SessionRecordingStopped   = "session.recording_stopped"
)

// Actions lists every action the log may hold, in the order a filter offers
// them. web/js/auditActions.js holds the same list for the web client, whose
// catalog has words for each (auditAction.<code>); TestActionsMatchWeb ties
// the two.
var Actions = []string{
	CaseCreated,
	GuestInvited, GuestReinvited, GuestAccepted, GuestDeclined, GuestExtended, GuestChanged,
	GuestEnded, GuestExpired, GuestReminded, GuestPasswordSet,
	SessionStarted, SessionInvited, SessionParticipantJoined, SessionParticipantLeft,
	SessionToolsChanged, SessionParticipantRemoved, SessionEnded,
	SessionSnapshotTaken, SessionRecordingStarted, SessionRecordingStopped,
	DeviceCommand, DeviceCreated, DeviceUpdated, DeviceDeleted, GroupCreated, GroupUpdated, GroupDeleted,
	MemberRoleChanged, MemberRemoved, RoleCreated, RoleUpdated, RoleDeleted, OrgSettingsChanged,
	UserPasswordChanged, UserSignedOutEverywhere, EmailReclaimed, EmailVerificationDeclined,
	MessageFailed,
}
