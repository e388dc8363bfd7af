package app_test

import (
	"strings"
	"testing"
	"time"
)

// lastMail is the newest email to addr in the SES emulator: subject and text.
func (e *env) lastMail(addr string) (string, string) {
	e.t.Helper()
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		if len(mails[i].Destination.To) > 0 && mails[i].Destination.To[0] == addr {
			return mails[i].Subject, mails[i].Body.Text
		}
	}
	e.t.Fatalf("no email to %s in the SES emulator", addr)
	return "", ""
}

// lastSMS is the newest SMS captured to phone.
func (e *env) lastSMS(phone string) string {
	e.t.Helper()
	msgs := e.sms.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == phone {
			return msgs[i].Body
		}
	}
	e.t.Fatalf("no SMS to %s captured", phone)
	return ""
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, s)
		}
	}
}

func TestLangOrgSettingsReadValidatedAndAudited(t *testing.T) {
	e := newEnv(t)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))

	r := e.call("GET", "/v1/orgs/acme", tech, nil)
	e.expect(r, 200, "")
	if r.str("language") != "en" || r.str("timeZone") != "Europe/Berlin" || r.str("name") != "Acme Support" {
		t.Fatalf("settings: %s", r.Raw)
	}
	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"language": "fr"}, "language"},
		{map[string]any{"language": ""}, "language"},
		{map[string]any{"timeZone": "Mars/Olympus_Mons"}, "timeZone"},
		{map[string]any{"timeZone": "Local"}, "timeZone"},
		{map[string]any{"timeZone": "../../etc/passwd"}, "timeZone"},
		{map[string]any{"timeZone": 2}, "timeZone"},
		{map[string]any{}, "body"},
	}
	for _, b := range bad {
		r := e.call("PATCH", "/v1/orgs/acme", admin, b.body)
		e.expect(r, 400, "invalid_input")
		if f := r.str("error", "field"); f != b.field {
			t.Errorf("PATCH %v: field %q, want %q (%s)", b.body, f, b.field, r.Raw)
		}
		if strings.Contains(r.Raw, "unknown time zone ") || strings.Contains(r.Raw, "time.") {
			t.Errorf("PATCH %v answers Go's text: %s", b.body, r.Raw)
		}
	}
	e.expect(e.call("PATCH", "/v1/orgs/acme", tech, map[string]any{"language": "de"}), 403, "forbidden")

	r = e.call("PATCH", "/v1/orgs/acme", admin, map[string]any{"language": "de", "timeZone": "America/New_York"})
	e.expect(r, 200, "")
	r = e.call("GET", "/v1/orgs/acme", tech, nil)
	if r.str("language") != "de" || r.str("timeZone") != "America/New_York" {
		t.Fatalf("settings after PATCH: %s", r.Raw)
	}
	// The other company is untouched.
	if o := e.call("GET", "/v1/orgs/other", e.login(e.email("otheradmin")), nil); o.str("language") != "en" {
		t.Fatalf("other company's settings changed: %s", o.Raw)
	}
	log := e.call("GET", "/v1/orgs/acme/audit", admin, nil)
	mustContain(t, "audit log", log.Raw, `"action":"org.settings_changed"`, `"timeZone":"America/New_York"`, `"language":"de"`)
}

