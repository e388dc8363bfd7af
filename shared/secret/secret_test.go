package secret

import (
	"bytes"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || !WellFormed(a) || len(a) != 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	h := Hash(a)
	if h == a || strings.Contains(h, a) || !Matches(a, h) || Matches(b, h) {
		t.Fatal("hash does not identify its token alone")
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 44), a + "!", strings.Repeat("=", 43)} {
		if WellFormed(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSealOpen(t *testing.T) {
	keys, err := Derive(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(keys.Seal, "the token")
	if err != nil || strings.Contains(sealed, "the token") {
		t.Fatalf("seal: %q %v", sealed, err)
	}
	if got, err := Open(keys.Seal, sealed); err != nil || got != "the token" {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := Derive(bytes.Repeat([]byte{2}, 32))
	if _, err := Open(other.Seal, sealed); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := Open(keys.Seal, sealed[:len(sealed)-2]+"AA"); err == nil {
		t.Fatal("opened a tampered value")
	}
	if _, err := Derive([]byte("too short")); err == nil {
		t.Fatal("short root secret accepted")
	}
	if bytes.Equal(keys.Session, keys.Seal) || bytes.Equal(keys.TicketSeed, keys.RelayEvents) {
		t.Fatal("derived keys repeat")
	}
}
