package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if err := Verify("correct horse battery", h); err != nil {
		t.Fatal(err)
	}
	if err := Verify("wrong horse battery", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := Hash("correct horse battery")
	if h == h2 {
		t.Fatal("salt not random")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=1,t=1,p=1$AA$AA"} {
		if Verify("x", bad) == nil {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"123456789", false},
		{"1234567890", true},
		{strings.Repeat("ä", 128), true},
		{strings.Repeat("a", 129), false},
	}
	for _, tc := range tests {
		if got := Check(tc.pw) == ""; got != tc.ok {
			t.Errorf("Check(%d chars) ok = %v, want %v", len([]rune(tc.pw)), got, tc.ok)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
