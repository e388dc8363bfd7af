package outbox

import (
	"strings"
	"testing"
)

func TestRenderEmailVerification(t *testing.T) {
	link := "https://app.test/verify-email#tok"
	if EmailVerification.LinkPath() != "/verify-email" {
		t.Fatalf("link path %q", EmailVerification.LinkPath())
	}
	data := map[string]string{"name": "Sid <i>", "linkExpiresAt": "2026-12-02T10:00:00Z"}
	m, err := Render(Email, EmailVerification, data, link)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `<a href="`+link+`">`) || strings.Contains(m.HTML, "<i>") ||
		!strings.Contains(m.Text, "Wed 2 Dec 2026, 11:00 CET") {
		t.Fatalf("verification email: %+v", m)
	}
	if _, err := Render(Email, EmailVerification, data, ""); err == nil {
		t.Fatal("a verification without a link rendered")
	}
}
