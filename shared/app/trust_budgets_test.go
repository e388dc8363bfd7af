package app_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/phone"
)

// Flow tests of the durable budgets: nobody can make a company pay for SMS,
// or flood strangers, beyond its quotas.

// tomorrowAt sets the clock to hh:mm UTC tomorrow, so fixed windows start at
// known times, and refreshes the relay's heartbeat for the new time.
func (e *env) tomorrowAt(hh, mm int) time.Time {
	e.t.Helper()
	t := time.Now().UTC().Truncate(24 * time.Hour).Add(24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	e.at(t)
	return t
}

func (e *env) at(t time.Time) {
	e.t.Helper()
	e.clock.Set(t)
	e.registerRelay("task-1", e.relay.signalURL(), 0)
}

// tryInvite invites who onto caseID, by SMS too when phone is set, and
// returns the answer whatever it is.
func (e *env) tryInvite(token, who, phone, caseID string) resp {
	e.t.Helper()
	body := map[string]any{"email": e.email(who), "name": "Guest " + who, "caseId": caseID, "period": map[string]int{"days": 7}}
	if phone != "" {
		body["phone"] = phone
		body["channels"] = []string{"email", "sms"}
	}
	return e.call("POST", "/v1/orgs/"+e.org+"/guests", token, body)
}

func (e *env) guestCount(token string) int {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+e.org+"/guests", token, nil)
	e.expect(r, 200, "")
	list, _ := r.Body["guests"].([]any)
	return len(list)
}

// textsTo counts the SMS delivered to number.
func (e *env) textsTo(number string) int {
	e.t.Helper()
	e.deliver()
	n := 0
	for _, m := range e.sms.Messages() {
		if m.To == number {
			n++
		}
	}
	return n
}

// countItems counts the table's items whose PK starts with prefix.
func (e *env) countItems(prefix string) int {
	e.t.Helper()
	n := 0
	for _, it := range e.scan() {
		if strings.HasPrefix(attrS(it, "PK"), prefix) {
			n++
		}
	}
	return n
}

// roomyQuotas lifts the session and invitation quotas for tests that start
// and invite far more than a person would in an hour.
func roomyQuotas(c *config.Config) {
	c.Quotas.SessionsPerUserHour, c.Quotas.SessionsPerOrgHour = 1000, 1000
	c.Quotas.SessionsPerUserDay, c.Quotas.SessionsPerOrgDay = 1000, 1000
	c.Quotas.InvitesPerUserDay, c.Quotas.InvitesPerOrgHour, c.Quotas.InvitesPerOrgDay = 1000, 1000, 1000
}

const desktopUA = "Mozilla/5.0 (X11; Linux x86_64)"

func expectRetryAfter(t *testing.T, r resp, want time.Duration) {
	t.Helper()
	got, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || time.Duration(got)*time.Second != want {
		t.Fatalf("Retry-After %q, want %v", r.Header.Get("Retry-After"), want)
	}
}

