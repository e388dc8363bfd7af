package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/config"
)

func TestInviteAcceptAndCaseScope(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	mine := e.createCase(admin, "Pump 7 leaks")
	other := e.createCase(admin, "Secret merger")

	g := e.invite(admin, "gina", "", mine, 14)
	gid := g.str("id")
	if g.str("status") != "pending" || g.Body["validated"] != false {
		t.Fatalf("new guest: %s", g.Raw)
	}
	e.deliver()
	tok := e.emailLink(e.email("gina"))

	// Opening the link (scanners do too) never uses it up.
	for i := 0; i < 3; i++ {
		p := e.call("GET", "/v1/invitations/"+tok, "", nil)
		e.expect(p, 200, "")
		if p.str("orgName") != "Acme Support" || p.str("inviterName") != "Ann Admin" || !strings.Contains(p.Raw, "Pump 7 leaks") {
			t.Fatalf("preview: %s", p.Raw)
		}
	}
	// An email link needs a password.
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{}), 400, "invalid_input")
	acc := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	guestTok := acc.str("token")

	// The same link cannot be used again.
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword}), 410, "link_used")
	e.expect(e.call("GET", "/v1/invitations/"+tok, "", nil), 410, "link_used")

	// The guest sees their case and nothing else.
	me := e.call("GET", "/v1/me", guestTok, nil)
	e.expect(me, 200, "")
	if me.str("actingOrg", "kind") != "guest" || me.str("actingOrg", "orgId") != "acme" {
		t.Fatalf("me: %s", me.Raw)
	}
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+mine, guestTok, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+other, guestTok, nil), 404, "not_found")
	list := e.call("GET", "/v1/orgs/acme/cases", guestTok, nil)
	e.expect(list, 200, "")
	if strings.Contains(list.Raw, other) || strings.Contains(list.Raw, "Secret merger") || !strings.Contains(list.Raw, mine) {
		t.Fatalf("guest case list leaks or misses: %s", list.Raw)
	}
	e.expect(e.call("GET", "/v1/orgs/other/cases", guestTok, nil), 404, "not_found")
	e.expect(e.call("GET", "/v1/orgs/acme/guests", guestTok, nil), 403, "forbidden")
	e.expect(e.call("GET", "/v1/orgs/acme/audit", guestTok, nil), 403, "forbidden")

	// The guest signs in with email and password from now on.
	e.login(e.email("gina"))

	// The admin's list: active, validated, delivery status per channel.
	e.deliver()
	gl := e.call("GET", "/v1/orgs/acme/guests?status=active", admin, nil)
	e.expect(gl, 200, "")
	row := guestIn(gl, gid)
	if row == nil || row["active"] != true || row["validated"] != true || row["validUntil"] == "" {
		t.Fatalf("guest list row: %v", row)
	}
	delivery := row["invitation"].(map[string]any)["delivery"].(map[string]any)
	if delivery["email"].(map[string]any)["status"] != "sent" {
		t.Fatalf("delivery: %v", delivery)
	}
	if got := e.mailsTo(e.email("gina")); len(got) != 2 {
		t.Fatalf("gina got %d mails (%v), want the invitation and the welcome", len(got), got)
	}
	audit := e.call("GET", "/v1/orgs/acme/audit", admin, nil)
	e.expect(audit, 200, "")
	for _, action := range []string{"case.created", "guest.invited", "guest.accepted"} {
		if !strings.Contains(audit.Raw, `"action":"`+action+`"`) {
			t.Errorf("audit log lacks %s: %s", action, audit.Raw)
		}
	}
}

func TestInviteWithNewCaseAndDecline(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	r := e.call("POST", "/v1/orgs/acme/guests", tech, map[string]any{
		"email": e.email("dora"), "name": "Dora", "newCase": map[string]string{"title": "New boiler"},
		"period": map[string]any{"until": e.clock.Now().Add(72 * time.Hour).Format(time.RFC3339)},
	})
	e.expect(r, 201, "")
	caseIDs := r.Body["caseIds"].([]any)
	c := e.call("GET", "/v1/orgs/acme/cases/"+caseIDs[0].(string), tech, nil)
	e.expect(c, 200, "")
	if c.str("title") != "New boiler" {
		t.Fatalf("new case: %s", c.Raw)
	}
	e.deliver()
	tok := e.emailLink(e.email("dora"))
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/decline", "", nil), 204, "")
	e.expect(e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword}), 410, "link_used")
	g := e.call("GET", "/v1/orgs/acme/guests/"+r.str("id"), tech, nil)
	if g.str("status") != "deactivated" || g.str("endReason") != "declined" {
		t.Fatalf("declined guest: %s", g.Raw)
	}
}

func TestSMSLinkLetsGuestInAndSetPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Heat pump")
	phone := "+4915112345678"
	e.invite(admin, "sami", phone, cid, 30)
	e.deliver()
	tok := e.smsLink(phone)
	p := e.call("GET", "/v1/invitations/"+tok, "", nil)
	e.expect(p, 200, "")
	if p.str("channel") != "sms" || p.Body["passwordRequired"] != false {
		t.Fatalf("sms preview: %s", p.Raw)
	}
	acc := e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{})
	e.expect(acc, 200, "")
	ends, _ := time.Parse(time.RFC3339, acc.str("expiresAt"))
	if d := ends.Sub(e.clock.Now()); d > 24*time.Hour || d < 23*time.Hour {
		t.Fatalf("SMS session lasts %v, want 24 h", d)
	}
	sess := acc.str("token")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, sess, nil), 200, "")
	// Without a password the guest cannot sign in.
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("sami"), "password": testPassword}), 401, "invalid_credentials")
	e.expect(e.call("POST", "/v1/me/password", sess, map[string]string{"password": "short"}), 400, "invalid_input")
	e.expect(e.call("POST", "/v1/me/password", sess, map[string]string{"password": testPassword}), 204, "")
	// A second first-password is refused: changing needs the current one.
	// (The link session itself ended with the new password.)
	e.expect(e.call("POST", "/v1/me/password", e.login(e.email("sami")), map[string]string{"password": "another long password"}), 409, "password_set")
	// With a password the account outlives the SMS day.
	e.clock.Advance(48 * time.Hour)
	e.expect(e.call("GET", "/v1/me", sess, nil), 401, "session_expired")
	later := e.login(e.email("sami"))
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, later, nil), 200, "")
}

func TestConcurrentAcceptsSucceedOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Race")
	g := e.invite(admin, "racer", "", cid, 7)
	e.deliver()
	tok := e.emailLink(e.email("racer"))

	// Each accept hashes a password (argon2id, 19 MiB) before its conditional
	// write, so a few more requests than cores already race; 50 only made the
	// test slower, not stricter.
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i] = e.call("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{"password": testPassword}).Status
		}(i)
	}
	close(start)
	wg.Wait()
	ok, gone := 0, 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 410:
			gone++
		}
	}
	if ok != 1 || gone != n-1 {
		t.Fatalf("accepts: %d succeeded, %d gone, all: %v", ok, gone, statuses)
	}
	welcomes := 0
	for _, it := range e.scan() {
		if attrS(it, "Type") == "outbox" && attrS(it, "Kind") == "guest_welcome" && attrS(it, "GuestID") == g.str("id") {
			welcomes++
		}
	}
	if welcomes != 1 {
		t.Fatalf("%d welcome messages queued, want 1", welcomes)
	}
}

func TestNoRawTokenStored(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Tokens")
	e.invite(admin, "tina", "+4917612345678", cid, 7)
	e.deliver()
	tokens := []string{e.emailLink(e.email("tina")), e.smsLink("+4917612345678")}
	// Before and after the accept, no attribute anywhere holds a token.
	check := func() {
		for _, it := range e.scan() {
			for name, v := range it {
				for _, tok := range tokens {
					if strings.Contains(avString(v), tok) {
						t.Fatalf("raw token found in %s/%s attribute %s", attrS(it, "PK"), attrS(it, "SK"), name)
					}
				}
			}
		}
	}
	check()
	e.expect(e.call("POST", "/v1/invitations/"+tokens[0]+"/accept", "", map[string]string{"password": testPassword}), 200, "")
	check()
}

// avString flattens an attribute value into text for searching.
func avString(v types.AttributeValue) string {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberM:
		var b strings.Builder
		for _, vv := range x.Value {
			b.WriteString(avString(vv))
		}
		return b.String()
	case *types.AttributeValueMemberL:
		var b strings.Builder
		for _, vv := range x.Value {
			b.WriteString(avString(vv))
		}
		return b.String()
	case *types.AttributeValueMemberSS:
		return strings.Join(x.Value, " ")
	}
	return ""
}

