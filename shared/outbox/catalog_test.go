package outbox

import (
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/locale"
)

// Every kind renders in German and English on each channel it travels, from
// the catalogs, with dates in the company's zone: no English left in a German
// message, and no bare UTC.
func TestRenderEachKindInEachLanguage(t *testing.T) {
	base := map[string]string{"guestName": "Gina", "orgName": "Acme", "inviterName": "Ann", "caseTitles": "Pump",
		"caseTitle": "Pump", "name": "Gina", "guestEmail": "gina@example.test",
		"validUntil": "2026-12-01T10:00:00Z", "linkExpiresAt": "2026-11-30T10:00:00Z"}
	company := map[string]string{"kind": "company", "roleId": "technician", "roleName": "Technician", "scope": "groups", "scopeNames": "Hall 1, Hall 2"}
	link := "https://app.test/x#tok"
	type want struct{ subject, text []string }
	tests := []struct {
		kind  Kind
		ch    Channel
		lang  locale.Lang
		extra map[string]string
		want  want
	}{
		{GuestInvite, Email, locale.English, nil, want{[]string{"Acme invites you as a guest"}, []string{"Hello Gina", "as a guest on: Pump", "Tue 1 Dec 2026, 11:00 CET"}}},
		{GuestInvite, Email, locale.German, nil, want{[]string{"Acme lädt Sie als Gast ein"}, []string{"Hallo Gina", "eingeladen zu: Pump", "Di., 1. Dez. 2026, 11:00 Uhr CET"}}},
		{GuestInvite, SMS, locale.English, nil, want{nil, []string{"invites you as a guest until Tue 1 Dec 2026, 11:00 CET", link}}},
		{GuestInvite, SMS, locale.German, nil, want{nil, []string{"lädt Sie bis Di., 1. Dez. 2026, 11:00 Uhr CET als Gast ein", link}}},
		{GuestInvite, Email, locale.English, company, want{[]string{"guest of the company"},
			[]string{"Company: Acme", "Role: Technician", "Access to: the device groups Hall 1, Hall 2", "Period: until Tue 1 Dec 2026, 11:00 CET"}}},
		{GuestInvite, Email, locale.German, company, want{[]string{"Gast des Unternehmens"},
			[]string{"Unternehmen: Acme", "Rolle: Techniker", "Zugriff auf: die Gerätegruppen Hall 1, Hall 2", "Zeitraum: bis Di., 1. Dez. 2026, 11:00 Uhr CET"}}},
		{SessionInvite, Email, locale.English, nil, want{[]string{"Ann invites you to a live support session"}, []string{"guest technician (Pump)"}}},
		{SessionInvite, Email, locale.German, nil, want{[]string{"Ann lädt Sie zu einer Live-Support-Sitzung ein"}, []string{"als Gast-Techniker", "(Pump)"}}},
		{SessionCustomer, Email, locale.English, nil, want{[]string{"Your live support session"}, []string{"ready to help you with Pump"}}},
		{SessionCustomer, Email, locale.German, nil, want{[]string{"Ihre Live-Support-Sitzung"}, []string{"hilft Ihnen gern bei Pump"}}},
		{SessionCustomer, SMS, locale.English, nil, want{nil, []string{"Open to share your camera: " + link}}},
		{SessionCustomer, SMS, locale.German, nil, want{nil, []string{"Zum Teilen Ihrer Kamera öffnen: " + link}}},
		{EmailVerification, Email, locale.English, nil, want{[]string{"Confirm your email address"}, []string{"Mon 30 Nov 2026, 11:00 CET"}}},
		{EmailVerification, Email, locale.German, nil, want{[]string{"Bestätigen Sie Ihre E-Mail-Adresse"}, []string{"Mo., 30. Nov. 2026, 11:00 Uhr CET"}}},
		{GuestWelcome, Email, locale.English, nil, want{[]string{"Welcome to Acme"}, []string{"lasts until Tue 1 Dec 2026, 11:00 CET"}}},
		{GuestWelcome, Email, locale.German, nil, want{[]string{"Willkommen bei Acme"}, []string{"gilt bis Di., 1. Dez. 2026, 11:00 Uhr CET"}}},
		{GuestReminder, Email, locale.English, nil, want{[]string{"ends on Tue 1 Dec 2026, 11:00 CET"}, []string{"ask Ann to extend it"}}},
		{GuestReminder, Email, locale.German, nil, want{[]string{"endet am Di., 1. Dez. 2026, 11:00 Uhr CET"}, []string{"bitten Sie Ann"}}},
		{InviterNotice, Email, locale.English, nil, want{[]string{"Guest access of Gina ends on"}, []string{"(gina@example.test)", "extend it in the guest list"}}},
		{InviterNotice, Email, locale.German, nil, want{[]string{"Gastzugang von Gina endet am"}, []string{"(gina@example.test)", "in der Gästeliste verlängern"}}},
	}
	englishOnly := []string{"Hello", "guest", " until ", "Open", "link works", " UTC"}
	for _, tc := range tests {
		t.Run(string(tc.kind)+"/"+string(tc.ch)+"/"+string(tc.lang)+"/"+tc.extra["kind"], func(t *testing.T) {
			data := Localized(base, tc.lang, "Europe/Berlin")
			for k, v := range tc.extra {
				data[k] = v
			}
			l := link
			if tc.kind == GuestWelcome || tc.kind == GuestReminder || tc.kind == InviterNotice {
				l = ""
			}
			r, err := Render(tc.ch, tc.kind, data, l)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want.subject {
				if !strings.Contains(r.Subject, s) {
					t.Errorf("subject %q lacks %q", r.Subject, s)
				}
			}
			for _, s := range tc.want.text {
				if !strings.Contains(r.Text, s) {
					t.Errorf("text %q lacks %q", r.Text, s)
				}
			}
			if tc.ch == SMS && (r.Subject != "" || r.HTML != "") {
				t.Errorf("an SMS with a subject or HTML: %+v", r)
			}
			if tc.ch == Email && (r.HTML == "" || r.Subject == "") {
				t.Errorf("an email without subject or HTML: %+v", r)
			}
			if strings.Contains(r.Subject+r.Text, "<no value>") || strings.Contains(r.Subject+r.Text, "{{") {
				t.Errorf("unfilled template: %q %q", r.Subject, r.Text)
			}
			if tc.lang == locale.German {
				for _, w := range englishOnly {
					if strings.Contains(r.Subject+r.Text, w) {
						t.Errorf("German message holds English %q: %q %q", w, r.Subject, r.Text)
					}
				}
			}
		})
	}
}

