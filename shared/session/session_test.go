package session

import (
	"bytes"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

func TestPlatformOf(t *testing.T) {
	tests := []struct {
		header, ua string
		want       Platform
	}{
		{"web", "Mozilla/5.0 (X11; Linux x86_64)", Web},
		{"", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", Web},
		{"ios", "", IOS},
		{"android", "Mozilla/5.0", Android},
		{"web", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148", IOS},
		{"web", "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari", Android},
		{"", "GuestbridgeApp/2.1", IOS},
	}
	for _, tc := range tests {
		if got := PlatformOf(tc.header, tc.ua); got != tc.want {
			t.Errorf("PlatformOf(%q, %q) = %s, want %s", tc.header, tc.ua, got, tc.want)
		}
	}
}

func TestTicket(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m, err := NewMinter(bytes.Repeat([]byte{3}, 32), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := m.Ticket(Participant{ID: "p1", SessionID: "s1", Kind: toolmatrix.Guest, Name: "Gus",
		Tools: []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Record}}, now.Add(time.Hour), "seat-1")
	if err != nil || !exp.Equal(now.Add(TicketTTL)) {
		t.Fatal(err, exp)
	}
	c := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, c, func(*jwt.Token) (any, error) { return m.PublicKey(), nil },
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithAudience("guestbridge-relay"))
	if err != nil {
		t.Fatal(err)
	}
	if c["sub"] != "p1" || c["sid"] != "s1" || c["kind"] != "guest" || c["until"] == nil || c["jti"] == "" || c["seat"] != "seat-1" {
		t.Fatalf("claims %v", c)
	}
	// The ticket carries the participant's tools, never beyond the kind.
	if tools, _ := c["tools"].([]any); len(tools) != 1 || tools[0] != "chat" {
		t.Fatalf("tools claim %v, want [chat]", c["tools"])
	}
	if _, err := NewMinter([]byte("short"), nil); err == nil {
		t.Fatal("short seed accepted")
	}
}

func TestCanJoin(t *testing.T) {
	live := Session{State: Live}
	if err := (&Participant{}).CanJoin(live); err != nil {
		t.Fatal(err)
	}
	if err := (&Participant{Removed: true}).CanJoin(live); err != ErrRemoved {
		t.Fatalf("removed: %v", err)
	}
	if err := (&Participant{}).CanJoin(Session{State: Ended}); err != ErrSessionEnded {
		t.Fatalf("ended: %v", err)
	}
}