func TestExpiredGuestRefusedBeforeTTLAndSwept(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Short job")
	g := e.invite(admin, "eve", "", cid, 1)
	gid := g.str("id")
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("eve"))+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	// A token signed to outlive the period (as one issued just before an
	// extension was taken back would) must still be refused at the end.
	e.clock.Advance(24*time.Hour + time.Second)
	if e.item("ORG#acme", "GRANT#"+gid) == nil {
		t.Fatal("grant item is gone already; the test needs it present")
	}
	fresh := e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("eve"), "password": testPassword})
	e.expect(fresh, 403, "guest_expired")
	res, err := e.app.Sweeper.Run(context.Background())
	must(t, err)
	admin = e.login(e.email("admin"))
	if res.Expired != 1 {
		t.Fatalf("sweep expired %d guests, want 1", res.Expired)
	}
	gl := e.call("GET", "/v1/orgs/acme/guests?status=deactivated", admin, nil)
	row := guestIn(gl, gid)
	if row == nil || row["active"] != false || row["endReason"] != "expired" {
		t.Fatalf("swept guest: %v", row)
	}
	audit := e.call("GET", "/v1/orgs/acme/audit", admin, nil)
	if !strings.Contains(audit.Raw, `"action":"guest.expired"`) || !strings.Contains(audit.Raw, `"actor":"system"`) {
		t.Fatalf("audit lacks the expiry: %s", audit.Raw)
	}
}

func TestGuestRefusedAtPeriodEndWithLiveToken(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Edge")
	e.invite(admin, "ed", "", cid, 1)
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("ed"))+"/accept", "", map[string]string{"password": testPassword})
	tok := acc.str("token")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, tok, nil), 200, "")
	// Shorten the period to 6 hours: the session token, signed for 12, must
	// follow the grant, not its own expiry.
	until := e.clock.Now().Add(6 * time.Hour).Format(time.RFC3339)
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+acc.str("guest", "id"), admin, map[string]any{"period": map[string]any{"until": until}}), 200, "")
	e.clock.Advance(6*time.Hour + time.Second)
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, tok, nil), 403, "guest_expired")
}

func TestEndGuestAndReinvite(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Ended")
	g := e.invite(admin, "fred", "", cid, 10)
	gid := g.str("id")
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("fred"))+"/accept", "", map[string]string{"password": testPassword})
	oldTok := acc.str("token")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, oldTok, nil), 200, "")

	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+gid+"/end", admin, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, oldTok, nil), 403, "guest_ended")
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("fred"), "password": testPassword}), 403, "guest_ended")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+gid+"/end", admin, nil), 409, "guest_deactivated")
	// Extending an ended guest is refused: re-invite instead.
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{"period": map[string]int{"days": 3}}), 409, "guest_deactivated")

	// Re-invite from stored data: only a new period is given.
	re := e.call("POST", "/v1/orgs/acme/guests/"+gid+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 5}})
	e.expect(re, 200, "")
	if re.str("email") != e.email("fred") || re.str("status") != "pending" {
		t.Fatalf("reinvite: %s", re.Raw)
	}
	e.deliver()
	newLink := e.emailLink(e.email("fred"))
	// The old token stays refused: the new grant has a new id.
	acc2 := e.call("POST", "/v1/invitations/"+newLink+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc2, 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, oldTok, nil), 403, "no_access")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, acc2.str("token"), nil), 200, "")
	// An existing account confirms with its password.
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+gid+"/end", admin, nil), 200, "")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+gid+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 5}}), 200, "")
	e.deliver()
	third := e.emailLink(e.email("fred"))
	p := e.call("GET", "/v1/invitations/"+third, "", nil)
	if p.Body["accountExists"] != true {
		t.Fatalf("preview for existing account: %s", p.Raw)
	}
	e.expect(e.call("POST", "/v1/invitations/"+third+"/accept", "", map[string]string{"password": "not the password"}), 401, "invalid_credentials")
	e.expect(e.call("POST", "/v1/invitations/"+third+"/accept", "", map[string]string{"password": testPassword}), 200, "")
	audit := e.call("GET", "/v1/orgs/acme/audit?limit=200", admin, nil)
	for _, a := range []string{"guest.ended", "guest.reinvited"} {
		if !strings.Contains(audit.Raw, `"action":"`+a+`"`) {
			t.Errorf("audit lacks %s", a)
		}
	}
}

