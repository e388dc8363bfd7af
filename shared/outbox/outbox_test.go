package outbox

import (
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {6, 16 * time.Minute}, {20, 30 * time.Minute},
	}
	for _, tc := range tests {
		if got := Backoff(tc.attempts); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

func TestRender(t *testing.T) {
	data := map[string]string{"guestName": "Gina <b>", "orgName": "Acme", "inviterName": "Ann", "caseTitles": "Pump",
		"validUntil": "2026-12-01T10:00:00Z", "linkExpiresAt": "2026-11-30T10:00:00Z"}
	link := "https://app.test/invite#tok"
	mail, err := Render(Email, GuestInvite, data, link)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mail.Text, link) || !strings.Contains(mail.HTML, `<a href="`+link+`">`) || strings.Contains(mail.HTML, "<b>") {
		t.Fatalf("email: %+v", mail)
	}
	sms, err := Render(SMS, GuestInvite, data, link)
	if err != nil || sms.Subject != "" || !strings.Contains(sms.Text, link) || len(sms.Text) > 320 {
		t.Fatalf("sms: %+v %v", sms, err)
	}
	if _, err := Render(Email, GuestInvite, data, ""); err == nil {
		t.Fatal("an invitation without a link rendered")
	}
	if _, err := Render(Email, Kind("nope"), data, ""); err == nil {
		t.Fatal("unknown kind rendered")
	}
	if SessionInvite.LinkPath() != "/join" || GuestInvite.LinkPath() != "/invite" {
		t.Fatal("link paths")
	}
}
