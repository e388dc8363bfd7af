package invite

import (
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

// Proof is what accepting a link must show about the account it opens.
type Proof int

// Proofs, from least to most.
const (
	// NoProof: an SMS link for an account the same accept creates; the phone
	// that received the link is all there is to prove. A password is optional.
	NoProof Proof = iota
	// NewPassword: an email link for an account without a password; the
	// mailbox is proven, so its holder chooses the password.
	NewPassword
	// CurrentPassword: the link speaks for an existing account with a
	// password, whatever the channel; only the password proves the account.
	CurrentPassword
)

// ErrEmailLinkRequired refuses an SMS link that speaks for an existing
// account without a password: a phone number never proves who owns an account.
var ErrEmailLinkRequired = apperr.New(apperr.Conflict, "email_link_required",
	"This email address belongs to an existing account, and a text message cannot prove it is yours. "+
		"Ask the company to send the invitation by email: the email link lets you choose a password for it.")

// RequiredProof says what accepting a link on ch must prove; acct is the
// account the link speaks for now, nil when the accept creates one.
func RequiredProof(ch outbox.Channel, acct *identity.User) (Proof, error) {
	switch {
	case acct == nil && ch == outbox.SMS:
		return NoProof, nil
	case acct == nil:
		return NewPassword, nil
	case acct.HasPassword():
		return CurrentPassword, nil
	case ch == outbox.SMS:
		return 0, ErrEmailLinkRequired
	}
	return NewPassword, nil
}
