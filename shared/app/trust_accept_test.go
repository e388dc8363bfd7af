package app_test

import (
	"testing"
	"time"
)

// What a company decided about a guest before they accept holds after: the
// grant comes from the guest's profile as it is at the accept. For case guests
// and guests of the company, each of: switched off, ended, shortened.
func TestTrustAcceptTakesTheCurrentProfile(t *testing.T) {
	kinds := []struct {
		name   string
		invite func(e *env, admin, who string) string // returns the guest id
	}{
		{"case guest", func(e *env, admin, who string) string {
			cid := e.createCase(admin, "Case of "+who)
			return e.invite(admin, who, "", cid, 30).str("id")
		}},
		{"company guest", func(e *env, admin, who string) string {
			r := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
				"email": e.email(who), "name": "Guest " + who, "roleId": "technician", "period": map[string]int{"days": 30}})
			e.expect(r, 201, "")
			return r.str("id")
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			e := newEnv(t)
			admin := e.login(e.email("admin"))
			accept := func(who string) resp {
				e.deliver()
				return e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
			}

			// Switched off before the accept: the accept works, the access is off.
			off := k.invite(e, admin, "off")
			e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+off, admin, map[string]any{"active": false}), 200, "")
			acc := accept("off")
			e.expect(acc, 200, "")
			if acc.str("guest", "status") != "inactive" {
				t.Fatalf("accepted while switched off: %s", acc.Raw)
			}
			e.expect(e.call("GET", "/v1/me", acc.str("token"), nil), 403, "guest_inactive")
			e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("off"), "password": testPassword}), 403, "guest_inactive")
			row := e.call("GET", "/v1/orgs/acme/guests/"+off, admin, nil)
			if row.str("status") != "inactive" || row.Body["validated"] != true {
				t.Fatalf("switched-off guest after accept: %s", row.Raw)
			}
			// Switched on again, the guest is in.
			e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+off, admin, map[string]any{"active": true}), 200, "")
			e.expect(e.call("GET", "/v1/me", e.login(e.email("off")), nil), 200, "")

			// Ended before the accept: the link is void.
			ended := k.invite(e, admin, "ended")
			e.expect(e.call("POST", "/v1/orgs/acme/guests/"+ended+"/end", admin, nil), 200, "")
			e.expect(accept("ended"), 410, "link_expired")

			// Shortened before the accept: the grant ends when the profile does.
			short := k.invite(e, admin, "short")
			until := e.clock.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
			e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+short, admin, map[string]any{
				"period": map[string]string{"until": until.Format(time.RFC3339)}}), 200, "")
			acc = accept("short")
			e.expect(acc, 200, "")
			if ends, _ := time.Parse(time.RFC3339, acc.str("expiresAt")); ends.After(until) {
				t.Fatalf("session ends %v, after the shortened period %v", ends, until)
			}
			if got := attrS(e.item("ORG#acme", "GRANT#"+short), "ValidUntil"); got == "" || got[:19] != until.Format("2006-01-02T15:04:05") {
				t.Fatalf("grant ends %q, want %v", got, until)
			}
			e.clock.Advance(3 * time.Hour)
			e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("short"), "password": testPassword}), 403, "guest_expired")
		})
	}
}
