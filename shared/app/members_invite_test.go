package app_test

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/secret"
)

var memberLinkRe = regexp.MustCompile(`http://guestbridge\.test/join-company#([A-Za-z0-9_-]+)`)

// memberLink reads the newest member invitation link mailed to addr.
func (e *env) memberLink(addr string) string {
	e.t.Helper()
	e.deliver()
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		if m := mails[i]; len(m.Destination.To) > 0 && m.Destination.To[0] == addr {
			if mm := memberLinkRe.FindStringSubmatch(m.Body.Text); mm != nil {
				return mm[1]
			}
		}
	}
	e.t.Fatalf("no member invitation email to %s", addr)
	return ""
}

func (e *env) inviteMember(token, addr, role string) resp {
	e.t.Helper()
	r := e.call("POST", "/v1/orgs/"+e.org+"/member-invitations", token, map[string]string{"email": addr, "name": "Nia New", "role": role})
	e.expect(r, 201, "")
	return r
}

func (e *env) memberInvitation(token, id string) map[string]any {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+e.org+"/member-invitations", token, nil)
	e.expect(r, 200, "")
	for _, it := range r.Body["invitations"].([]any) {
		if m := it.(map[string]any); m["id"] == id {
			return m
		}
	}
	e.t.Fatalf("invitation %s not listed: %s", id, r.Raw)
	return nil
}

func TestMemberInviteCreatesAnAccountAndJoins(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	addr := e.email("nia")
	inv := e.inviteMember(admin, addr, "technician")
	if inv.str("state") != "pending" || inv.str("role") != "technician" || strings.Contains(inv.Raw, "token") {
		t.Fatalf("invitation %s", inv.Raw)
	}
	tok := e.memberLink(addr)
	// Delivery status like a guest invitation's.
	if d := e.memberInvitation(admin, inv.str("id"))["deliveries"].(map[string]any)["email"].(map[string]any); d["status"] != "sent" {
		t.Fatalf("delivery %v", d)
	}
	// Only the hash is stored.
	for _, it := range e.scan() {
		for name := range it {
			if strings.Contains(attrS(it, name), tok) {
				t.Fatalf("the raw token is stored in %s", name)
			}
		}
	}
	if attrS(e.item("MINV#"+secret.Hash(tok), "INV"), "State") != "pending" {
		t.Fatal("no link item under the token's hash")
	}

	p := e.call("GET", "/v1/member-invitations/"+tok, "", nil)
	e.expect(p, 200, "")
	if p.str("orgName") != "Acme Support" || p.Body["hasAccount"] != false || p.str("roleName") == "" {
		t.Fatalf("preview %s", p.Raw)
	}
	// Opening the link used nothing; a weak password is refused before anything is written.
	r := e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": "short"})
	e.expect(r, 400, "invalid_input")
	if r.field() != "password" {
		t.Fatalf("field %q", r.field())
	}
	r = e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": "nia's long password", "name": "Nia New"})
	e.expect(r, 200, "")
	if r.str("actingOrg", "orgId") != "acme" || r.str("token") == "" {
		t.Fatalf("accept %s", r.Raw)
	}
	// The account signs in with its argon2id password; the member is listed with the role.
	login := e.call("POST", "/v1/auth/login", "", map[string]string{"email": addr, "password": "nia's long password"})
	e.expect(login, 200, "")
	if h := attrS(e.item("USER#"+r.str("user", "id"), "PROFILE"), "PasswordHash"); !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("password hash %q", h)
	}
	members := e.call("GET", "/v1/orgs/acme/members", admin, nil)
	if !strings.Contains(members.Raw, addr) || !strings.Contains(members.Raw, `"role":"technician"`) {
		t.Fatalf("members %s", members.Raw)
	}
	if st := e.memberInvitation(admin, inv.str("id"))["state"]; st != "accepted" {
		t.Fatalf("state %v", st)
	}
	// Single use.
	e.expect(e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": "nia's long password"}), 410, "member_invitation_used")
	e.expect(e.call("GET", "/v1/member-invitations/"+tok, "", nil), 410, "member_invitation_used")
	// Audited.
	log := e.call("GET", "/v1/orgs/acme/audit?action=member.", admin, nil).Raw
	if !strings.Contains(log, "member.invited") || !strings.Contains(log, "member.joined") {
		t.Fatalf("audit %s", log)
	}

	// Removing the new member kills their token at once.
	e.expect(e.call("DELETE", "/v1/orgs/acme/members/"+r.str("user", "id"), admin, nil), 204, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases", login.str("token"), nil), 401, "token_revoked")
}

func TestMemberInviteExistingAccountJoinsWithItsPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	addr := e.email("otheradmin") // an admin of the other company
	e.inviteMember(admin, addr, "technician")
	tok := e.memberLink(addr)
	p := e.call("GET", "/v1/member-invitations/"+tok, "", nil)
	e.expect(p, 200, "")
	if p.Body["hasAccount"] != true {
		t.Fatalf("preview %s", p.Raw)
	}
	r := e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{})
	e.expect(r, 400, "invalid_input")
	if r.field() != "password" {
		t.Fatalf("field %q", r.field())
	}
	// The link proves the mailbox, not the account: a wrong password is refused.
	e.expect(e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": "not the password"}), 401, "invalid_credentials")
	r = e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": testPassword})
	e.expect(r, 200, "")
	me := e.call("GET", "/v1/me", r.str("token"), nil)
	if !strings.Contains(me.Raw, `"orgId":"acme"`) || !strings.Contains(me.Raw, `"orgId":"other"`) {
		t.Fatalf("the company is not among their companies: %s", me.Raw)
	}
	// Inviting them again is refused: they are a member now.
	e.expect(e.call("POST", "/v1/orgs/acme/member-invitations", admin, map[string]string{"email": addr, "role": "technician"}), 409, "already_member")
}