// Both catalogs hold the same messages: a key missing in one language would
// fail only when a guest of that language gets that message.
func TestCatalogsHoldTheSameKeys(t *testing.T) {
	en, de := catalogs[locale.English], catalogs[locale.German]
	for k := range en.msgs {
		if _, ok := de.msgs[k]; !ok {
			t.Errorf("German catalog lacks %s", k)
		}
	}
	for k := range de.msgs {
		if _, ok := en.msgs[k]; !ok {
			t.Errorf("English catalog lacks %s", k)
		}
	}
}

// Dates are written in the company's zone, with its abbreviation on either
// side of a daylight-saving change, or its offset where the zone has no
// abbreviation.
func TestRenderDatesInCompanyZone(t *testing.T) {
	tests := []struct {
		at, zone string
		lang     locale.Lang
		want     string
	}{
		{"2027-03-28T00:30:00Z", "Europe/Berlin", locale.English, "Sun 28 Mar 2027, 01:30 CET"},
		{"2027-03-28T01:30:00Z", "Europe/Berlin", locale.English, "Sun 28 Mar 2027, 03:30 CEST"},
		{"2027-10-31T00:30:00Z", "Europe/Berlin", locale.German, "So., 31. Okt. 2027, 02:30 Uhr CEST"},
		{"2027-10-31T01:30:00Z", "Europe/Berlin", locale.German, "So., 31. Okt. 2027, 02:30 Uhr CET"},
		{"2026-07-01T12:00:00Z", "America/New_York", locale.English, "Wed 1 Jul 2026, 08:00 EDT"},
		{"2026-07-01T12:00:00Z", "America/Sao_Paulo", locale.German, "Mi., 1. Juli 2026, 09:00 Uhr UTC-03:00"},
		{"2026-07-01T12:00:00Z", "", locale.English, "Wed 1 Jul 2026, 14:00 CEST"}, // queued before zones: the default
	}
	for _, tc := range tests {
		t.Run(tc.at+" "+tc.zone, func(t *testing.T) {
			data := Localized(map[string]string{"guestName": "G", "orgName": "O", "validUntil": tc.at}, tc.lang, tc.zone)
			r, err := Render(Email, GuestWelcome, data, "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Text, tc.want) {
				t.Fatalf("text %q lacks %q", r.Text, tc.want)
			}
		})
	}
}

// An inviter without a name is named in the reader's language, not left blank.
func TestRenderNamelessInviterFromCatalog(t *testing.T) {
	for lang, want := range map[locale.Lang]string{locale.English: "ask your contact to extend it", locale.German: "bitten Sie Ihre Kontaktperson"} {
		r, err := Render(Email, GuestReminder, Localized(map[string]string{"guestName": "G", "orgName": "O",
			"validUntil": "2026-12-01T10:00:00Z"}, lang, "Europe/Berlin"), "")
		if err != nil || !strings.Contains(r.Text, want) {
			t.Errorf("%s: %q, %v; want %q", lang, r.Text, err, want)
		}
	}
}
