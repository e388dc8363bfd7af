// Package ratelimit bounds how often one caller may do something costly or
// guessable: sign in, invite, redeem a link, text a phone number.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Rule is a limit: at most Limit events per Window for one key.
type Rule struct {
	Name   string
	Limit  int
	Window time.Duration
}

// Rules used by the API.
var (
	LoginPerIP    = Rule{Name: "login-ip", Limit: 50, Window: 15 * time.Minute}
	InvitePerUser = Rule{Name: "invite-user", Limit: 60, Window: time.Hour}
	SMSPerPhone   = Rule{Name: "sms-phone", Limit: 5, Window: 24 * time.Hour}
	RedeemPerIP   = Rule{Name: "redeem-ip", Limit: 60, Window: time.Minute}
)

// Error codes of refusals.
const (
	CodeRateLimited        = "rate_limited"
	CodeSMSBudgetExhausted = "sms_budget_exhausted"
)

// Limiter counts events per key and refuses those over the limit.
type Limiter interface {
	// Allow records one event for key under rule and returns an error of kind
	// TooMany, with the seconds to wait, once the limit is exceeded.
	Allow(ctx context.Context, rule Rule, key string) error
}

// Exceeded returns the error for a key over its limit until windowEnd.
func Exceeded(now, windowEnd time.Time) error {
	return refusal(CodeRateLimited, "Too many attempts; try again later.", now, windowEnd)
}

// Refuse returns the error for a key over rule's limit in the window that
// holds now.
func (r Rule) Refuse(now time.Time) error {
	return Exceeded(now, WindowStart(now, r.Window).Add(r.Window))
}

func refusal(code, msg string, now, until time.Time) error {
	e := apperr.New(apperr.TooMany, code, msg)
	e.RetryAfter = int(math.Ceil(until.Sub(now).Seconds()))
	if e.RetryAfter < 1 {
		e.RetryAfter = 1
	}
	return e
}

// WindowStart returns the start of the fixed window that holds now.
func WindowStart(now time.Time, w time.Duration) time.Time { return now.Truncate(w) }

// Memory is a per-process fixed-window limiter. In Lambda each instance counts
// on its own, so it only backs up the API Gateway stage throttle for cheap,
// frequent checks; limits that must hold across instances use the store.
type Memory struct {
	mu     sync.Mutex
	now    func() time.Time
	counts map[string]memoryCount
}

type memoryCount struct {
	window time.Time
	n      int
}

// NewMemory returns an in-process limiter on the clock now.
func NewMemory(now func() time.Time) *Memory {
	return &Memory{now: now, counts: map[string]memoryCount{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, rule Rule, key string) error {
	now := m.now()
	w := WindowStart(now, rule.Window)
	k := rule.Name + "|" + key
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counts[k]
	if !c.window.Equal(w) {
		c = memoryCount{window: w}
		if len(m.counts) > 100_000 {
			// Drop stale windows rather than grow without bound.
			for key, v := range m.counts {
				if now.Sub(v.window) > rule.Window {
					delete(m.counts, key)
				}
			}
		}
	}
	c.n++
	m.counts[k] = c
	if c.n > rule.Limit {
		return Exceeded(now, w.Add(rule.Window))
	}
	return nil
}