func TestTrustBudgetSMSPerCompanyPerDay(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Quotas.SMSPerOrgDay = 2 })
	e.tomorrowAt(22, 0)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	caseID := e.createCase(admin, "Pump 7")

	// Two people of one company share its budget.
	e.expect(e.tryInvite(admin, "g1", "+4915112345671", caseID), 201, "")
	e.expect(e.tryInvite(tech, "g2", "+4915112345672", caseID), 201, "")
	guests := e.guestCount(admin)

	r := e.tryInvite(admin, "g3", "+4915112345673", caseID)
	e.expect(r, 429, "sms_budget_exhausted")
	expectRetryAfter(t, r, 2*time.Hour) // the UTC day ends at midnight
	if n := e.guestCount(admin); n != guests {
		t.Fatalf("a refused invitation created a guest: %d guests, want %d", n, guests)
	}
	if n := e.textsTo("+4915112345673"); n != 0 {
		t.Fatalf("a refused invitation texted %d times", n)
	}
	// The refusal took nothing from the invitation quotas, and email still goes.
	e.expect(e.tryInvite(admin, "g3", "", caseID), 201, "")

	// Starting a session that would text the customer draws on the same budget.
	sessions := e.countItems("SESSION#")
	r = e.call("POST", "/v1/orgs/acme/cases/"+caseID+"/sessions", tech,
		map[string]any{"customer": map[string]string{"name": "Carla", "phone": "+4915112345674"}})
	e.expect(r, 429, "sms_budget_exhausted")
	if n := e.countItems("SESSION#"); n != sessions {
		t.Fatalf("a refused session start wrote %d session items", n-sessions)
	}
	if n := e.textsTo("+4915112345674"); n != 0 {
		t.Fatal("a refused session start texted the customer")
	}
	// ... and a session without SMS starts.
	e.startSession(tech, caseID, map[string]any{"customer": map[string]string{"name": "Carla"}})

	// Another company's budget is its own.
	other := e.login(e.email("otheradmin"))
	oc := e.call("POST", "/v1/orgs/other/cases", other, map[string]string{"title": "Theirs"})
	e.expect(oc, 201, "")
	r = e.call("POST", "/v1/orgs/other/guests", other, map[string]any{"email": e.email("og"), "name": "Other Guest",
		"phone": "+4915112345675", "channels": []string{"email", "sms"}, "caseId": oc.str("id"), "period": map[string]int{"days": 7}})
	e.expect(r, 201, "")

	// Re-inviting by SMS draws on it too; the next day it is full again.
	g1 := e.tryInvite(admin, "g1b", "", caseID)
	e.expect(g1, 201, "")
	first := e.call("GET", "/v1/orgs/acme/guests", admin, nil)
	var smsGuest string
	for _, g := range first.Body["guests"].([]any) {
		m := g.(map[string]any)
		if m["email"] == e.email("g1") {
			smsGuest, _ = m["id"].(string)
		}
	}
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+smsGuest+"/end", admin, nil), 200, "")
	r = e.call("POST", "/v1/orgs/acme/guests/"+smsGuest+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}})
	e.expect(r, 429, "sms_budget_exhausted")
	e.at(e.clock.Now().Add(2 * time.Hour))
	admin = e.login(e.email("admin"))
	r = e.call("POST", "/v1/orgs/acme/guests/"+smsGuest+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}})
	e.expect(r, 200, "")
	if n := e.textsTo("+4915112345671"); n != 2 {
		t.Fatalf("%d texts to the re-invited guest, want 2", n)
	}
}

func TestTrustBudgetInvitesPerUserAndCompany(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.InvitesPerHour = 2
		c.Quotas.InvitesPerOrgHour = 3
		c.Quotas.InvitesPerOrgDay = 4
	})
	start := e.tomorrowAt(10, 15)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	caseID := e.createCase(admin, "Pump 7")

	e.expect(e.tryInvite(admin, "a1", "", caseID), 201, "")
	e.expect(e.tryInvite(admin, "a2", "", caseID), 201, "")
	r := e.tryInvite(admin, "a3", "", caseID)
	e.expect(r, 429, "rate_limited")
	expectRetryAfter(t, r, 45*time.Minute)
	// The admin's refused third took nothing from the company's three an hour.
	e.expect(e.tryInvite(tech, "t1", "", caseID), 201, "")
	e.expect(e.tryInvite(tech, "t2", "", caseID), 429, "rate_limited")

	// A guest technician invited into a live session counts as an invitation.
	e.at(start.Add(time.Hour))
	admin, tech = e.login(e.email("admin")), e.login(e.email("tech"))
	s := e.startSession(tech, caseID, nil)
	sid := s.str("session", "id")
	e.expect(e.callAs("POST", "/v1/sessions/"+sid+"/invites", tech, "web", desktopUA, map[string]string{"kind": "guest", "email": e.email("gt1")}), 201, "")
	// That was the company's fourth today.
	r = e.callAs("POST", "/v1/sessions/"+sid+"/invites", tech, "web", desktopUA, map[string]string{"kind": "guest", "email": e.email("gt2")})
	e.expect(r, 429, "rate_limited")
	expectRetryAfter(t, r, 24*time.Hour-11*time.Hour-15*time.Minute)
	e.expect(e.tryInvite(admin, "a4", "", caseID), 429, "rate_limited")
	if n := e.guestCount(admin); n != 3 {
		t.Fatalf("%d guests, want 3", n)
	}
}

