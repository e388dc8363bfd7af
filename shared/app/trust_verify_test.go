package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/config"
)

// squatVerification is the attack the verification page must not finish by
// itself: the technician invites a stranger's address by SMS to a phone they
// hold, gives the account a password and has the verification email sent to
// the stranger. It returns the attacker's password session and the link.
func (e *env) squatVerification(who, phone string) (string, string) {
	e.t.Helper()
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Squat "+who)
	e.acceptBySMS(tech, who, phone, cid, map[string]string{"password": "the squatter's password"})
	sq := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email(who), "password": "the squatter's password"})
	e.expect(sq, 200, "")
	e.expect(e.call("POST", "/v1/me/email/verification", sq.str("token"), nil), 202, "")
	e.deliver()
	return sq.str("token"), e.verifyLink(e.email(who))
}

// verifyMailText is the newest verification email to addr.
func (e *env) verifyMailText(addr string) string {
	e.t.Helper()
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		if m := mails[i]; len(m.Destination.To) > 0 && m.Destination.To[0] == addr && verifyLinkRe.MatchString(m.Body.Text) {
			return m.Body.Text
		}
	}
	e.t.Fatalf("no verification email to %s", addr)
	return ""
}

// Opening the link (a scanner, a preview, an unexpected click) shows whose
// account and whose request it is and changes nothing; only the explicit
// confirm proves the mailbox, once.
func TestTrustVerifyPreviewDoesNotConsume(t *testing.T) {
	e := newEnv(t)
	sq, tok := e.squatVerification("vp", "+4915110000071")
	mail := e.verifyMailText(e.email("vp"))
	for _, want := range []string{"from a text message of Acme Support", "nothing changes until you press Confirm on the page"} {
		if !strings.Contains(mail, want) {
			t.Fatalf("verification email lacks %q:\n%s", want, mail)
		}
	}
	created := e.clock.Now() // the manual clock has not moved since the SMS accept
	for i := 0; i < 2; i++ {
		p := e.call("GET", "/v1/email-verifications/"+tok, "", nil)
		e.expect(p, 200, "")
		at, _ := time.Parse(time.RFC3339, p.str("accountCreatedAt"))
		if p.str("email") != e.email("vp") || p.str("accountName") != "Guest" || p.str("orgName") != "Acme Support" || !at.Equal(created) {
			t.Fatalf("preview %d: %s (account created %v)", i, p.Raw, created)
		}
		if emailVerified(e.call("GET", "/v1/me", sq, nil)) != false {
			t.Fatalf("previewing the link verified the address")
		}
	}
	if strings.Contains(e.call("GET", "/v1/email-verifications/"+tok, "", nil).Raw, tok) {
		t.Fatal("the preview echoes the token")
	}
	e.expect(e.call("GET", "/v1/email-verifications/"+strings.Repeat("A", 43), "", nil), 404, "verification_not_found")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 200, "")
	if emailVerified(e.call("GET", "/v1/me", sq, nil)) != true {
		t.Fatal("confirm did not verify the address")
	}
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 410, "verification_used")
	e.expect(e.call("GET", "/v1/email-verifications/"+tok, "", nil), 410, "verification_used")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok+"/decline", "", nil), 410, "verification_used")
}

// "This was not me" uses the link up without confirming, so whoever asked
// cannot have it opened again, and the company whose SMS made the account
// sees it in its audit log.
func TestTrustVerifyNotMeVoids(t *testing.T) {
	e := newEnv(t)
	sq, tok := e.squatVerification("vn", "+4915110000072")
	e.expect(e.call("POST", "/v1/email-verifications/"+strings.Repeat("A", 43)+"/decline", "", nil), 404, "verification_not_found")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok+"/decline", "", nil), 204, "")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 410, "verification_declined")
	e.expect(e.call("GET", "/v1/email-verifications/"+tok, "", nil), 410, "verification_declined")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok+"/decline", "", nil), 410, "verification_declined")
	if emailVerified(e.call("GET", "/v1/me", sq, nil)) != false {
		t.Fatal("a declined link verified the address")
	}
	audit := e.call("GET", "/v1/orgs/acme/audit?limit=200", e.login(e.email("admin")), nil)
	e.expect(audit, 200, "")
	if !strings.Contains(audit.Raw, `"action":"user.email_verification_declined"`) {
		t.Fatalf("audit lacks the decline: %s", audit.Raw)
	}
	// A declined link expires like any other: no later confirm revives it.
	e.clock.Advance(25 * time.Hour)
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 410, "verification_declined")
}

// The preview answers like the confirm once the address's owner took it back.
func TestTrustVerifyPreviewOfAVoidLink(t *testing.T) {
	e := newEnv(t)
	_, tok := e.squatVerification("vv", "+4915110000073")
	other := e.login(e.email("otheradmin"))
	ocase := e.call("POST", "/v1/orgs/other/cases", other, map[string]string{"title": "Real"})
	e.expect(ocase, 201, "")
	e.expect(e.call("POST", "/v1/orgs/other/guests", other, map[string]any{
		"email": e.email("vv"), "name": "Vera", "caseId": ocase.str("id"), "period": map[string]int{"days": 7}}), 201, "")
	e.deliver()
	e.expect(e.call("POST", "/v1/invitations/"+e.emailLink(e.email("vv"))+"/accept", "", map[string]string{"password": testPassword}), 200, "")
	e.expect(e.call("GET", "/v1/email-verifications/"+tok, "", nil), 410, "verification_void")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 410, "verification_void")
}

// Previews count against the same per-client limit as confirms.
func TestTrustVerifyPreviewIsRateLimited(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RedeemsPerMinute = 3 })
	_, tok := e.squatVerification("vr", "+4915110000074")
	e.clock.Advance(time.Minute)
	for i := 0; i < 3; i++ {
		e.expect(e.call("GET", "/v1/email-verifications/"+tok, "", nil), 200, "")
	}
	e.expect(e.call("GET", "/v1/email-verifications/"+tok, "", nil), 429, "rate_limited")
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 429, "rate_limited")
	e.clock.Advance(time.Minute)
	e.expect(e.call("POST", "/v1/email-verifications/"+tok, "", nil), 200, "")
}
