package app_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/secret"
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

var verifyLinkRe = regexp.MustCompile(`http://guestbridge\.test/verify-email#([A-Za-z0-9_-]+)`)

// verifyLink reads the newest email verification link sent to addr.
func (e *env) verifyLink(addr string) string {
	e.t.Helper()
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		if m := mails[i]; len(m.Destination.To) > 0 && m.Destination.To[0] == addr {
			if mm := verifyLinkRe.FindStringSubmatch(m.Body.Text); mm != nil {
				return mm[1]
			}
		}
	}
	e.t.Fatalf("no verification email to %s", addr)
	return ""
}

func emailVerified(r resp) any { return r.Body["user"].(map[string]any)["emailVerified"] }

// An account made from an SMS link holds its email unverified: invitations
// by email do not find it until the mailbox is proven by a single-use link.
func TestTrustEmailVerification(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Verify")
	acc := e.acceptBySMS(admin, "sid", "+4915110000031", cid, map[string]string{})
	link := acc.str("token")
	// Another company invites the same address as a guest of the company.
	e.expect(e.call("POST", "/v1/orgs/other/guests", e.login(e.email("otheradmin")), map[string]any{
		"email": e.email("sid"), "name": "Sid", "roleId": "technician"}), 201, "")
	e.expect(e.call("POST", "/v1/me/password", link, map[string]string{"password": testPassword}), 204, "")
	sess := e.login(e.email("sid"))
	if inv := e.call("GET", "/v1/me/invitations", sess, nil); strings.Contains(inv.Raw, "Other Corp") {
		t.Fatalf("an unverified address sees invitations addressed to the mailbox: %s", inv.Raw)
	}
	if me := e.call("GET", "/v1/me", sess, nil); emailVerified(me) != false || strings.Contains(me.Raw, `"orgId":"other"`) {
		t.Fatalf("me before verifying: %s", me.Raw)
	}

	sent := e.call("POST", "/v1/me/email/verification", sess, nil)
	e.expect(sent, 202, "")
	if ends, _ := time.Parse(time.RFC3339, sent.str("expiresAt")); ends.Sub(e.clock.Now()) != 24*time.Hour {
		t.Fatalf("verification link lasts until %v", ends)
	}
	e.deliver()
	tok := e.verifyLink(e.email("sid"))
	// Only the token's hash is stored.
	for _, it := range e.scan() {
		for name, v := range it {
			if strings.Contains(avString(v), tok) {
				t.Fatalf("raw verification token in %s/%s %s", attrS(it, "PK"), attrS(it, "SK"), name)
			}
		}
	}
	e.expect(e.call("POST", "/v1/email-verifications/"+strings.Repeat("A", 43), "", nil), 404, "verification_not_found")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 200, "")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 410, "verification_used")
	e.expect(e.call("POST", "/v1/me/email/verification", sess, nil), 409, "email_verified")

	me := e.call("GET", "/v1/me", sess, nil)
	if emailVerified(me) != true {
		t.Fatalf("me after verifying: %s", me.Raw)
	}
	if inv := e.call("GET", "/v1/me/invitations", sess, nil); !strings.Contains(inv.Raw, "Other Corp") {
		t.Fatalf("after verifying, the invitation to the address is the account's: %s", inv.Raw)
	}
}

// Sending is rate-limited per account, and a link expires after 24 hours.
func TestTrustEmailVerificationLimits(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Limits")
	sess := e.acceptBySMS(admin, "lim", "+4915110000041", cid, map[string]string{}).str("token")
	for i := 0; i < 3; i++ {
		e.expect(e.call("POST", "/v1/me/email/verification", sess, nil), 202, "")
	}
	e.expect(e.call("POST", "/v1/me/email/verification", sess, nil), 429, "rate_limited")
	e.deliver()
	tok := e.verifyLink(e.email("lim"))
	e.clock.Advance(24*time.Hour + time.Second)
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 410, "verification_expired")
}