// An invitation in German gives a German email and SMS; the guest's language
// is kept, so the welcome after accepting is German too; and a company whose
// language is German writes to guests in German when the inviter does not say.
func TestLangGermanInvitationEmailAndSMS(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Heizung")
	phone := "+4915112340011"

	r := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("x"), "name": "X", "caseId": cid,
		"period": map[string]int{"days": 3}, "language": "fr"})
	e.expect(r, 400, "invalid_input")
	if r.str("error", "field") != "language" {
		t.Fatalf("field: %s", r.Raw)
	}

	r = e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("greta"), "name": "Greta", "phone": phone,
		"channels": []string{"email", "sms"}, "caseId": cid, "period": map[string]int{"days": 3}, "language": "de"})
	e.expect(r, 201, "")
	if r.str("language") != "de" {
		t.Fatalf("the guest's language is not kept: %s", r.Raw)
	}
	e.deliver()
	subject, text := e.lastMail(e.email("greta"))
	mustContain(t, "German email subject", subject, "Acme Support lädt Sie als Gast ein")
	mustContain(t, "German email", text, "Hallo Greta", "eingeladen zu: Heizung", "Ihr Zugang gilt bis", " Uhr CE")
	mustContain(t, "German SMS", e.lastSMS(phone), "lädt Sie bis", "als Gast ein", " Uhr CE", "http://guestbridge.test/invite#")
	if strings.Contains(text, "UTC") || strings.Contains(text, "Hello") {
		t.Errorf("German email holds UTC or English:\n%s", text)
	}

	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("greta"))+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	e.deliver()
	subject, _ = e.lastMail(e.email("greta"))
	mustContain(t, "welcome subject", subject, "Willkommen bei Acme Support")

	// English where the language is English, as before.
	e.invite(admin, "eddie", "", cid, 3)
	e.deliver()
	subject, text = e.lastMail(e.email("eddie"))
	mustContain(t, "English email", subject+text, "Acme Support invites you as a guest", "Hello Guest eddie", " CE")

	// The company's language is the default.
	e.expect(e.call("PATCH", "/v1/orgs/acme", admin, map[string]any{"language": "de"}), 200, "")
	e.invite(admin, "dora", "", cid, 3)
	e.deliver()
	subject, _ = e.lastMail(e.email("dora"))
	mustContain(t, "default-language email", subject, "lädt Sie als Gast ein")
	// An English guest of a German company stays English.
	e.expect(e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("emma"), "name": "Emma", "caseId": cid,
		"period": map[string]int{"days": 3}, "language": "en"}), 201, "")
	e.deliver()
	subject, _ = e.lastMail(e.email("emma"))
	mustContain(t, "English guest of a German company", subject, "invites you as a guest")
}

// A custom end date lasts to the end of that day in the company's zone, and
// the email shows it there.
func TestLangCustomEndDateEndsAtEndOfDayInCompanyZone(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Pump")
	e.expect(e.call("PATCH", "/v1/orgs/acme", admin, map[string]any{"timeZone": "Asia/Tokyo"}), 200, "")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	day := e.clock.Now().In(tokyo).AddDate(0, 0, 3)
	date := day.Format(time.DateOnly)

	r := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("tia"), "name": "Tia", "caseId": cid,
		"period": map[string]string{"until": date}})
	e.expect(r, 201, "")
	want := time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, tokyo)
	if got, _ := time.Parse(time.RFC3339, r.str("validUntil")); !got.Equal(want) {
		t.Fatalf("validUntil %s, want %s (the end of %s in Tokyo)", r.str("validUntil"), want.UTC().Format(time.RFC3339), date)
	}
	e.deliver()
	_, text := e.lastMail(e.email("tia"))
	mustContain(t, "email in Tokyo time", text, "23:59 JST")

	// Extending to a date follows the zone the company has now.
	e.expect(e.call("PATCH", "/v1/orgs/acme", admin, map[string]any{"timeZone": "America/New_York"}), 200, "")
	ny, _ := time.LoadLocation("America/New_York")
	later := e.clock.Now().In(ny).AddDate(0, 0, 10)
	r = e.call("PATCH", "/v1/orgs/acme/guests/"+r.str("id"), admin, map[string]any{"period": map[string]string{"until": later.Format(time.DateOnly)}})
	e.expect(r, 200, "")
	want = time.Date(later.Year(), later.Month(), later.Day(), 23, 59, 59, 0, ny)
	if got, _ := time.Parse(time.RFC3339, r.str("validUntil")); !got.Equal(want) {
		t.Fatalf("extended validUntil %s, want %s", r.str("validUntil"), want.UTC().Format(time.RFC3339))
	}
	r = e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("x"), "name": "X", "caseId": cid,
		"period": map[string]string{"until": "tomorrow"}})
	e.expect(r, 400, "invalid_input")
	if r.str("error", "field") != "period.until" {
		t.Fatalf("field: %s", r.Raw)
	}
}

