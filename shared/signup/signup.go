// Package signup lets anyone start a company: POST /v1/signup mails a
// verification link to the address given, and only confirming that link
// creates the account, the company and its first admin, together. Before it
// nothing usable exists: signing in with the pending address and password is
// refused with signup_unverified, and no other flow knows the address.
// Sign-ups are limited per address and per client address, durably.
package signup

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/password"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// TTL is how long a sign-up's verification link works.
const TTL = 24 * time.Hour

// Limits: each sign-up mails a stranger's address, so per address and per
// client address, counted across instances.
var (
	PerEmail = ratelimit.Rule{Name: "signup-email", Limit: 3, Window: time.Hour}
	PerIP    = ratelimit.Rule{Name: "signup-ip", Limit: 10, Window: time.Hour}
)

// Pending is a sign-up waiting for its address to be confirmed. Only the
// token's hash and the password's argon2id hash are stored.
type Pending struct {
	TokenHash    string
	Email        string
	Name         string
	PasswordHash string
	CompanyName  string
	OrgID        string
	Language     locale.Lang
	TimeZone     string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Used         bool
}

// Defaults are a new company's settings.
type Defaults struct {
	MaxGuestDays, ReminderDays int
}

// Creation is what confirming writes, all or nothing.
type Creation struct {
	Pending Pending
	At      time.Time
	User    identity.User
	Org     identity.Org
	Member  identity.Member
	Audit   audit.Entry
}

// Store is the storage sign-up needs.
type Store interface {
	UserByEmail(ctx context.Context, email string) (identity.User, error)
	// CreateSignup writes the pending sign-up (replacing an older one of the
	// same address) and the message with its link.
	CreateSignup(ctx context.Context, p Pending, m outbox.Message) error
	Signup(ctx context.Context, tokenHash string) (Pending, error)
	// PendingSignup reads the newest pending sign-up of an address.
	PendingSignup(ctx context.Context, email string) (Pending, error)
	// ConfirmSignup uses the link (ErrUsed, ErrExpired) and writes the
	// account with its email (identity.ErrEmailTaken), the company and the
	// membership in one transaction.
	ConfirmSignup(ctx context.Context, c Creation) error
}

// Sessions opens the session a confirmation signs in with.
type Sessions interface {
	OpenSession(ctx context.Context, userID, orgID string, until time.Time, viaLink bool) (identity.Session, error)
}

// Errors of the flow.
var (
	ErrUnknown    = apperr.New(apperr.NotFound, "signup_not_found", "This sign-up link is not valid.")
	ErrUsed       = apperr.New(apperr.Gone, "signup_used", "This sign-up link has already been used; sign in.")
	ErrExpired    = apperr.New(apperr.Gone, "signup_expired", "This sign-up link has expired; sign up again.")
	ErrUnverified = apperr.New(apperr.Forbidden, "signup_unverified",
		"Confirm your email address first: open the link we sent you to finish creating your company.")
)

// Service runs the flow.
type Service struct {
	store    Store
	sessions Sessions
	clock    clock.Clock
	sealKey  []byte
	limiter  ratelimit.Limiter
	defaults Defaults
}

// NewService wires the flow; limiter must be durable.
func NewService(s Store, sessions Sessions, c clock.Clock, sealKey []byte, limiter ratelimit.Limiter, d Defaults) *Service {
	return &Service{store: s, sessions: sessions, clock: c, sealKey: sealKey, limiter: limiter, defaults: d}
}

