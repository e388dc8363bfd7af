package ratelimit

import (
	"context"
	"time"

	"github.com/guestbridge/guestbridge/shared/clock"
)

// SignInPolicy throttles password guessing without handing an attacker a way
// to lock the owner out. Only failures count, and they count per (email,
// client address): the address that guesses is the one refused. Failures of
// one email from every address together first slow every attempt on it down,
// then refuse the addresses that have failed; an address with no failure
// still gets its attempt, so the owner signs in from their own.
type SignInPolicy struct {
	// PerAddress bounds the failures for one email from one address.
	PerAddress Rule
	// PerEmail is the ceiling of failures for one email from all addresses.
	PerEmail Rule
	// SlowAfter is the count of failures for one email from which every
	// attempt on it waits, BaseDelay doubling per further failure, at most
	// MaxDelay.
	SlowAfter           int
	BaseDelay, MaxDelay time.Duration
}

// DefaultSignInPolicy is the policy when none is configured. The longest
// delay stays well inside the API function's 10-second timeout.
var DefaultSignInPolicy = SignInPolicy{
	PerAddress: Rule{Name: "login-fail-addr", Limit: 5, Window: 15 * time.Minute},
	PerEmail:   Rule{Name: "login-fail-email", Limit: 20, Window: time.Hour},
	SlowAfter:  10,
	BaseDelay:  500 * time.Millisecond,
	MaxDelay:   4 * time.Second,
}

// WithDefaults fills the zero fields from DefaultSignInPolicy.
func (p SignInPolicy) WithDefaults() SignInPolicy {
	d := DefaultSignInPolicy
	if p.PerAddress.Name == "" {
		p.PerAddress.Name = d.PerAddress.Name
	}
	if p.PerAddress.Limit <= 0 {
		p.PerAddress.Limit = d.PerAddress.Limit
	}
	if p.PerAddress.Window <= 0 {
		p.PerAddress.Window = d.PerAddress.Window
	}
	if p.PerEmail.Name == "" {
		p.PerEmail.Name = d.PerEmail.Name
	}
	if p.PerEmail.Limit <= 0 {
		p.PerEmail.Limit = d.PerEmail.Limit
	}
	if p.PerEmail.Window <= 0 {
		p.PerEmail.Window = d.PerEmail.Window
	}
	if p.SlowAfter <= 0 {
		p.SlowAfter = min(d.SlowAfter, p.PerEmail.Limit)
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	return p
}

// Decide says what an attempt at now gets, given the failures counted for
// its email from all addresses and from its own: a refusal, or how long to
// wait before the password is checked.
func (p SignInPolicy) Decide(now time.Time, emailFails, addrFails int) (time.Duration, error) {
	if addrFails >= p.PerAddress.Limit {
		return 0, p.PerAddress.Refuse(now)
	}
	if emailFails >= p.PerEmail.Limit && addrFails > 0 {
		// Refused until this address's failures or the email's age out.
		addrEnd := WindowStart(now, p.PerAddress.Window).Add(p.PerAddress.Window)
		emailEnd := WindowStart(now, p.PerEmail.Window).Add(p.PerEmail.Window)
		if emailEnd.Before(addrEnd) {
			addrEnd = emailEnd
		}
		return 0, Exceeded(now, addrEnd)
	}
	if emailFails < p.SlowAfter {
		return 0, nil
	}
	d := p.BaseDelay
	for i := p.SlowAfter; i < emailFails && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay), nil
}

// SignIns runs sign-in attempts under a SignInPolicy, counting in a Ledger.
type SignIns struct {
	ledger Ledger
	clock  clock.Clock
	policy SignInPolicy
	wrong  func(error) bool
}

// NewSignIns returns the throttle; wrong tells a failed password (or unknown
// email) from any other outcome. The clock also waits: a clock.Sleeper (the
// tests' manual clock) is asked to, any other clock waits for real.
func NewSignIns(l Ledger, c clock.Clock, p SignInPolicy, wrong func(error) bool) *SignIns {
	return &SignIns{ledger: l, clock: c, policy: p.WithDefaults(), wrong: wrong}
}

// Attempt runs signIn for email from addr, unless the policy refuses it.
func (s *SignIns) Attempt(ctx context.Context, email, addr string, signIn func(context.Context) error) error {
	now := s.clock.Now()
	pair := email + "|" + addr
	emailFails, err := s.ledger.Count(ctx, now, s.policy.PerEmail, email)
	if err != nil {
		return err
	}
	addrFails, err := s.ledger.Count(ctx, now, s.policy.PerAddress, pair)
	if err != nil {
		return err
	}
	wait, err := s.policy.Decide(now, emailFails, addrFails)
	if err != nil {
		return err
	}
	// The attempt is counted as a failure before the password is checked
	// and given back if it was right: parallel guesses from one address
	// cannot slip past the limit between a read and a write.
	if err := s.ledger.Take(ctx, now, Charge{Rule: s.policy.PerAddress, Key: pair, N: 1}); err != nil {
		return err
	}
	if wait > 0 {
		if err := clock.Sleep(ctx, s.clock, wait); err != nil {
			return err
		}
	}
	err = signIn(ctx)
	if err != nil && s.wrong(err) {
		if aerr := s.ledger.Add(ctx, now, s.policy.PerEmail, email, 1); aerr != nil {
			return aerr
		}
		return err
	}
	// Not a wrong password: give the attempt back. Should that write fail,
	// the address carries one failure too many for this window, which
	// errs on the safe side.
	_ = s.ledger.Add(ctx, now, s.policy.PerAddress, pair, -1)
	return err
}
