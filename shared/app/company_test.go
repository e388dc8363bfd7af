package app_test

import (
	"strings"
	"testing"
)

// companyWorld makes acme's groups and devices: G1 {D1}, G2 {D2}.
func companyWorld(e *env, admin string) (g1, g2, d1, d2 string) {
	e.t.Helper()
	mk := func(path string, body map[string]string) string {
		r := e.call("POST", "/v1/orgs/acme/"+path, admin, body)
		e.expect(r, 201, "")
		return r.str("id")
	}
	g1, g2 = mk("groups", map[string]string{"name": "Plant North"}), mk("groups", map[string]string{"name": "Plant South"})
	d1, d2 = mk("devices", map[string]string{"name": "Pump N1", "groupId": g1}), mk("devices", map[string]string{"name": "Pump S1", "groupId": g2})
	return
}

func names(r resp, key string) []string {
	var out []string
	list, _ := r.Body[key].([]any)
	for _, x := range list {
		out = append(out, x.(map[string]any)["name"].(string))
	}
	return out
}

func TestCompanyGuestAcceptsFromCompaniesAndSwitches(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	g1, _, d1, _ := companyWorld(e, admin)
	// The invited person already has an account: the admin of another company.
	other := e.login(e.email("otheradmin"))
	inv := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("otheradmin"), "name": "Oscar", "roleId": "technician",
		"workspace": map[string]any{"mode": "groups", "groups": map[string][]string{g1: {"devices.read", "devices.control"}}},
	})
	e.expect(inv, 201, "")
	if inv.Body["active"] != true || inv.Body["validated"] != false || inv.str("kind") != "company" {
		t.Fatalf("new company guest: %s", inv.Raw)
	}
	e.deliver()
	if got := e.mailsTo(e.email("otheradmin")); len(got) != 1 {
		t.Fatalf("invitation emails: %v", got)
	}

	// "Companies" lists the invitation; someone else cannot answer it.
	list := e.call("GET", "/v1/me/invitations", other, nil)
	e.expect(list, 200, "")
	if !strings.Contains(list.Raw, `"status":"pending"`) || !strings.Contains(list.Raw, "Acme Support") {
		t.Fatalf("companies: %s", list.Raw)
	}
	tech := e.login(e.email("tech"))
	e.expect(e.call("POST", "/v1/me/invitations/"+inv.str("id")+"/accept", tech, nil), 404, "invitation_not_found")
	// Not yet validated: switching into acme is refused.
	e.expect(e.call("POST", "/v1/auth/switch", other, map[string]string{"orgId": "acme"}), 404, "org_not_found")

	e.expect(e.call("POST", "/v1/me/invitations/"+inv.str("id")+"/accept", other, nil), 200, "")
	e.expect(e.call("POST", "/v1/me/invitations/"+inv.str("id")+"/accept", other, nil), 409, "invitation_answered")
	row := e.call("GET", "/v1/orgs/acme/guests/"+inv.str("id"), admin, nil)
	if row.Body["active"] != true || row.Body["validated"] != true {
		t.Fatalf("after accept: %s", row.Raw)
	}

	// Switch into the host: only the scope is visible, none of the own company.
	sw := e.call("POST", "/v1/auth/switch", other, map[string]string{"orgId": "acme"})
	e.expect(sw, 200, "")
	host := sw.str("token")
	if sw.str("actingOrg", "kind") != "guest" || sw.str("actingOrg", "guestKind") != "company" {
		t.Fatalf("switch: %s", sw.Raw)
	}
	devs := e.call("GET", "/v1/orgs/acme/devices", host, nil)
	if got := names(devs, "devices"); len(got) != 1 || got[0] != "Pump N1" {
		t.Fatalf("devices in scope: %v", got)
	}
	if got := names(e.call("GET", "/v1/orgs/acme/groups", host, nil), "groups"); len(got) != 1 || got[0] != "Plant North" {
		t.Fatalf("groups in scope: %v", got)
	}
	e.expect(e.call("POST", "/v1/orgs/acme/devices/"+d1+"/commands", host, map[string]string{"command": "restart"}), 202, "")
	e.expect(e.call("GET", "/v1/orgs/other/cases", host, nil), 404, "not_found")
	e.expect(e.call("GET", "/v1/orgs/acme/cases", host, nil), 403, "forbidden")

	// And back to the own company without signing out.
	back := e.call("POST", "/v1/auth/switch", host, map[string]string{"orgId": "other"})
	e.expect(back, 200, "")
	e.expect(e.call("GET", "/v1/orgs/other/cases", back.str("token"), nil), 200, "")
	audit := e.call("GET", "/v1/orgs/acme/audit?limit=200", admin, nil)
	for _, a := range []string{"guest.invited", "guest.accepted", "device.command"} {
		if !strings.Contains(audit.Raw, `"action":"`+a+`"`) {
			t.Errorf("audit lacks %s", a)
		}
	}
}