// The mailbox's owner takes the address back from an account that holds it
// unverified, by accepting an email link of any company: the account is
// detached from the address, its sessions end, the change is audited and its
// pending verification links are void.
func TestTrustMailboxOwnerTakesAddressBack(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Squat")
	// The technician makes an account for a stranger's address with a phone
	// and password of their own.
	sq := e.acceptBySMS(tech, "vic", "+4915110000051", cid, map[string]string{"password": "the squatter's password"})
	linkSess := sq.str("token")
	loginSess := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("vic"), "password": "the squatter's password"})
	e.expect(loginSess, 200, "")
	e.expect(e.call("POST", "/v1/me/email/verification", linkSess, nil), 202, "")
	e.deliver()
	pending := e.verifyLink(e.email("vic"))

	// Another company invites the address by email: the link does not see the
	// squatter as the address's owner.
	other := e.login(e.email("otheradmin"))
	ocase := e.call("POST", "/v1/orgs/other/cases", other, map[string]string{"title": "Real"})
	e.expect(ocase, 201, "")
	e.expect(e.call("POST", "/v1/orgs/other/guests", other, map[string]any{
		"email": e.email("vic"), "name": "Victoria", "caseId": ocase.str("id"), "period": map[string]int{"days": 7}}), 201, "")
	e.deliver()
	tok := e.emailLink(e.email("vic"))
	p := e.call("GET", "/v1/invitations/"+tok, "", nil)
	e.expect(p, 200, "")
	if p.Body["accountExists"] != false || p.Body["passwordRequired"] != true {
		t.Fatalf("email link preview treats the unverified account as the owner: %s", p.Raw)
	}
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword}), 200, "")
	// Not a sign-in to the squatter's account: a new account was made, and
	// the address signs in with the owner's password only.
	owner := e.login(e.email("vic"))
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("vic"), "password": "the squatter's password"}), 401, "invalid_credentials")
	me := e.call("GET", "/v1/me", owner, nil)
	if me.str("user", "id") == sq.str("user", "id") || emailVerified(me) != true || strings.Contains(me.Raw, `"orgId":"acme"`) {
		t.Fatalf("the owner's account: %s", me.Raw)
	}
	e.expect(e.call("GET", "/v1/me", linkSess, nil), 401, "token_revoked")
	e.expect(e.call("GET", "/v1/me", loginSess.str("token"), nil), 401, "token_revoked")
	e.expect(e.call("POST", "/v1/email-verifications/"+pending, "", nil), 410, "verification_void")
	audit := e.call("GET", "/v1/orgs/other/audit?limit=200", other, nil)
	if !strings.Contains(audit.Raw, `"action":"user.email_reclaimed"`) || !strings.Contains(audit.Raw, sq.str("user", "id")) {
		t.Fatalf("audit lacks the reclaim: %s", audit.Raw)
	}
}

// A phone never proves an existing account, not even one without a password;
// an address held unverified by another SMS-made account waits for its owner.
func TestTrustSMSLinkRefusals(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Refusals")
	other := e.login(e.email("otheradmin"))
	ocase := e.call("POST", "/v1/orgs/other/cases", other, map[string]string{"title": "Other"})
	e.expect(ocase, 201, "")

	// An address held unverified: a second SMS-made account cannot take it.
	e.acceptBySMS(admin, "twice", "+4915110000061", cid, map[string]string{})
	e.inviteBySMS(other, "other", e.email("twice"), "+4915110000062", ocase.str("id"))
	e.deliver()
	e.expect(e.call("GET", "/v1/invitations/"+e.smsLink("+4915110000062"), "", nil), 409, "email_unverified")
	e.expect(e.call("POST", "/v1/invitations/"+e.smsLink("+4915110000062")+"/accept", "", map[string]string{}), 409, "email_unverified")

	// A verified account without a password: an SMS link is refused, an
	// email link lets the mailbox's owner choose a password.
	link := e.acceptBySMS(admin, "nopw", "+4915110000063", cid, map[string]string{}).str("token")
	e.expect(e.call("POST", "/v1/me/email/verification", link, nil), 202, "")
	e.deliver()
	e.expect(e.call("POST", "/v1/email-verifications/"+e.verifyLink(e.email("nopw")), "", nil), 200, "")
	e.inviteBySMS(other, "other", e.email("nopw"), "+4915110000064", ocase.str("id"))
	e.deliver()
	sms := e.smsLink("+4915110000064")
	e.expect(e.call("GET", "/v1/invitations/"+sms, "", nil), 409, "email_link_required")
	e.expect(e.call("POST", "/v1/invitations/"+sms+"/accept", "", map[string]string{}), 409, "email_link_required")
	e.expect(e.call("POST", "/v1/invitations/"+sms+"/accept", "", map[string]string{"password": testPassword}), 409, "email_link_required")
}

