package ratelimit

import (
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestSignInPolicyDecide(t *testing.T) {
	p := SignInPolicy{
		PerAddress: Rule{Name: "a", Limit: 3, Window: 15 * time.Minute},
		PerEmail:   Rule{Name: "e", Limit: 8, Window: time.Hour},
		SlowAfter:  4, BaseDelay: time.Second, MaxDelay: 4 * time.Second,
	}
	now := time.Date(2026, 11, 23, 10, 55, 0, 0, time.UTC)
	for _, tc := range []struct {
		name              string
		email, addr       int
		wait              time.Duration
		refused           bool
		retryAfterSeconds int
	}{
		{name: "clean", email: 0, addr: 0},
		{name: "a few failures elsewhere", email: 3, addr: 0},
		{name: "own failures below the limit", email: 2, addr: 2},
		{name: "own limit reached", email: 3, addr: 3, refused: true, retryAfterSeconds: 300},
		{name: "slow from SlowAfter", email: 4, addr: 0, wait: time.Second},
		{name: "doubling", email: 6, addr: 1, wait: 4 * time.Second},
		{name: "capped", email: 7, addr: 0, wait: 4 * time.Second},
		{name: "ceiling refuses an address that failed", email: 8, addr: 1, refused: true, retryAfterSeconds: 300},
		{name: "ceiling lets a clean address try, slowly", email: 50, addr: 0, wait: 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wait, err := p.Decide(now, tc.email, tc.addr)
			if tc.refused {
				e := apperr.From(err)
				if e == nil || e.Kind != apperr.TooMany || e.Code != CodeRateLimited || e.RetryAfter != tc.retryAfterSeconds {
					t.Fatalf("got %v, want 429 after %ds", err, tc.retryAfterSeconds)
				}
				return
			}
			if err != nil || wait != tc.wait {
				t.Fatalf("got %v, %v; want wait %v", wait, err, tc.wait)
			}
		})
	}
}
