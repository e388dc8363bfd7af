// Package clock supplies the current time, so that expiry rules can be tested
// by moving a clock instead of sleeping.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
type System struct{}

// Now returns the current UTC time.
func (System) Now() time.Time { return time.Now().UTC() }

// Manual is a clock that only moves when told to. It is safe for concurrent use.
type Manual struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

// NewManual returns a manual clock set to t.
func NewManual(t time.Time) *Manual { return &Manual{now: t.UTC()} }

// Now returns the clock's current time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t.UTC()
	m.mu.Unlock()
}

// Sleeper is a clock that can also wait. The manual clock's Sleep moves it
// instead of waiting, so delays are tested without slowing the tests.
type Sleeper interface {
	Sleep(ctx context.Context, d time.Duration) error
}

// Sleep waits d on c if c is a Sleeper, else on the wall clock; it returns
// early with the context's error.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if s, ok := c.(Sleeper); ok {
		return s.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sleep moves the clock forward by d at once and counts the time slept.
func (m *Manual) Sleep(_ context.Context, d time.Duration) error {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.slept += d
	m.mu.Unlock()
	return nil
}

// Slept returns the total time Sleep was asked to wait.
func (m *Manual) Slept() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.slept
}
