package guest

import (
	"time"

	"github.com/guestbridge/guestbridge/shared/access"

	"github.com/guestbridge/guestbridge/shared/outbox"
)

// Invitation is one link sent on one channel. It is stored under the hash of
// its token; the token itself is only ever in the message that carries it.
type Invitation struct {
	TokenHash    string
	InvitationID string // shared by the links of one invitation (email and SMS)
	OrgID        string
	GuestID      string
	Channel      outbox.Channel
	Email        string
	Name         string
	ExpiresAt    time.Time
	ValidUntil   time.Time
	State        LinkState
	CreatedAt    time.Time
	UsedAt       time.Time

	// Denormalised for the preview and the accept, so each is one read.
	OrgName     string
	InviterName string
	Kind        access.GuestKind
	RoleName    string // for company guests
	CaseIDs     []string
	CaseTitles  []string
	UserID      string // the account with this email when the invitation was made
	HasPassword bool
}

// LinkState is where a link stands.
type LinkState string

// Link states.
const (
	LinkPending  LinkState = "pending"
	LinkAccepted LinkState = "accepted"
	LinkDeclined LinkState = "declined"
)

// Usable reports why a link cannot be used at now, or nil.
func (inv *Invitation) Usable(now time.Time) error {
	if inv.State != LinkPending {
		return ErrLinkUsed
	}
	if !now.Before(inv.ExpiresAt) {
		return ErrLinkExpired
	}
	return nil
}
