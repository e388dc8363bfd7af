package app_test

import (
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/app"
)

// refusedFor checks a 403 with code whose message names what is lacking.
func (e *env) refusedFor(r resp, code, lacking string) {
	e.t.Helper()
	e.expect(r, 403, code)
	if lacking != "" && !strings.Contains(r.str("error", "message"), lacking) {
		e.t.Fatalf("the refusal does not name %s: %s", lacking, r.Raw)
	}
}

func TestTrustRoleManagerCannotGrowPrivileges(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	mkRole := func(tok, name string, privs ...string) resp {
		return e.call("POST", "/v1/orgs/acme/roles", tok, map[string]any{"name": name, "privileges": privs})
	}
	manager := mkRole(admin, "Manager", "roles.manage", "cases.read")
	e.expect(manager, 201, "")
	auditor := mkRole(admin, "Auditor", "audit.read")
	everything := mkRole(admin, "Everything", "cases.read", "cases.write", "devices.read", "devices.control",
		"devices.configure", "guests.manage", "roles.manage", "sessions.start", "audit.read")
	must(t, e.app.SeedOrg(t.Context(), "acme", "Acme Support", []app.DemoAccount{
		{Email: e.email("mgr"), Name: "Mia Manager", Role: manager.str("id")},
		{Email: e.email("all"), Name: "Al Everything", Role: everything.str("id")},
		{Email: e.email("aud"), Name: "Aude Auditor", Role: auditor.str("id")},
	}, testPassword))
	mgr, all := e.login(e.email("mgr")), e.login(e.email("all"))
	techID, adminID := e.memberIDOf(admin, "acme", e.email("tech")), e.memberIDOf(admin, "acme", e.email("admin"))
	audID := e.memberIDOf(admin, "acme", e.email("aud"))

	// Roles: only within what the manager holds.
	e.refusedFor(mkRole(mgr, "Snoop", "cases.read", "audit.read"), "privilege_not_held", "audit.read")
	viewer := mkRole(mgr, "Viewer", "cases.read")
	e.expect(viewer, 201, "")
	e.refusedFor(e.call("PUT", "/v1/orgs/acme/roles/"+viewer.str("id"), mgr, map[string]any{"name": "Viewer", "privileges": []string{"cases.read", "devices.control"}}),
		"privilege_not_held", "devices.control")
	// A role already beyond the manager is not theirs to edit, even to shrink it.
	e.refusedFor(e.call("PUT", "/v1/orgs/acme/roles/"+auditor.str("id"), mgr, map[string]any{"name": "Auditor", "privileges": []string{"cases.read"}}),
		"privilege_not_held", "audit.read")
	e.expect(e.call("PUT", "/v1/orgs/acme/roles/"+viewer.str("id"), mgr, map[string]any{"name": "Reader", "privileges": []string{"cases.read"}}), 200, "")

	// Assigning: not a role with more, not admin, not to someone who holds more.
	e.expect(e.call("PATCH", "/v1/orgs/acme/members/"+audID, admin, map[string]string{"role": viewer.str("id")}), 200, "")
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/members/"+audID, mgr, map[string]string{"role": "technician"}), "privilege_not_held", "")
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/members/"+audID, mgr, map[string]string{"role": "admin"}), "admin_required", "admin")
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/members/"+techID, mgr, map[string]string{"role": viewer.str("id")}), "privilege_not_held", "")
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/members/"+adminID, mgr, map[string]string{"role": viewer.str("id")}), "admin_required", "")
	e.expect(e.call("PATCH", "/v1/orgs/acme/members/"+audID, mgr, map[string]string{"role": manager.str("id")}), 200, "")

	// Every privilege is still not the admin role.
	e.refusedFor(e.call("PATCH", "/v1/orgs/acme/members/"+techID, all, map[string]string{"role": "admin"}), "admin_required", "admin")
	e.expect(e.call("PATCH", "/v1/orgs/acme/members/"+techID, all, map[string]string{"role": everything.str("id")}), 200, "")

	// Removing: the same rule.
	e.refusedFor(e.call("DELETE", "/v1/orgs/acme/members/"+adminID, all, nil), "admin_required", "")
	e.refusedFor(e.call("DELETE", "/v1/orgs/acme/members/"+techID, mgr, nil), "privilege_not_held", "")
	e.expect(e.call("PATCH", "/v1/orgs/acme/members/"+audID, admin, map[string]string{"role": viewer.str("id")}), 200, "")
	e.expect(e.call("DELETE", "/v1/orgs/acme/members/"+audID, mgr, nil), 204, "")

	// Nothing refused was written.
	ms := e.call("GET", "/v1/orgs/acme/members", admin, nil)
	if !strings.Contains(ms.Raw, `"email":"`+e.email("admin")+`","name":"Ann Admin","role":"admin"`) {
		t.Fatalf("members after refusals: %s", ms.Raw)
	}
	if r := e.call("GET", "/v1/orgs/acme/roles/"+auditor.str("id"), admin, nil); !strings.Contains(r.Raw, "audit.read") {
		t.Fatalf("auditor role changed: %s", r.Raw)
	}
}