func TestTrustBudgetSessionsPerUser(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.Quotas.SessionsPerUserHour = 2
		c.Quotas.SessionsPerOrgDay = 3
	})
	e.tomorrowAt(9, 30)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	caseID := e.createCase(admin, "Pump 7")
	e.startSession(tech, caseID, nil)
	e.startSession(tech, caseID, nil)
	sessions := e.countItems("SESSION#")
	r := e.call("POST", "/v1/orgs/acme/cases/"+caseID+"/sessions", tech, nil)
	e.expect(r, 429, "rate_limited")
	expectRetryAfter(t, r, 30*time.Minute)
	if n := e.countItems("SESSION#"); n != sessions {
		t.Fatal("a refused session start wrote items")
	}
	// Per user: the admin starts one, and that is the company's third today.
	e.startSession(admin, caseID, nil)
	e.at(e.clock.Now().Add(time.Hour))
	tech = e.login(e.email("tech"))
	e.expect(e.call("POST", "/v1/orgs/acme/cases/"+caseID+"/sessions", tech, nil), 429, "rate_limited")
}

func TestTrustSMSCountries(t *testing.T) {
	e := newEnv(t)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	caseID := e.createCase(admin, "Pump 7")
	guests := e.guestCount(admin)
	for _, number := range []string{
		"+18765551234",   // Jamaica shares +1 with the US
		"+447911123456",  // Guernsey shares +44 with the UK
		"+79161234567",   // Russia
		"+8819912345678", // a satellite network
	} {
		r := e.tryInvite(admin, "far", number, caseID)
		e.expect(r, 400, "phone_country_not_allowed")
		if r.field() != "phone" {
			t.Fatalf("%s: error names field %q, want phone", number, r.field())
		}
	}
	r := e.call("POST", "/v1/orgs/acme/cases/"+caseID+"/sessions", tech,
		map[string]any{"customer": map[string]string{"name": "Carla", "phone": "+18095550100"}})
	e.expect(r, 400, "phone_country_not_allowed")
	if r.field() != "customer.phone" {
		t.Fatalf("session start names field %q", r.field())
	}
	if n := e.guestCount(admin); n != guests {
		t.Fatal("a refused number created a guest")
	}
	e.expect(e.tryInvite(admin, "us", "+14155550100", caseID), 201, "")
	e.expect(e.tryInvite(admin, "ch", "+41791234567", caseID), 201, "")

	// A company that narrows the list later: a stored number outside it is
	// not texted again on re-invite.
	// The API alone serves this test; its SMS endpoint is never called.
	narrowed := e.build("http://127.0.0.1:9", func(c *config.Config) { c.SMSCountries = phone.Countries{"DE": true, "CH": true} })
	srv := httptest.NewServer(narrowed.Handler())
	t.Cleanup(srv.Close)
	var usGuest string
	for _, g := range e.call("GET", "/v1/orgs/acme/guests", admin, nil).Body["guests"].([]any) {
		if m := g.(map[string]any); m["email"] == e.email("us") {
			usGuest, _ = m["id"].(string)
		}
	}
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+usGuest+"/end", admin, nil), 200, "")
	wide := e.srv
	e.srv = srv
	defer func() { e.srv = wide }()
	r = e.call("POST", "/v1/orgs/acme/guests/"+usGuest+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}})
	e.expect(r, 400, "phone_country_not_allowed")
	e.expect(e.tryInvite(admin, "de", "+4915112345678", caseID), 201, "")
}
