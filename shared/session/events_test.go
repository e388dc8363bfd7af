package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestCheckEvent(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	id := strings.Repeat("ab", 16)
	cases := []struct {
		name  string
		ev    Event
		want  error  // a sentinel, or nil
		field string // for invalid input
	}{
		{"fresh", Event{ID: id, SentAt: now}, nil, ""},
		{"59 s old", Event{ID: id, SentAt: now.Add(-59 * time.Second)}, nil, ""},
		{"a little ahead", Event{ID: id, SentAt: now.Add(EventSkew)}, nil, ""},
		{"61 s old", Event{ID: id, SentAt: now.Add(-61 * time.Second)}, ErrEventStale, ""},
		{"too far ahead", Event{ID: id, SentAt: now.Add(EventSkew + time.Second)}, ErrEventStale, ""},
		{"no sentAt", Event{ID: id}, nil, "sentAt"},
		{"no id", Event{SentAt: now}, nil, "id"},
		{"short id", Event{ID: "abc123", SentAt: now}, nil, "id"},
		{"odd characters", Event{ID: id + "#x", SentAt: now}, nil, "id"},
		{"long id", Event{ID: strings.Repeat("a", 129), SentAt: now}, nil, "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckEvent(tc.ev, now)
			if tc.field != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.Invalid || ae.Field != tc.field {
					t.Fatalf("err %v, want invalid %s", err, tc.field)
				}
				return
			}
			if !errors.Is(err, tc.want) && err != tc.want {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	if f := EventForgetAt(now); !f.After(now.Add(EventWindow + EventSkew)) {
		t.Fatalf("ids forgotten at %v, before an event sent at the edge of the skew turns stale", f)
	}
}