func TestMemberInviteConcurrentAcceptsOneWins(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	addr := e.email("race")
	e.inviteMember(admin, addr, "technician")
	tok := e.memberLink(addr)
	const n = 6
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": "racing long password", "name": "Ray"})
			codes[i] = r.Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 410, 409:
		default:
			t.Fatalf("accept answered %d: %v", c, codes)
		}
	}
	if ok != 1 {
		t.Fatalf("%d accepts won: %v", ok, codes)
	}
	members := 0
	for _, it := range e.scan() {
		if attrS(it, "Type") == "member" && attrS(it, "Email") == addr {
			members++
		}
	}
	if members != 1 {
		t.Fatalf("%d memberships", members)
	}
}

func TestMemberInviteRefusals(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	base := "/v1/orgs/acme/member-invitations"
	e.expect(e.call("POST", base, tech, map[string]string{"email": e.email("x"), "role": "technician"}), 403, "")
	for _, c := range []struct {
		body  map[string]string
		field string
	}{
		{map[string]string{"email": "not an email", "role": "technician"}, "email"},
		{map[string]string{"email": e.email("y")}, "role"},
		{map[string]string{"email": e.email("y"), "role": "nope"}, "role"},
	} {
		r := e.call("POST", base, admin, c.body)
		e.expect(r, 400, "")
		if r.field() != c.field {
			t.Fatalf("%v: field %q", c.body, r.field())
		}
	}
	e.expect(e.call("POST", base, admin, map[string]string{"email": e.email("tech"), "role": "technician"}), 409, "already_member")

	// The link lasts a week.
	e.inviteMember(admin, e.email("late"), "technician")
	tok := e.memberLink(e.email("late"))
	e.clock.Advance(7*24*time.Hour + time.Minute)
	e.expect(e.call("POST", "/v1/member-invitations/"+tok+"/accept", "", map[string]string{"password": "late long password", "name": "L"}), 410, "member_invitation_expired")
	e.expect(e.call("GET", "/v1/member-invitations/not-a-token", "", nil), 404, "member_invitation_not_found")
}
