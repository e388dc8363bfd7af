package outbox

import (
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/locale"
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
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"created on Mon 30 Nov 2026, 11:00 CET from a text message of Acme <b>", "nothing changes until you press Confirm on the page"}},
		{"de", []string{"am Mo., 30. Nov. 2026, 11:00 Uhr CET über eine SMS von Acme <b>", "solange Sie auf der Seite nicht auf „Bestätigen“ drücken"}},
	} {
		asked := map[string]string{"name": "Sid", "linkExpiresAt": "2026-12-02T10:00:00Z", "orgName": "Acme <b>",
			"accountCreatedAt": "2026-11-30T10:00:00Z", DataLang: tc.lang}
		m, err := Render(Email, EmailVerification, asked, link)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s verification email lacks %q:\n%s", tc.lang, w, m.Text)
			}
		}
		if strings.Contains(m.HTML, "<b>") {
			t.Errorf("%s: the company's name is not escaped: %s", tc.lang, m.HTML)
		}
	}
	if _, err := Render(Email, EmailVerification, data, ""); err == nil {
		t.Fatal("a verification without a link rendered")
	}
}

func TestRenderMemberInvite(t *testing.T) {
	if MemberInvite.LinkPath() != "/join-company" {
		t.Fatalf("link path %q", MemberInvite.LinkPath())
	}
	for lang, want := range map[locale.Lang]string{locale.English: "invites you to join Acme as Technician", locale.German: "lädt Sie ein, Acme als Technician beizutreten"} {
		data := Localized(map[string]string{"name": "Nia", "orgName": "Acme", "inviterName": "Ann", "roleName": "Technician",
			"linkExpiresAt": "2026-12-08T10:00:00Z"}, lang, "Europe/Berlin")
		m, err := Render(Email, MemberInvite, data, "https://gb.test/join-company#tok")
		if err != nil || !strings.Contains(m.Text, want) || !strings.Contains(m.Text, "https://gb.test/join-company#tok") {
			t.Errorf("%s: %q, %v", lang, m.Text, err)
		}
		if _, err := Render(Email, MemberInvite, data, ""); err == nil {
			t.Errorf("%s: rendered without a link", lang)
		}
	}
}
