// Package session runs live remote-assistance sessions on the API side: a
// technician starts one on a case and becomes its primary; only the primary,
// and not from a mobile client, invites an internal technician or a guest
// technician by email; a guest's link is single-use and refused on mobile
// clients; the primary ends the session, removes participants (a ban for the
// session) and switches tools per participant within the permission matrix.
// The relay enforces the matrix on every message; this package mints the join
// tickets it trusts and tells it of revocations.
package session

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// State of a session.
type State string

// Session states.
const (
	Live  State = "live"
	Ended State = "ended"
)

// Session is one live session on a case.
type Session struct {
	ID            string
	OrgID         string
	CaseID        string
	PrimaryUserID string
	State         State
	RelayTaskID   string
	SignalURL     string
	CreatedAt     time.Time
	EndedAt       time.Time
	EndReason     string
}

// Participant is one seat in a session. A removed participant is banned: no
// ticket or link of theirs works again in this session.
type Participant struct {
	ID        string
	SessionID string
	OrgID     string
	Kind      toolmatrix.Kind
	UserID    string // primary and secondary technicians
	Email     string // guest technicians and customers
	Name      string
	// Tools is what the primary allows this participant, within the kind.
	Tools      []toolmatrix.Tool
	InvitedAt  time.Time
	JoinedAt   time.Time
	LeftAt     time.Time
	Removed    bool
	RemovedWhy string
	// RemovedNote is the primary's optional words to the removed person.
	RemovedNote string
}

// Link is a single-use join link for a guest technician or the customer.
type Link struct {
	TokenHash     string
	SessionID     string
	OrgID         string
	ParticipantID string
	Kind          toolmatrix.Kind
	Used          bool
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// Link lifetimes: a live session does not wait long for its guest.
const (
	GuestLinkTTL    = 24 * time.Hour
	CustomerLinkTTL = 24 * time.Hour
	// TicketTTL is how long a join ticket is good for: it is used at once.
	TicketTTL = 30 * time.Second
)

// Close reasons the relay gives disconnected participants.
const (
	ReasonEnded        = "session_ended"
	ReasonRemoved      = "removed"
	ReasonAccountEnded = "account_ended"
	ReasonExpired      = "expired"
	// ReasonAccountInactive: a guest of the company was switched off.
	ReasonAccountInactive = "account_inactive"
	// ReasonMemberRemoved: a technician was removed from the company.
	ReasonMemberRemoved = "member_removed"
)

// Errors.
var (
	ErrNotFound      = apperr.New(apperr.NotFound, "session_not_found", "No such session.")
	ErrNotPrimary    = apperr.New(apperr.Forbidden, "not_primary", "Only the primary technician of the session can do this.")
	ErrMobileInvite  = apperr.New(apperr.Forbidden, "mobile_not_allowed", "Inviting technicians is not available in the app. Please use a web browser.")
	ErrMobileGuest   = apperr.New(apperr.Forbidden, "mobile_not_allowed", "Guest users are not allowed to join the session through the app. Please join through a web browser.")
	ErrLinkExpired   = apperr.New(apperr.Gone, "link_expired", "Your link has expired.")
	ErrSessionEnded  = apperr.New(apperr.Gone, "session_ended", "This session has ended.")
	ErrRemoved       = apperr.New(apperr.Forbidden, "removed", "You were removed from this session.")
	ErrNotInvited    = apperr.New(apperr.Forbidden, "not_invited", "You are not a participant of this session.")
	ErrNoRelay       = apperr.New(apperr.Unavailable, "relay_unavailable", "No relay is available right now; try again in a moment.")
	ErrParticipant   = apperr.New(apperr.NotFound, "participant_not_found", "No such participant in this session.")
	ErrAlreadyInvite = apperr.New(apperr.Conflict, "already_participant", "This technician is already in the session.")
	// ErrInviteOff: the primary's invite tool is switched off.
	ErrInviteOff = apperr.New(apperr.Forbidden, "invite_tool_off", "Your invite tool is switched off in this session.")
	// ErrDetailsOff: the caller's session details tool is switched off.
	ErrDetailsOff = apperr.New(apperr.Forbidden, "session_details_off", "Your session details tool is switched off in this session.")
)

// Platform is the client's platform, from X-Client-Platform and the User-Agent.
type Platform string

// Platforms.
const (
	Web     Platform = "web"
	IOS     Platform = "ios"
	Android Platform = "android"
)

var mobileUA = regexp.MustCompile(`(?i)\b(iPhone|iPad|iPod|Android|Mobile)\b|GuestbridgeApp`)

// PlatformOf tells the client's platform. The header is the client's own
// word; a mobile User-Agent counts as mobile even if the header says web, so
// the app cannot claim to be a browser by header alone.
func PlatformOf(header, userAgent string) Platform {
	switch strings.ToLower(strings.TrimSpace(header)) {
	case "ios":
		return IOS
	case "android":
		return Android
	}
	if m := mobileUA.FindString(userAgent); m != "" {
		if strings.Contains(strings.ToLower(userAgent), "android") {
			return Android
		}
		return IOS
	}
	return Web
}

// Mobile reports whether p is a mobile client.
func (p Platform) Mobile() bool { return p == IOS || p == Android }

// Has reports whether p may use tool now: their kind has it and it is
// switched on for them.
func (p Participant) Has(tool toolmatrix.Tool) bool {
	return toolmatrix.Allowed(p.Kind, tool) && slices.Contains(p.Tools, tool)
}

// CanJoin reports why p cannot join at now, or nil.
func (p *Participant) CanJoin(s Session) error {
	switch {
	case s.State != Live:
		return ErrSessionEnded
	case p.Removed:
		return ErrRemoved
	}
	return nil
}
