package app_test

import (
	"testing"
)

// inviteBySMS invites email as a case guest by SMS alone, to a phone the
// inviter holds.
func (e *env) inviteBySMS(token, org, email, phone, caseID string) resp {
	e.t.Helper()
	r := e.call("POST", "/v1/orgs/"+org+"/guests", token, map[string]any{
		"email": email, "name": "Guest", "caseId": caseID, "phone": phone, "channels": []string{"sms"},
		"period": map[string]int{"days": 7},
	})
	e.expect(r, 201, "")
	return r
}

// The account takeover of issue 7: a technician invites the company's admin
// as a case guest by SMS to a phone the technician holds, accepts the SMS
// link without a password and switches to the company as its admin. The same
// against another company's admin.
func TestTrustSMSLinkDoesNotTakeOverAnAccount(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Bait")
	for _, victim := range []struct{ email, org, phone string }{
		{e.email("admin"), "acme", "+4915110000001"},
		{e.email("otheradmin"), "other", "+4915110000002"},
	} {
		e.inviteBySMS(tech, "acme", victim.email, victim.phone, cid)
		e.deliver()
		tok := e.smsLink(victim.phone)
		p := e.call("GET", "/v1/invitations/"+tok, "", nil)
		e.expect(p, 200, "")
		if p.Body["passwordRequired"] != true || p.Body["accountExists"] != true {
			t.Fatalf("%s: an SMS link to an existing account must ask for its password: %s", victim.email, p.Raw)
		}
		acc := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{})
		if acc.Status == 200 {
			// Show how far the attack goes before failing.
			sw := e.call("POST", "/v1/auth/switch", acc.str("token"), map[string]string{"orgId": victim.org})
			t.Fatalf("%s: SMS link accepted without the account's password (switch to %s: %d %s)", victim.email, victim.org, sw.Status, sw.Raw)
		}
		e.expect(acc, 401, "invalid_credentials")
		e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": "not the password"}), 401, "invalid_credentials")
		// The link still works for the account's owner, who knows the password;
		// the session is a normal one, not confined to the link.
		own := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword})
		e.expect(own, 200, "")
		e.expect(e.call("POST", "/v1/auth/switch", own.str("token"), map[string]string{"orgId": victim.org}), 200, "")
	}
}
