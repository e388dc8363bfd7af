package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var signupLinkRe = regexp.MustCompile(`http://guestbridge\.test/signup-confirm#([A-Za-z0-9_-]+)`)

func (e *env) signupLink(addr string) string {
	e.t.Helper()
	e.deliver()
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		if m := mails[i]; len(m.Destination.To) > 0 && m.Destination.To[0] == addr {
			if mm := signupLinkRe.FindStringSubmatch(m.Body.Text); mm != nil {
				return mm[1]
			}
		}
	}
	e.t.Fatalf("no sign-up email to %s", addr)
	return ""
}

func signupBody(company, addr string) map[string]string {
	return map[string]string{"companyName": company, "name": "Nora Founder", "email": addr, "password": "nora's long password"}
}

func TestSignupCreatesCompanyAndAdminOnlyAfterVerification(t *testing.T) {
	e := newEnv(t)
	addr := e.email("nora")
	r := e.call("POST", "/v1/signup", "", signupBody("Nova Repairs", addr))
	e.expect(r, 202, "")
	if r.str("email") != addr {
		t.Fatalf("signup %s", r.Raw)
	}
	// Nothing usable exists before the link is confirmed.
	for _, it := range e.scan() {
		if pk := attrS(it, "PK"); pk == "EMAIL#"+addr || (attrS(it, "Type") == "org" && strings.HasPrefix(pk, "ORG#nova")) {
			t.Fatalf("%s exists before verification", pk)
		}
	}
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": addr, "password": "nora's long password"}), 403, "signup_unverified")
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": addr, "password": "another long password"}), 401, "invalid_credentials")

	tok := e.signupLink(addr)
	p := e.call("GET", "/v1/signups/"+tok, "", nil)
	e.expect(p, 200, "")
	if p.str("companyName") != "Nova Repairs" || p.str("email") != addr {
		t.Fatalf("preview %s", p.Raw)
	}
	c := e.call("POST", "/v1/signups/"+tok+"/confirm", "", nil)
	e.expect(c, 200, "")
	org := c.str("actingOrg", "orgId")
	if !strings.HasPrefix(org, "nova-repairs-") || c.str("actingOrg", "role") != "admin" {
		t.Fatalf("confirm %s", c.Raw)
	}
	e.expect(e.call("POST", "/v1/signups/"+tok+"/confirm", "", nil), 410, "signup_used")

	// The admin signs in and the company has the service's defaults.
	admin := e.call("POST", "/v1/auth/login", "", map[string]string{"email": addr, "password": "nora's long password"})
	e.expect(admin, 200, "")
	o := e.call("GET", "/v1/orgs/"+org, admin.str("token"), nil)
	e.expect(o, 200, "")
	if o.Body["maxGuestDays"] != float64(365) || o.str("name") != "Nova Repairs" {
		t.Fatalf("org %s", o.Raw)
	}
	if log := e.call("GET", "/v1/orgs/"+org+"/audit", admin.str("token"), nil).Raw; !strings.Contains(log, "org.created") {
		t.Fatalf("audit %s", log)
	}
	// The new company is its own: the seeded company's data is not visible.
	e.expect(e.call("GET", "/v1/orgs/acme/cases", admin.str("token"), nil), 404, "")
}

