package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestMemory(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC)
	m := NewMemory(func() time.Time { return now })
	rule := Rule{"test", 3, time.Minute}
	for i := 0; i < 3; i++ {
		if err := m.Allow(context.Background(), rule, "a"); err != nil {
			t.Fatalf("event %d refused: %v", i, err)
		}
	}
	err := m.Allow(context.Background(), rule, "a")
	e := apperr.From(err)
	if e == nil || e.Kind != apperr.TooMany || e.RetryAfter != 30 {
		t.Fatalf("fourth event: %v", err)
	}
	if err := m.Allow(context.Background(), rule, "b"); err != nil {
		t.Fatal("another key shares the count")
	}
	now = now.Add(30 * time.Second)
	if err := m.Allow(context.Background(), rule, "a"); err != nil {
		t.Fatal("a new window still refuses")
	}
}