func TestTrustReinviteRechecksTheReinviter(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	g1, _, _, _ := companyWorld(e, admin)
	endedGuest := func(who string, body map[string]any) string {
		body["email"], body["name"] = e.email(who), who
		r := e.call("POST", "/v1/orgs/acme/guests", admin, body)
		e.expect(r, 201, "")
		e.expect(e.call("POST", "/v1/orgs/acme/guests/"+r.str("id")+"/end", admin, nil), 200, "")
		return r.str("id")
	}
	again := func(tok, id string) resp {
		return e.call("POST", "/v1/orgs/acme/guests/"+id+"/reinvite", tok, map[string]any{"period": map[string]int{"days": 5}})
	}

	// The admin gave the guest devices.configure; a technician lacks it and
	// cannot re-invite them with it, just as they could not invite them.
	up := endedGuest("up", map[string]any{"roleId": "admin"})
	e.refusedFor(again(tech, up), "privilege_not_held", "devices.configure")
	extra := endedGuest("extra", map[string]any{"roleId": "technician", "privileges": []string{"devices.configure"}})
	e.refusedFor(again(tech, extra), "privilege_not_held", "devices.configure")
	perGroup := endedGuest("pergroup", map[string]any{"roleId": "technician", "workspace": map[string]any{"mode": "groups",
		"groups": map[string][]string{g1: {"devices.read", "devices.configure"}}}})
	e.refusedFor(again(tech, perGroup), "privilege_not_held", "devices.configure")
	e.expect(again(admin, up), 200, "")

	// What went away since is refused as in a new invitation.
	gone := e.call("POST", "/v1/orgs/acme/roles", admin, map[string]any{"name": "Temp", "privileges": []string{"devices.read"}})
	e.expect(gone, 201, "")
	temp := endedGuest("temp", map[string]any{"roleId": gone.str("id")})
	e.expect(e.call("DELETE", "/v1/orgs/acme/roles/"+gone.str("id"), admin, nil), 204, "")
	if r := again(admin, temp); r.Status != 400 || r.field() != "roleId" {
		t.Fatalf("re-invite with a deleted role: %d %s", r.Status, r.Raw)
	}
	lonely := e.call("POST", "/v1/orgs/acme/groups", admin, map[string]string{"name": "Empty"})
	scoped := endedGuest("scoped", map[string]any{"roleId": "technician", "workspace": map[string]any{"mode": "groups",
		"groups": map[string][]string{lonely.str("id"): {"devices.read"}}}})
	e.expect(e.call("DELETE", "/v1/orgs/acme/groups/"+lonely.str("id"), admin, nil), 204, "")
	if r := again(admin, scoped); r.Status != 400 || r.field() != "workspace.groups" {
		t.Fatalf("re-invite into a deleted group: %d %s", r.Status, r.Raw)
	}

	// A guest on cases has no role: the technician re-invites as before.
	cid := e.createCase(admin, "Cases")
	cg := e.invite(admin, "caseonly", "", cid, 3).str("id")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+cg+"/end", admin, nil), 200, "")
	e.expect(again(tech, cg), 200, "")
}
