// Package emailverify lets the holder of an account made from an SMS link
// prove its email address: a single-use link is mailed to the address, and
// confirming on its page marks the address as the account's. Until then the
// account is invisible to every flow that matches people by email (see
// identity.User).
//
// Whoever asks for the mail need not own the mailbox: anyone can make an
// account for a stranger's address from an SMS link they hold. So opening
// the link only shows whose account and whose request it is (scanners and
// previews open links), the address's owner confirms by an explicit press,
// and "this was not me" voids the link.
package emailverify

import (
	"context"
	"errors"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// TTL is how long a verification link works.
const TTL = 24 * time.Hour

// SendLimit bounds verification emails per account: each one lands in a
// mailbox whose owner may not have asked for it.
var SendLimit = ratelimit.Rule{Name: "email-verify-user", Limit: 3, Window: time.Hour}

// Verification is a pending proof of an address. Only the token's hash is
// stored; the token itself travels sealed in the outbox message.
type Verification struct {
	TokenHash string
	UserID    string
	Email     string
	ExpiresAt time.Time
	CreatedAt time.Time
	// OrgID and OrgName: the company whose SMS link made the account, and
	// AccountCreatedAt when; empty for an account made before this was kept.
	OrgID            string
	OrgName          string
	AccountCreatedAt time.Time
	Used             bool
	// Declined: the mailbox's owner said the account is not theirs; the link
	// is then used up without confirming.
	Declined bool
}

// Store is the storage verification needs.
type Store interface {
	User(ctx context.Context, id string) (identity.User, error)
	// CreateEmailVerification writes the verification and the message that
	// carries its link, together.
	CreateEmailVerification(ctx context.Context, v Verification, m outbox.Message) error
	EmailVerification(ctx context.Context, tokenHash string) (Verification, error)
	// ConfirmEmail uses the verification and marks the address as the
	// account's in one transaction, on the conditions that the link is unused
	// and unexpired (ErrUsed or ErrExpired) and that the account still holds
	// the address unverified (ErrVoid).
	ConfirmEmail(ctx context.Context, v Verification, at time.Time) error
	// DeclineEmailVerification uses the verification without confirming, on
	// the condition that it is unused and unexpired (ErrUsed, ErrDeclined or
	// ErrExpired), and writes e with it when e is not nil.
	DeclineEmailVerification(ctx context.Context, v Verification, at time.Time, e *audit.Entry) error
}

// Errors of the flow.
var (
	ErrVerified = apperr.New(apperr.Conflict, "email_verified", "Your email address is already verified.")
	ErrNoEmail  = apperr.New(apperr.Conflict, "email_detached",
		"This account no longer holds an email address: its owner took it back. Ask the company for a new invitation.")
	ErrUnknown  = apperr.New(apperr.NotFound, "verification_not_found", "This verification link is not valid.")
	ErrUsed     = apperr.New(apperr.Gone, "verification_used", "This verification link has already been used.")
	ErrExpired  = apperr.New(apperr.Gone, "verification_expired", "This verification link has expired; ask for a new one.")
	ErrDeclined = apperr.New(apperr.Gone, "verification_declined",
		"This verification link was turned down by the owner of the address and no longer works.")
	ErrVoid = apperr.New(apperr.Gone, "verification_void",
		"This address is no longer waiting for this account's verification; its owner has taken it.")
)

// Service runs the flow.
type Service struct {
	store   Store
	clock   clock.Clock
	sealKey []byte
	// limiter holds the per-account sending limit across instances; redeem
	// bounds link redemption per client address.
	limiter    ratelimit.Limiter
	redeem     ratelimit.Limiter
	redeemRule ratelimit.Rule
}

// NewService wires the flow.
func NewService(s Store, c clock.Clock, sealKey []byte, limiter, redeem ratelimit.Limiter, redeemRule ratelimit.Rule) *Service {
	if redeemRule.Limit == 0 {
		redeemRule = ratelimit.RedeemPerIP
	}
	return &Service{store: s, clock: c, sealKey: sealKey, limiter: limiter, redeem: redeem, redeemRule: redeemRule}
}

// Sent answers a request for a verification email.
type Sent struct {
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Send mails the caller a verification link for their account's address.
// Any session of the account may ask, a link session included: proving the
// address is how such an account gets beyond the link.
func (s *Service) Send(ctx context.Context, p *access.Principal) (Sent, error) {
	u, err := s.store.User(ctx, p.UserID)
	if err != nil {
		return Sent{}, err
	}
	switch {
	case u.Email == "":
		return Sent{}, ErrNoEmail
	case !u.EmailUnverified:
		return Sent{}, ErrVerified
	}
	if err := s.limiter.Allow(ctx, SendLimit, u.ID); err != nil {
		return Sent{}, err
	}
	tok, err := secret.NewToken()
	if err != nil {
		return Sent{}, err
	}
	sealed, err := secret.Seal(s.sealKey, tok)
	if err != nil {
		return Sent{}, err
	}
	now := s.clock.Now()
	v := Verification{TokenHash: secret.Hash(tok), UserID: u.ID, Email: u.Email, ExpiresAt: now.Add(TTL), CreatedAt: now,
		OrgID: u.CreatedByOrgID, OrgName: u.CreatedByOrgName, AccountCreatedAt: u.CreatedAt}
	data := map[string]string{"name": u.Name, "linkExpiresAt": v.ExpiresAt.Format(time.RFC3339)}
	if v.OrgName != "" {
		// The mail names whose request it is, so its reader can tell it apart
		// from one they asked for.
		data["orgName"] = v.OrgName
		data["accountCreatedAt"] = v.AccountCreatedAt.Format(time.RFC3339)
	}
	m := outbox.Message{
		ID: secret.NewID("m_"), Channel: outbox.Email, Kind: outbox.EmailVerification, To: u.Email,
		Data:        data,
		SealedToken: sealed, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateEmailVerification(ctx, v, m); err != nil {
		return Sent{}, err
	}
	return Sent{Email: u.Email, ExpiresAt: v.ExpiresAt}, nil
}

// Preview is what the page of a verification link shows before anything is
// confirmed: the address, the account that would get it, and which
// company's text message made that account, and when.
type Preview struct {
	Email            string     `json:"email"`
	AccountName      string     `json:"accountName"`
	OrgName          string     `json:"orgName,omitempty"`
	AccountCreatedAt *time.Time `json:"accountCreatedAt,omitempty"`
	ExpiresAt        time.Time  `json:"expiresAt"`
}

// Confirmed answers a confirmed verification link.
type Confirmed struct {
	Email    string `json:"email"`
	Verified bool   `json:"verified"`
}

// pending finds the verification of token and says why it can no longer be
// used, under the same per-client limit for every use of the link.
func (s *Service) pending(ctx context.Context, token, clientKey string) (Verification, error) {
	if err := s.redeem.Allow(ctx, s.redeemRule, clientKey); err != nil {
		return Verification{}, err
	}
	if !secret.WellFormed(token) {
		return Verification{}, ErrUnknown
	}
	v, err := s.store.EmailVerification(ctx, secret.Hash(token))
	if err != nil {
		return Verification{}, err
	}
	// Looked up by hash; compared again in constant time.
	if !secret.Matches(token, v.TokenHash) {
		return Verification{}, ErrUnknown
	}
	switch {
	case v.Declined:
		return Verification{}, ErrDeclined
	case v.Used:
		return Verification{}, ErrUsed
	case !s.clock.Now().Before(v.ExpiresAt):
		return Verification{}, ErrExpired
	}
	return v, nil
}

// Preview shows what confirming a link would do. It never uses the link:
// mail scanners and chat previews open links too.
func (s *Service) Preview(ctx context.Context, token, clientKey string) (Preview, error) {
	v, err := s.pending(ctx, token, clientKey)
	if err != nil {
		return Preview{}, err
	}
	u, err := s.store.User(ctx, v.UserID)
	if errors.Is(err, identity.ErrUserNotFound) || (err == nil && (u.Email != v.Email || !u.EmailUnverified)) {
		// What confirming would refuse: the owner took the address back, or
		// it is proven already.
		return Preview{}, ErrVoid
	}
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Email: v.Email, AccountName: u.Name, OrgName: v.OrgName, ExpiresAt: v.ExpiresAt}
	if v.OrgName != "" {
		p.AccountCreatedAt = &v.AccountCreatedAt
	}
	return p, nil
}

// Confirm uses a verification link: the address becomes the account's.
func (s *Service) Confirm(ctx context.Context, token, clientKey string) (Confirmed, error) {
	v, err := s.pending(ctx, token, clientKey)
	if err != nil {
		return Confirmed{}, err
	}
	if err := s.store.ConfirmEmail(ctx, v, s.clock.Now()); err != nil {
		return Confirmed{}, err
	}
	return Confirmed{Email: v.Email, Verified: true}, nil
}

// Decline is the mailbox owner's "this was not me": the link is used up
// without confirming, so whoever asked for it cannot have it opened again,
// and the company whose text message made the account sees it in its audit.
func (s *Service) Decline(ctx context.Context, token, clientKey string) error {
	v, err := s.pending(ctx, token, clientKey)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var e *audit.Entry
	if v.OrgID != "" {
		// The mailbox's owner is known only by the address; the account is
		// named as it was when they turned it away.
		e = &audit.Entry{ID: secret.NewID("a_"), OrgID: v.OrgID, At: now, Actor: "mailbox:" + v.Email,
			Action: audit.EmailVerificationDeclined, Target: v.UserID, Details: map[string]string{"email": v.Email},
			ActorName: v.Email, TargetName: v.Email}
		if u, err := s.store.User(ctx, v.UserID); err == nil && u.Name != "" {
			e.TargetName = u.Name
		}
	}
	return s.store.DeclineEmailVerification(ctx, v, now, e)
}
