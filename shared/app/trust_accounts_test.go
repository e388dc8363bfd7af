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

// acceptBySMS invites a new person as a case guest of acme by SMS and accepts
// the link with body: the session is opened from the link.
func (e *env) acceptBySMS(admin, who, phone, caseID string, body map[string]string) resp {
	e.t.Helper()
	e.inviteBySMS(admin, "acme", e.email(who), phone, caseID)
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.smsLink(phone)+"/accept", "", body)
	e.expect(acc, 200, "")
	return acc
}

// A session opened from an SMS link acts only as that guest: no switch to
// another company, no "Companies", no password change.
func TestTrustLinkSessionIsConfined(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Confined")
	acc := e.acceptBySMS(admin, "sid", "+4915110000011", cid, map[string]string{})
	sess := acc.str("token")
	if acc.Body["user"].(map[string]any)["emailVerified"] != false {
		t.Fatalf("an account made from an SMS link holds its email unverified: %s", acc.Raw)
	}
	// The company's admin invites the same address as a guest of the company:
	// the invitation waits under "Companies" of whoever proves the mailbox.
	e.expect(e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("sid2"), "name": "Sid", "roleId": "technician"}), 201, "")

	e.expect(e.call("POST", "/v1/auth/switch", sess, map[string]string{"orgId": "other"}), 403, "link_session_confined")
	same := e.call("POST", "/v1/auth/switch", sess, map[string]string{"orgId": "acme"})
	e.expect(same, 200, "")
	me := e.call("GET", "/v1/me", same.str("token"), nil)
	if me.Body["actingOrg"].(map[string]any)["viaLink"] != true {
		t.Fatalf("a switch keeps the confinement: %s", me.Raw)
	}
	e.expect(e.call("GET", "/v1/me/invitations", sess, nil), 403, "link_session_confined")
	e.expect(e.call("POST", "/v1/me/invitations/g_x/accept", sess, nil), 403, "link_session_confined")
	e.expect(e.call("POST", "/v1/me/invitations/g_x/decline", sess, nil), 403, "link_session_confined")

	// A password chosen at the SMS accept makes no difference: the account
	// is new either way, and a link session cannot change the password.
	acc2 := e.acceptBySMS(admin, "pia", "+4915110000012", cid, map[string]string{"password": testPassword})
	if acc2.Body["user"].(map[string]any)["hasPassword"] != true {
		t.Fatalf("password at accept: %s", acc2.Raw)
	}
	e.expect(e.call("POST", "/v1/me/password", acc2.str("token"), map[string]string{
		"password": "a brand new password", "currentPassword": testPassword}), 403, "link_session_confined")
	e.expect(e.call("GET", "/v1/me/invitations", acc2.str("token"), nil), 403, "link_session_confined")
	// A first password for the link's own new account is allowed.
	e.expect(e.call("POST", "/v1/me/password", sess, map[string]string{"password": testPassword}), 204, "")
}

// The authorization matrix for the caller kind "session opened from an SMS
// link": what it may and may not call.
func TestTrustLinkSessionMatrix(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "In scope")
	outside := e.createCase(admin, "Out of scope")
	otherCase := e.call("POST", "/v1/orgs/other/cases", e.login(e.email("otheradmin")), map[string]string{"title": "Other"})
	e.expect(otherCase, 201, "")
	acc := e.acceptBySMS(admin, "lena", "+4915110000021", cid, map[string]string{})
	sess := acc.str("token")
	gid := acc.str("guest", "id")
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/v1/me", nil, 200, ""},
		{"POST", "/v1/auth/switch", map[string]string{"orgId": "acme"}, 200, ""},
		{"POST", "/v1/auth/switch", map[string]string{"orgId": "other"}, 403, "link_session_confined"},
		{"POST", "/v1/auth/switch", map[string]string{"orgId": "nowhere"}, 403, "link_session_confined"},
		{"GET", "/v1/me/invitations", nil, 403, "link_session_confined"},
		{"POST", "/v1/me/invitations/" + gid + "/accept", nil, 403, "link_session_confined"},
		{"POST", "/v1/me/invitations/" + gid + "/decline", nil, 403, "link_session_confined"},
		{"POST", "/v1/me/password", map[string]string{"password": "short"}, 400, "invalid_input"},
		{"GET", "/v1/orgs/acme/cases/" + cid, nil, 200, ""},
		{"GET", "/v1/orgs/acme/cases/" + outside, nil, 404, ""},
		{"GET", "/v1/orgs/acme/guests", nil, 403, ""},
		{"POST", "/v1/orgs/acme/guests", map[string]any{"email": e.email("x"), "name": "X", "caseId": cid, "period": map[string]int{"days": 1}}, 403, ""},
		{"GET", "/v1/orgs/acme/members", nil, 403, ""},
		{"GET", "/v1/orgs/acme/audit", nil, 403, ""},
		{"GET", "/v1/orgs/other/cases", nil, 404, ""},
		{"GET", "/v1/orgs/other/cases/" + otherCase.str("id"), nil, 404, ""},
		{"GET", "/v1/orgs/other/guests", nil, 404, ""},
		{"GET", "/v1/orgs/other/members", nil, 404, ""},
	} {
		r := e.call(c.method, c.path, sess, c.body)
		if r.Status != c.status || (c.code != "" && r.code() != c.code) {
			t.Errorf("%s %s: got %d %s, want %d %s", c.method, c.path, r.Status, r.code(), c.status, c.code)
		}
	}
}