// Request is the body of POST /v1/signup.
type Request struct {
	CompanyName string `json:"companyName"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	Language    string `json:"language,omitempty"`
	TimeZone    string `json:"timeZone,omitempty"`
}

// Started answers a sign-up: the address the link went to. It reads the
// same whether or not the address already has an account, so the answer
// tells nobody who has one.
type Started struct {
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Start checks a sign-up and mails its verification link.
func (s *Service) Start(ctx context.Context, req Request, clientKey string) (Started, error) {
	email, err := guest.NormalizeEmail("email", req.Email)
	if err != nil {
		return Started{}, err
	}
	company, err := guest.CleanName("companyName", req.CompanyName)
	if err != nil {
		return Started{}, err
	}
	name, err := guest.CleanName("name", req.Name)
	if err != nil {
		return Started{}, err
	}
	if msg := password.Check(req.Password); msg != "" {
		return Started{}, apperr.InvalidField("password", msg)
	}
	if err := locale.CheckLang("language", req.Language); err != nil {
		return Started{}, err
	}
	lang := locale.Lang(req.Language).Or(locale.DefaultLang)
	zone := req.TimeZone
	if zone == "" {
		zone = locale.DefaultZone
	}
	if _, err := locale.LoadZone("timeZone", zone); err != nil {
		return Started{}, err
	}
	if err := s.limiter.Allow(ctx, PerIP, clientKey); err != nil {
		return Started{}, err
	}
	if err := s.limiter.Allow(ctx, PerEmail, email); err != nil {
		return Started{}, err
	}
	now := s.clock.Now()
	expires := now.Add(TTL)
	switch _, err := s.store.UserByEmail(ctx, email); {
	case err == nil:
		// The address has an account: nothing is made, and the answer is the
		// same as for a new address.
		password.Burn(req.Password)
		return Started{Email: email, ExpiresAt: expires}, nil
	case !errors.Is(err, identity.ErrUserNotFound):
		return Started{}, err
	}
	hash, err := password.Hash(req.Password)
	if err != nil {
		return Started{}, err
	}
	tok, err := secret.NewToken()
	if err != nil {
		return Started{}, err
	}
	sealed, err := secret.Seal(s.sealKey, tok)
	if err != nil {
		return Started{}, err
	}
	p := Pending{TokenHash: secret.Hash(tok), Email: email, Name: name, PasswordHash: hash, CompanyName: company,
		OrgID: orgID(company), Language: lang, TimeZone: zone, CreatedAt: now, ExpiresAt: expires}
	m := outbox.Message{
		ID: secret.NewID("m_"), Channel: outbox.Email, Kind: outbox.SignupVerification, To: email,
		Data:        outbox.Localized(map[string]string{"name": name, "orgName": company, "linkExpiresAt": expires.Format(time.RFC3339)}, lang, zone),
		SealedToken: sealed, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateSignup(ctx, p, m); err != nil {
		return Started{}, err
	}
	return Started{Email: email, ExpiresAt: expires}, nil
}

// orgID is a readable, unique company id: a slug of the name and 8 random
// bytes.
func orgID(company string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(company) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 24 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "company"
	}
	return slug + "-" + secret.NewID("")[:16]
}

// Preview is what the link's page shows before confirming.
type Preview struct {
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	CompanyName string    `json:"companyName"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (s *Service) pending(ctx context.Context, token string) (Pending, error) {
	if !secret.WellFormed(token) {
		return Pending{}, ErrUnknown
	}
	p, err := s.store.Signup(ctx, secret.Hash(token))
	if err != nil {
		return Pending{}, err
	}
	if !secret.Matches(token, p.TokenHash) {
		return Pending{}, ErrUnknown
	}
	switch {
	case p.Used:
		return Pending{}, ErrUsed
	case !s.clock.Now().Before(p.ExpiresAt):
		return Pending{}, ErrExpired
	}
	return p, nil
}

// PreviewLink shows a pending sign-up; opening the link confirms nothing.
func (s *Service) PreviewLink(ctx context.Context, token string) (Preview, error) {
	p, err := s.pending(ctx, token)
	if err != nil {
		return Preview{}, err
	}
	return Preview{Email: p.Email, Name: p.Name, CompanyName: p.CompanyName, ExpiresAt: p.ExpiresAt}, nil
}

// Confirm creates the account, the company and its first admin, and signs
// the admin in.
func (s *Service) Confirm(ctx context.Context, token string) (identity.Session, error) {
	p, err := s.pending(ctx, token)
	if err != nil {
		return identity.Session{}, err
	}
	now := s.clock.Now()
	u := identity.User{ID: secret.NewID("u_"), Email: p.Email, Name: p.Name, PasswordHash: p.PasswordHash, CreatedAt: now}
	org := identity.Org{ID: p.OrgID, Name: p.CompanyName, MaxGuestDays: s.defaults.MaxGuestDays, ReminderDays: s.defaults.ReminderDays,
		Language: p.Language, TimeZone: p.TimeZone, CreatedAt: now}
	c := Creation{Pending: p, At: now, User: u, Org: org,
		Member: identity.Member{OrgID: org.ID, OrgName: org.Name, UserID: u.ID, Email: u.Email, Name: u.Name, Role: access.RoleAdmin},
		Audit: audit.Entry{ID: secret.NewID("a_"), OrgID: org.ID, At: now, Actor: u.ID, Action: audit.OrgCreated, Target: org.ID,
			Details: map[string]string{"name": org.Name}, ActorName: u.Name, TargetName: org.Name}}
	if err := s.store.ConfirmSignup(ctx, c); err != nil {
		return identity.Session{}, err
	}
	return s.sessions.OpenSession(ctx, u.ID, org.ID, now.Add(identity.SessionTTL), false)
}

// Refusal tells a failed sign-in apart when the address has a pending
// sign-up and the password is the one chosen for it: ErrUnverified; nil
// otherwise (the sign-in's own refusal stands).
func (s *Service) Refusal(ctx context.Context, email, pw string) error {
	p, err := s.store.PendingSignup(ctx, email)
	if err != nil || p.Used || !s.clock.Now().Before(p.ExpiresAt) {
		return nil
	}
	if password.Verify(pw, p.PasswordHash) != nil {
		return nil
	}
	return ErrUnverified
}