func TestSignupLimitsAndRefusals(t *testing.T) {
	e := newEnv(t)
	// An address with an account gets the same answer, and nothing is made or mailed.
	taken := e.email("admin")
	before := len(e.mailsTo(taken))
	r := e.call("POST", "/v1/signup", "", signupBody("Copycat", taken))
	e.expect(r, 202, "")
	e.deliver()
	if len(e.mailsTo(taken)) != before {
		t.Fatal("a sign-up mailed an address that has an account")
	}

	for _, c := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"companyName": "X", "name": "N", "email": "nope", "password": "long enough password"}, "email"},
		{map[string]string{"companyName": "", "name": "N", "email": e.email("a"), "password": "long enough password"}, "companyName"},
		{map[string]string{"companyName": "X", "name": "N", "email": e.email("a"), "password": "short"}, "password"},
		{map[string]string{"companyName": "X", "name": "N", "email": e.email("a"), "password": "long enough password", "timeZone": "Mars/Base"}, "timeZone"},
	} {
		r := e.call("POST", "/v1/signup", "", c.body)
		e.expect(r, 400, "")
		if r.field() != c.field {
			t.Fatalf("%v: field %q", c.body, r.field())
		}
	}

	// Per address: three an hour, counted in the table.
	addr := e.email("repeat")
	for i := 0; i < 3; i++ {
		e.expect(e.call("POST", "/v1/signup", "", signupBody("Repeat", addr)), 202, "")
	}
	e.expect(e.call("POST", "/v1/signup", "", signupBody("Repeat", addr)), 429, "rate_limited")
	durable := false
	for _, it := range e.scan() {
		if strings.HasPrefix(attrS(it, "PK"), "RATE#signup-email#") {
			durable = true
		}
	}
	if !durable {
		t.Fatal("the per-address limit is not kept in the table")
	}
	// Per client address: ten an hour (the calls above count too).
	e.clock.Advance(time.Hour)
	refused := false
	for i := 0; i < 11 && !refused; i++ {
		r := e.call("POST", "/v1/signup", "", signupBody("Many", e.email(fmt.Sprintf("ip%d", i))))
		refused = r.Status == 429
	}
	if !refused {
		t.Fatal("eleven sign-ups from one address in an hour were all taken")
	}

	// The link lasts a day.
	e.clock.Advance(time.Hour)
	late := e.email("late")
	e.expect(e.call("POST", "/v1/signup", "", signupBody("Late", late)), 202, "")
	tok := e.signupLink(late)
	e.clock.Advance(24*time.Hour + time.Minute)
	e.expect(e.call("POST", "/v1/signups/"+tok+"/confirm", "", nil), 410, "signup_expired")
	e.expect(e.call("GET", "/v1/signups/not-a-token", "", nil), 404, "signup_not_found")
}

func TestSignupCompanyDefaultsEditableAndUsedByInvites(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	c := e.createCase(admin, "Defaults")
	org := "/v1/orgs/acme"

	e.expect(e.call("PATCH", org, tech, map[string]int{"maxGuestDays": 10}), 403, "")
	for _, bad := range []struct {
		body  map[string]int
		field string
	}{
		{map[string]int{"maxGuestDays": 0}, "maxGuestDays"},
		{map[string]int{"maxGuestDays": 5000}, "maxGuestDays"},
		{map[string]int{"reminderDays": 31}, "reminderDays"},
		{map[string]int{"smsPerDay": -1}, "smsPerDay"},
		{map[string]int{"maxGuestDays": 3, "reminderDays": 3}, "reminderDays"},
	} {
		r := e.call("PATCH", org, admin, bad.body)
		e.expect(r, 400, "")
		if r.field() != bad.field {
			t.Fatalf("%v: field %q", bad.body, r.field())
		}
	}
	r := e.call("PATCH", org, admin, map[string]int{"maxGuestDays": 10, "reminderDays": 2, "smsPerDay": 1})
	e.expect(r, 200, "")
	if r.Body["maxGuestDays"] != float64(10) || r.Body["reminderDays"] != float64(2) || r.Body["smsPerDay"] != float64(1) {
		t.Fatalf("patch %s", r.Raw)
	}
	if got := e.call("GET", org, admin, nil); got.Body["maxGuestDays"] != float64(10) || got.Body["smsPerDay"] != float64(1) {
		t.Fatalf("read back %s", got.Raw)
	}

	// The invite rules use them: the longest period, and the SMS budget.
	long := e.call("POST", org+"/guests", admin, map[string]any{"email": e.email("long"), "name": "L", "caseId": c, "period": map[string]int{"days": 11}})
	e.expect(long, 400, "invalid_input")
	if long.field() != "period.days" {
		t.Fatalf("field %q", long.field())
	}
	e.invite(admin, "sms1", "+4915112340001", c, 10)
	second := e.call("POST", org+"/guests", admin, map[string]any{"email": e.email("sms2"), "name": "S", "caseId": c,
		"phone": "+4915112340002", "channels": []string{"email", "sms"}, "period": map[string]int{"days": 5}})
	e.expect(second, 429, "sms_budget_exhausted")
	if log := e.call("GET", org+"/audit?action=org.", admin, nil).Raw; !strings.Contains(log, "maxGuestDays") {
		t.Fatalf("audit %s", log)
	}
}
