package page

import (
	"errors"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestParseLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		bad  bool
	}{
		{"", DefaultLimit, false},
		{"1", 1, false},
		{"200", 200, false},
		{"0", 0, true},
		{"201", 0, true},
		{"-5", 0, true},
		{"ten", 0, true},
		{"1.5", 0, true},
	} {
		t.Run(c.in, func(t *testing.T) {
			n, err := ParseLimit(c.in)
			if c.bad {
				var e *apperr.Error
				if !errors.As(err, &e) || e.Field != "limit" || e.Kind != apperr.Invalid {
					t.Fatalf("ParseLimit(%q) err %v, want invalid limit", c.in, err)
				}
				return
			}
			if err != nil || n != c.want {
				t.Fatalf("ParseLimit(%q) = %d, %v; want %d", c.in, n, err, c.want)
			}
		})
	}
}

func TestCursors(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	c, err := NewCursors(key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewCursors([]byte(strings.Repeat("o", 32)))
	scope := Scope("acme", "guests", "")
	start := Key{"PK": "ORG#acme", "SK": "GUEST#g1"}
	sealed, err := c.Seal(scope, start)
	if err != nil || sealed == "" {
		t.Fatalf("Seal: %q %v", sealed, err)
	}
	if strings.Contains(sealed, "GUEST") || strings.Contains(sealed, "acme") {
		t.Fatalf("cursor shows the key: %s", sealed)
	}
	if again, _ := c.Seal(scope, start); again != sealed {
		t.Fatalf("the same key sealed twice differs (%s, %s): a page's ETag would never match", sealed, again)
	}
	if again, _ := c.Seal(Scope("acme", "cases", ""), start); again == sealed {
		t.Fatal("the same key in another scope seals the same")
	}
	if got, err := c.Open(scope, sealed); err != nil || got["SK"] != "GUEST#g1" || got["PK"] != "ORG#acme" {
		t.Fatalf("Open = %v, %v", got, err)
	}
	if got, err := c.Open(scope, ""); err != nil || got != nil {
		t.Fatalf("empty cursor = %v, %v", got, err)
	}
	if s, err := c.Seal(scope, nil); err != nil || s != "" {
		t.Fatalf("Seal(nil) = %q, %v", s, err)
	}
	flipped := []byte(sealed)
	flipped[len(flipped)/2] ^= 1
	for name, tc := range map[string]struct {
		c      *Cursors
		scope  string
		cursor string
	}{
		"other company": {c, Scope("evil", "guests", ""), sealed},
		"other list":    {c, Scope("acme", "cases", ""), sealed},
		"other filter":  {c, Scope("acme", "guests", "active"), sealed},
		"other key":     {other, scope, sealed},
		"raw start key": {c, scope, "GUEST#g1"},
		"not base64":    {c, scope, "!!!"},
		"short":         {c, scope, "AAAA"},
		"tampered":      {c, scope, string(flipped)},
		"oversized":     {c, scope, strings.Repeat("A", maxCursorLen+1)},
		"quoted scope":  {c, Scope("acme\"/\"guests", "", ""), sealed},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.c.Open(tc.scope, tc.cursor); !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("Open: %v, want invalid cursor", err)
			}
		})
	}
}