// An email link for an existing account without a password: the mailbox's
// owner chooses one; the new session carries the raised token version and the
// account's older sessions end.
func TestTrustEmailLinkSetsFirstPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "First password")
	link := e.acceptBySMS(admin, "fp", "+4915110000081", cid, map[string]string{}).str("token")
	e.expect(e.call("POST", "/v1/me/email/verification", link, nil), 202, "")
	e.deliver()
	e.expect(e.call("POST", "/v1/email-verifications/"+e.verifyLink(e.email("fp")), "", nil), 200, "")

	other := e.login(e.email("otheradmin"))
	ocase := e.call("POST", "/v1/orgs/other/cases", other, map[string]string{"title": "Other"})
	e.expect(ocase, 201, "")
	e.expect(e.call("POST", "/v1/orgs/other/guests", other, map[string]any{
		"email": e.email("fp"), "name": "F", "caseId": ocase.str("id"), "period": map[string]int{"days": 7}}), 201, "")
	e.deliver()
	tok := e.emailLink(e.email("fp"))
	p := e.call("GET", "/v1/invitations/"+tok, "", nil)
	if p.Body["accountExists"] != false || p.Body["passwordRequired"] != true {
		t.Fatalf("preview: %s", p.Raw)
	}
	acc := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	e.expect(e.call("GET", "/v1/orgs/other/cases/"+ocase.str("id"), acc.str("token"), nil), 200, "")
	e.expect(e.call("GET", "/v1/me", link, nil), 401, "token_revoked")
	// The same account, now with a password and two guest accesses.
	me := e.call("GET", "/v1/me", e.login(e.email("fp")), nil)
	if !strings.Contains(me.Raw, `"orgId":"acme"`) || !strings.Contains(me.Raw, `"orgId":"other"`) {
		t.Fatalf("me: %s", me.Raw)
	}
}

// A link token that names a member (what the hole's switch handed out before
// the fix) is refused, whatever company it names.
func TestTrustLinkTokenOfAMemberIsRefused(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	me := e.call("GET", "/v1/me", admin, nil)
	e.expect(me, 200, "")
	keys, err := secret.Derive(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	now := e.clock.Now()
	forged, err := identity.NewSigner(keys.Session, e.clock.Now).Sign(identity.Claims{
		UserID: me.str("user", "id"), OrgID: "acme", Kind: access.Member, ViaLink: true, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	must(t, err)
	e.expect(e.call("GET", "/v1/me", forged, nil), 403, "link_session_confined")
	e.expect(e.call("GET", "/v1/orgs/acme/guests", forged, nil), 403, "link_session_confined")
}

// A guest re-invited by email whose account holds the address unverified:
// the email link's holder takes the address, instead of being asked for the
// password of an account they never made.
func TestTrustMailboxOwnerTakesAddressBackFromAReinvite(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Reinvite")
	g := e.invite(tech, "rita", "+4915110000071", cid, 7) // email and SMS
	e.deliver()
	sq := e.call("POST", "/v1/invitations/"+e.smsLink("+4915110000071")+"/accept", "", map[string]string{"password": "the squatter's password"})
	e.expect(sq, 200, "")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+g.str("id")+"/end", tech, nil), 200, "")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+g.str("id")+"/reinvite", tech, map[string]any{"period": map[string]int{"days": 7}}), 200, "")
	e.deliver()
	tok := e.emailLink(e.email("rita"))
	p := e.call("GET", "/v1/invitations/"+tok, "", nil)
	if p.Body["accountExists"] != false {
		t.Fatalf("the mailbox's owner is asked for the squatter's password: %s", p.Raw)
	}
	acc := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	if acc.str("user", "id") == sq.str("user", "id") || emailVerified(acc) != true {
		t.Fatalf("accept: %s", acc.Raw)
	}
	e.expect(e.call("GET", "/v1/me", sq.str("token"), nil), 401, "token_revoked")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, e.login(e.email("rita")), nil), 200, "")
}