func TestReminderOnceAndExtendMovesTTL(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Reminders")
	g := e.invite(admin, "rita", "", cid, 5)
	gid := g.str("id")
	e.deliver()
	e.expect(e.call("POST", "/v1/invitations/"+e.emailLink(e.email("rita"))+"/accept", "", map[string]string{"password": testPassword}), 200, "")
	e.deliver()

	e.clock.Advance(2*24*time.Hour + time.Hour) // 2 days 23 h left
	for i := 0; i < 2; i++ {
		res, err := e.app.Sweeper.Run(context.Background())
		must(t, err)
		if want := map[int]int{0: 1, 1: 0}[i]; res.Reminded != want {
			t.Fatalf("run %d reminded %d, want %d", i, res.Reminded, want)
		}
	}
	e.deliver()
	if n := countSubject(e.mailsTo(e.email("rita")), "ends on"); n != 1 {
		t.Fatalf("guest got %d reminders, want 1", n)
	}
	if n := countSubject(e.mailsTo(e.email("admin")), "ends on"); n != 1 {
		t.Fatalf("inviter got %d reminders, want 1", n)
	}

	admin = e.login(e.email("admin"))
	ext := e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{"period": map[string]int{"days": 20}})
	e.expect(ext, 200, "")
	until, _ := time.Parse(time.RFC3339, ext.str("validUntil"))
	grant := e.item("ORG#acme", "GRANT#"+gid)
	if ttl := grant["ttl"].(*types.AttributeValueMemberN).Value; ttl != itoa(until.Unix()) {
		t.Fatalf("grant ttl %s, want %d", ttl, until.Unix())
	}
	e.clock.Advance(18 * 24 * time.Hour)
	res, err := e.app.Sweeper.Run(context.Background())
	must(t, err)
	if res.Reminded != 1 {
		t.Fatalf("after the extension the new end earns one reminder, got %d", res.Reminded)
	}
}

func countSubject(subjects []string, part string) int {
	n := 0
	for _, s := range subjects {
		if strings.Contains(s, part) {
			n++
		}
	}
	return n
}

func TestSESDownKeepsInvitationAndRetries(t *testing.T) {
	e := newEnv(t)
	broken := e.build("http://127.0.0.1:1", func(c *config.Config) { c.SESEndpoint = "http://127.0.0.1:1" })
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Outage")
	g := e.invite(admin, "olga", "", cid, 7)
	gid := g.str("id")

	if _, err := broken.Sender.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	row := e.call("GET", "/v1/orgs/acme/guests/"+gid, admin, nil)
	d := row.Body["invitation"].(map[string]any)["delivery"].(map[string]any)["email"].(map[string]any)
	if d["status"] != "queued" || !strings.Contains(d["reason"].(string), "retrying") || d["attempts"].(float64) != 1 {
		t.Fatalf("after a failed attempt: %v", d)
	}
	// Exhaust the attempts while SES stays down: the message is failed, with
	// the reason, and the invitation is still there to re-send.
	for i := 0; i < 10; i++ {
		e.clock.Advance(31 * time.Minute)
		if _, err := broken.Sender.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	row = e.call("GET", "/v1/orgs/acme/guests/"+gid, admin, nil)
	d = row.Body["invitation"].(map[string]any)["delivery"].(map[string]any)["email"].(map[string]any)
	if d["status"] != "failed" || d["reason"] == "" || d["attempts"].(float64) != 6 {
		t.Fatalf("after all attempts: %v", d)
	}
	if row.str("status") != "pending" {
		t.Fatalf("guest after failed delivery: %s", row.Raw)
	}

	// A transient outage: the next attempt through a working SES delivers.
	g2 := e.invite(admin, "otto", "", cid, 7)
	if _, err := broken.Sender.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	e.deliver()
	row = e.call("GET", "/v1/orgs/acme/guests/"+g2.str("id"), admin, nil)
	d = row.Body["invitation"].(map[string]any)["delivery"].(map[string]any)["email"].(map[string]any)
	if d["status"] != "sent" || d["attempts"].(float64) != 2 {
		t.Fatalf("after recovery: %v", d)
	}
	e.emailLink(e.email("otto"))
}

func TestSMSFailureIsRetried(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Texts")
	e.sms.FailNext(10)
	g := e.invite(admin, "stan", "+4915212345678", cid, 7)
	e.deliver()
	row := e.call("GET", "/v1/orgs/acme/guests/"+g.str("id"), admin, nil)
	d := row.Body["invitation"].(map[string]any)["delivery"].(map[string]any)
	if d["sms"].(map[string]any)["status"] != "queued" || d["email"].(map[string]any)["status"] != "sent" {
		t.Fatalf("delivery with SNS failing: %v", d)
	}
	e.sms.FailNext(0)
	e.clock.Advance(time.Minute)
	e.deliver()
	e.smsLink("+4915212345678")
}

func itoa(n int64) string { return strconvFormat(n) }