// The company-guest invitation says what the guest gets: company, role,
// scope by name and period.
func TestLangCompanyGuestInvitationSaysWhatTheGuestGets(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	post := func(path string, body any) resp {
		r := e.call("POST", path, admin, body)
		e.expect(r, 201, "")
		return r
	}
	g1 := post("/v1/orgs/acme/groups", map[string]string{"name": "Hall North"}).str("id")
	g2 := post("/v1/orgs/acme/groups", map[string]string{"name": "Hall South"}).str("id")
	d1 := post("/v1/orgs/acme/devices", map[string]string{"name": "Press 7", "groupId": g1}).str("id")

	post("/v1/orgs/acme/guests", map[string]any{"email": e.email("cg1"), "name": "Cora", "roleId": "technician",
		"workspace": map[string]any{"mode": "groups", "groups": map[string][]string{g2: {"devices.read"}, g1: {"devices.read"}}},
		"period":    map[string]int{"days": 10}})
	post("/v1/orgs/acme/guests", map[string]any{"email": e.email("cg2"), "name": "Dirk", "roleId": "technician",
		"workspace": map[string]any{"mode": "devices", "devices": []string{d1}}, "language": "de"})
	post("/v1/orgs/acme/guests", map[string]any{"email": e.email("cg3"), "name": "Ali", "roleId": "technician"})
	e.deliver()

	subject, text := e.lastMail(e.email("cg1"))
	mustContain(t, "company guest email", subject+text, "guest of the company", "Company: Acme Support", "Role: Technician",
		"Access to: the device groups Hall North, Hall South", "Period: until ")
	if strings.Contains(text, "on: .") {
		t.Errorf("the empty case list is back:\n%s", text)
	}
	_, text = e.lastMail(e.email("cg2"))
	mustContain(t, "German company guest email", text, "Unternehmen: Acme Support", "Rolle: Techniker", "Zugriff auf: die Geräte Press 7", "Zeitraum: bis ")
	_, text = e.lastMail(e.email("cg3"))
	mustContain(t, "all-workspace email", text, "Access to: all devices of the company")
}

// The session customer and a guest technician get their links in the
// language chosen for them.
func TestLangSessionMessagesInChosenLanguage(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Kessel")
	phone := "+4915112340022"

	r := e.call("POST", "/v1/orgs/acme/cases/"+cid+"/sessions", tech, map[string]any{"customer": map[string]string{"name": "Karl", "language": "es"}})
	e.expect(r, 400, "invalid_input")
	if r.str("error", "field") != "customer.language" {
		t.Fatalf("field: %s", r.Raw)
	}
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Karl", "email": e.email("karl"), "phone": phone, "language": "de"}})
	e.deliver()
	subject, text := e.lastMail(e.email("karl"))
	mustContain(t, "German customer email", subject+text, "Ihre Live-Support-Sitzung", "Hallo Karl", "hilft Ihnen gern bei Kessel")
	mustContain(t, "German customer SMS", e.lastSMS(phone), "Zum Teilen Ihrer Kamera öffnen: http://guestbridge.test/join#")

	sid := st.str("session", "id")
	r = e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gus"), "language": "xx"})
	e.expect(r, 400, "invalid_input")
	if r.str("error", "field") != "language" {
		t.Fatalf("field: %s", r.Raw)
	}
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gus"), "name": "Gus", "language": "de"}), 201, "")
	e.deliver()
	subject, text = e.lastMail(e.email("gus"))
	mustContain(t, "German guest technician email", subject+text, "lädt Sie zu einer Live-Support-Sitzung ein", "als Gast-Techniker", "(Kessel)")
}

// The guest's language is kept with the guest: their reminder comes in it,
// while the inviter's notice comes in the company's language; a re-invitation
// may change it.
func TestLangReminderInGuestsLanguageAndReinviteChangesIt(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Erinnerung")
	r := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("rolf"), "name": "Rolf", "caseId": cid,
		"period": map[string]int{"days": 5}, "language": "de"})
	e.expect(r, 201, "")
	gid := r.str("id")
	e.deliver()
	e.expect(e.call("POST", "/v1/invitations/"+e.emailLink(e.email("rolf"))+"/accept", "", map[string]string{"password": testPassword}), 200, "")
	e.clock.Advance(2*24*time.Hour + time.Hour)
	res, err := e.app.Sweeper.Run(t.Context())
	must(t, err)
	if res.Reminded != 1 {
		t.Fatalf("reminded %d, want 1", res.Reminded)
	}
	e.deliver()
	subject, _ := e.lastMail(e.email("rolf"))
	mustContain(t, "German reminder", subject, "Ihr Gastzugang zu Acme Support endet am", " Uhr CE")
	subject, _ = e.lastMail(e.email("admin"))
	mustContain(t, "inviter's notice in the company's language", subject, "Guest access of Rolf ends on")

	admin = e.login(e.email("admin")) // the clock moved past the first session
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+gid+"/end", admin, nil), 200, "")
	bad := e.call("POST", "/v1/orgs/acme/guests/"+gid+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 3}, "language": "it"})
	e.expect(bad, 400, "invalid_input")
	if bad.str("error", "field") != "language" {
		t.Fatalf("field: %s", bad.Raw)
	}
	r = e.call("POST", "/v1/orgs/acme/guests/"+gid+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 3}, "language": "en"})
	e.expect(r, 200, "")
	e.deliver()
	subject, _ = e.lastMail(e.email("rolf"))
	mustContain(t, "English re-invitation", subject, "Acme Support invites you as a guest")
}