func TestCompanyGuestByLinkCreatesAccountAndModesScope(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	_, _, d1, _ := companyWorld(e, admin)
	tests := []struct {
		who       string
		workspace map[string]any
		devices   []string
	}{
		{"modeall", map[string]any{"mode": "all"}, []string{"Pump N1", "Pump S1"}},
		{"modedevices", map[string]any{"mode": "devices", "devices": []string{d1}}, []string{"Pump N1"}},
	}
	for _, tc := range tests {
		t.Run(tc.who, func(t *testing.T) {
			e.expect(e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
				"email": e.email(tc.who), "name": tc.who, "roleId": "technician", "workspace": tc.workspace}), 201, "")
			e.deliver()
			link := e.emailLink(e.email(tc.who))
			p := e.call("GET", "/v1/invitations/"+link, "", nil)
			if p.str("kind") != "company" || p.str("roleName") != "Technician" || p.Body["accountExists"] != false {
				t.Fatalf("preview: %s", p.Raw)
			}
			acc := e.call("POST", "/v1/invitations/"+link+"/accept", "", map[string]string{"password": testPassword})
			e.expect(acc, 200, "")
			got := names(e.call("GET", "/v1/orgs/acme/devices", acc.str("token"), nil), "devices")
			if strings.Join(got, ",") != strings.Join(tc.devices, ",") {
				t.Fatalf("devices = %v, want %v", got, tc.devices)
			}
			// The same person signs in later with the new account.
			e.login(e.email(tc.who))
		})
	}
}

func TestActiveSwitchAndScopeChangesApplyAtOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	g1, g2, _, _ := companyWorld(e, admin)
	inv := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("ivy"), "name": "Ivy", "roleId": "technician", "workspace": map[string]any{"mode": "all"}})
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("ivy"))+"/accept", "", map[string]string{"password": testPassword})
	tok := acc.str("token")
	gid := inv.str("id")
	e.expect(e.call("GET", "/v1/orgs/acme/devices", tok, nil), 200, "")

	// Active off: the same token is refused on its next request, and told why.
	off := e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{"active": false})
	e.expect(off, 200, "")
	if off.Body["active"] != false || off.Body["validated"] != true || off.str("status") != "inactive" {
		t.Fatalf("switched off: %s", off.Raw)
	}
	e.expect(e.call("GET", "/v1/orgs/acme/devices", tok, nil), 403, "guest_inactive")
	e.expect(e.call("POST", "/v1/auth/login", "", map[string]string{"email": e.email("ivy"), "password": testPassword}), 403, "guest_inactive")

	// On again, narrowed to one group: the old token follows the new scope.
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{"active": true,
		"workspace": map[string]any{"mode": "groups", "groups": map[string][]string{g2: {"devices.read"}}}}), 200, "")
	if got := names(e.call("GET", "/v1/orgs/acme/groups", tok, nil), "groups"); len(got) != 1 || got[0] != "Plant South" {
		t.Fatalf("groups after narrowing: %v", got)
	}
	e.expect(e.call("GET", "/v1/orgs/acme/groups/"+g1, tok, nil), 404, "group_not_found")
	// Bad scope changes are refused and change nothing.
	bad := e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{
		"workspace": map[string]any{"mode": "devices", "devices": []string{"dev_nope"}}})
	e.expect(bad, 400, "invalid_input")
	if bad.field() != "workspace.devices" {
		t.Fatalf("field: %s", bad.Raw)
	}
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+gid, admin, map[string]any{"privileges": []string{"audit.read"}}), 400, "invalid_input")
	if got := names(e.call("GET", "/v1/orgs/acme/groups", tok, nil), "groups"); len(got) != 1 {
		t.Fatalf("a refused change changed the scope: %v", got)
	}
	audit := e.call("GET", "/v1/orgs/acme/audit?limit=200", admin, nil)
	if strings.Count(audit.Raw, `"action":"guest.changed"`) != 2 {
		t.Fatalf("audit should hold both changes: %s", audit.Raw)
	}
}

func TestCompanyInvitationDeclineAndEmailMismatch(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	other := e.login(e.email("otheradmin"))
	inv := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("otheradmin"), "name": "O", "roleId": "technician"})
	e.expect(inv, 201, "")
	e.deliver()
	// The link is for an existing account: only its password accepts it, so a
	// different person holding the link cannot take the invitation.
	link := e.emailLink(e.email("otheradmin"))
	e.expect(e.call("POST", "/v1/invitations/"+link+"/accept", "", map[string]string{"password": "someone else's password"}), 401, "invalid_credentials")
	dec := e.call("POST", "/v1/me/invitations/"+inv.str("id")+"/decline", other, nil)
	e.expect(dec, 200, "")
	if dec.str("status") != "declined" {
		t.Fatalf("decline: %s", dec.Raw)
	}
	e.expect(e.call("POST", "/v1/invitations/"+link+"/accept", "", map[string]string{"password": testPassword}), 410, "link_expired")
	row := e.call("GET", "/v1/orgs/acme/guests/"+inv.str("id"), admin, nil)
	if row.str("status") != "deactivated" || row.str("endReason") != "declined" {
		t.Fatalf("declined row: %s", row.Raw)
	}
	// Inviting by a role that does not exist is refused.
	bad := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("x"), "name": "X", "roleId": "r_nope"})
	e.expect(bad, 400, "invalid_input")
}

