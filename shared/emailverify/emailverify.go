// Package emailverify lets the holder of an account made from an SMS link
// prove its email address: a single-use link is mailed to the address, and
// following it marks the address as the account's. Until then the account is
// invisible to every flow that matches people by email (see identity.User).
package emailverify

import (
	"context"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
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
	Used      bool
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
}

// Errors of the flow.
var (
	ErrVerified = apperr.New(apperr.Conflict, "email_verified", "Your email address is already verified.")
	ErrNoEmail  = apperr.New(apperr.Conflict, "email_detached",
		"This account no longer holds an email address: its owner took it back. Ask the company for a new invitation.")
	ErrUnknown = apperr.New(apperr.NotFound, "verification_not_found", "This verification link is not valid.")
	ErrUsed    = apperr.New(apperr.Gone, "verification_used", "This verification link has already been used.")
	ErrExpired = apperr.New(apperr.Gone, "verification_expired", "This verification link has expired; ask for a new one.")
	ErrVoid    = apperr.New(apperr.Gone, "verification_void",
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
	v := Verification{TokenHash: secret.Hash(tok), UserID: u.ID, Email: u.Email, ExpiresAt: now.Add(TTL), CreatedAt: now}
	m := outbox.Message{
		ID: secret.NewID("m_"), Channel: outbox.Email, Kind: outbox.EmailVerification, To: u.Email,
		Data:        map[string]string{"name": u.Name, "linkExpiresAt": v.ExpiresAt.Format(time.RFC3339)},
		SealedToken: sealed, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateEmailVerification(ctx, v, m); err != nil {
		return Sent{}, err
	}
	return Sent{Email: u.Email, ExpiresAt: v.ExpiresAt}, nil
}

// Confirmed answers a followed verification link.
type Confirmed struct {
	Email    string `json:"email"`
	Verified bool   `json:"verified"`
}

// Confirm uses a verification link: the address becomes the account's.
func (s *Service) Confirm(ctx context.Context, token, clientKey string) (Confirmed, error) {
	if err := s.redeem.Allow(ctx, s.redeemRule, clientKey); err != nil {
		return Confirmed{}, err
	}
	if !secret.WellFormed(token) {
		return Confirmed{}, ErrUnknown
	}
	v, err := s.store.EmailVerification(ctx, secret.Hash(token))
	if err != nil {
		return Confirmed{}, err
	}
	// Looked up by hash; compared again in constant time.
	if !secret.Matches(token, v.TokenHash) {
		return Confirmed{}, ErrUnknown
	}
	now := s.clock.Now()
	switch {
	case v.Used:
		return Confirmed{}, ErrUsed
	case !now.Before(v.ExpiresAt):
		return Confirmed{}, ErrExpired
	}
	if err := s.store.ConfirmEmail(ctx, v, now); err != nil {
		return Confirmed{}, err
	}
	return Confirmed{Email: v.Email, Verified: true}, nil
}