func TestRolesAndDeletionInUse(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	r := e.call("POST", "/v1/orgs/acme/roles", admin, map[string]any{"name": "Field service", "privileges": []string{"devices.read", "devices.control"}})
	e.expect(r, 201, "")
	rid := r.str("id")
	e.expect(e.call("POST", "/v1/orgs/acme/roles", admin, map[string]any{"name": "Bad", "privileges": []string{"root"}}), 400, "invalid_input")
	e.expect(e.call("PUT", "/v1/orgs/acme/roles/admin", admin, map[string]any{"name": "X", "privileges": []string{}}), 409, "role_builtin")
	e.expect(e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{"email": e.email("fs"), "name": "FS", "roleId": rid}), 201, "")
	del := e.call("DELETE", "/v1/orgs/acme/roles/"+rid, admin, nil)
	e.expect(del, 409, "role_in_use")
	if !strings.Contains(del.Raw, e.email("fs")) {
		t.Fatalf("409 should name the holder: %s", del.Raw)
	}
	// A member given the role holds it too; editing the role changes their
	// privileges on their next request.
	tech := e.login(e.email("tech"))
	ms := e.call("GET", "/v1/orgs/acme/members", admin, nil)
	var techID string
	for _, m := range ms.Body["members"].([]any) {
		if mm := m.(map[string]any); mm["email"] == e.email("tech") {
			techID = mm["userId"].(string)
		}
	}
	e.expect(e.call("PATCH", "/v1/orgs/acme/members/"+techID, admin, map[string]string{"role": rid}), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/devices", tech, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases", tech, nil), 403, "forbidden")
	e.expect(e.call("PUT", "/v1/orgs/acme/roles/"+rid, admin, map[string]any{"name": "Field service", "privileges": []string{"cases.read"}}), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases", tech, nil), 200, "")
	e.expect(e.call("GET", "/v1/orgs/acme/devices", tech, nil), 403, "forbidden")
	// Unused roles delete.
	spare := e.call("POST", "/v1/orgs/acme/roles", admin, map[string]any{"name": "Spare", "privileges": []string{}}).str("id")
	e.expect(e.call("DELETE", "/v1/orgs/acme/roles/"+spare, admin, nil), 204, "")
	e.expect(e.call("GET", "/v1/orgs/acme/roles/"+spare, admin, nil), 404, "role_not_found")
}

func TestGuestOfSeveralCompanies(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	other := e.login(e.email("otheradmin"))
	// A freelancer with no company of their own is a guest of both.
	for _, org := range []struct{ id, tok string }{{"acme", admin}, {"other", other}} {
		e.expect(e.call("POST", "/v1/orgs/"+org.id+"/guests", org.tok, map[string]any{
			"email": e.email("freelancer"), "name": "Fay", "roleId": "technician"}), 201, "")
	}
	e.deliver()
	link := e.emailLink(e.email("freelancer"))
	acc := e.call("POST", "/v1/invitations/"+link+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	tok := acc.str("token")
	list := e.call("GET", "/v1/me/invitations", tok, nil)
	if strings.Count(list.Raw, `"status":"pending"`) != 1 || strings.Count(list.Raw, `"status":"accepted"`) != 1 {
		t.Fatalf("companies: %s", list.Raw)
	}
	var pending string
	for _, x := range list.Body["invitations"].([]any) {
		if m := x.(map[string]any); m["status"] == "pending" {
			pending = m["id"].(string)
		}
	}
	e.expect(e.call("POST", "/v1/me/invitations/"+pending+"/accept", tok, nil), 200, "")
	me := e.call("GET", "/v1/me", tok, nil)
	if strings.Count(me.Raw, `"guestKind":"company"`) < 2 {
		t.Fatalf("memberships: %s", me.Raw)
	}
	for _, org := range []string{"acme", "other"} {
		e.expect(e.call("POST", "/v1/auth/switch", tok, map[string]string{"orgId": org}), 200, "")
	}
}

func TestGuestPrivilegesNeverBeyondTheInviter(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	// The admin role would give the guest devices.configure, which a
	// technician does not hold.
	r := e.call("POST", "/v1/orgs/acme/guests", tech, map[string]any{"email": e.email("up"), "name": "Up", "roleId": "admin"})
	e.expect(r, 403, "privilege_not_held")
	r = e.call("POST", "/v1/orgs/acme/guests", tech, map[string]any{"email": e.email("up"), "name": "Up", "roleId": "technician",
		"privileges": []string{"devices.configure"}})
	e.expect(r, 403, "privilege_not_held")
	e.expect(e.call("POST", "/v1/orgs/acme/guests", tech, map[string]any{"email": e.email("up"), "name": "Up", "roleId": "technician"}), 201, "")
}
