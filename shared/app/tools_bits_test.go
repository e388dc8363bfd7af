package app_test

import (
	"testing"
)

// TestToolBitsInviteAndDetails: the invite and session details bits of the
// matrix are read by the API: a primary whose invite tool is off cannot
// invite; a participant whose session details tool is off gets neither the
// session's details nor its report.
func TestToolBitsInviteAndDetails(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
	sid := e.startSession(tech, cid, nil).str("session", "id")
	prim := e.sessionParts(tech, sid)["primary"]
	tools := func(pid string, list ...string) {
		t.Helper()
		e.expect(e.call("PUT", "/v1/sessions/"+sid+"/participants/"+pid+"/tools", tech, map[string]any{"tools": list}), 200, "")
	}
	adminID := e.memberIDOf(admin, "acme", e.email("admin"))
	invite := func() resp {
		return e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": adminID})
	}

	tools(prim, "chat", "video", "session_details")
	e.expect(invite(), 403, "invite_tool_off")
	tools(prim, "chat", "video", "invite", "session_details")
	inv := invite()
	e.expect(inv, 201, "")
	sec := inv.str("id")

	// With the tool, the secondary sees the details and the report.
	d := e.call("GET", "/v1/sessions/"+sid, admin, nil)
	e.expect(d, 200, "")
	if d.Body["matrix"] == nil || d.Body["detailsHidden"] != nil {
		t.Fatalf("details with the tool: %s", d.Raw)
	}
	e.expect(e.call("GET", "/v1/sessions/"+sid+"/report", admin, nil), 200, "")

	tools(sec, "chat", "video")
	d = e.call("GET", "/v1/sessions/"+sid, admin, nil)
	e.expect(d, 200, "")
	if d.Body["matrix"] != nil || d.Body["detailsHidden"] != true {
		t.Fatalf("details without the tool: %s", d.Raw)
	}
	for _, p := range d.Body["participants"].([]any) {
		m := p.(map[string]any)
		if m["invitedAt"] != nil || m["joinedAt"] != nil || m["email"] != nil {
			t.Fatalf("a participant's details without the tool: %v", m)
		}
	}
	e.expect(e.call("GET", "/v1/sessions/"+sid+"/report", admin, nil), 403, "session_details_off")
	// The primary's own view is unchanged.
	if d := e.call("GET", "/v1/sessions/"+sid, tech, nil); d.Body["matrix"] == nil {
		t.Fatalf("the primary's details: %s", d.Raw)
	}
	tools(sec, "chat", "video", "session_details")
	e.expect(e.call("GET", "/v1/sessions/"+sid+"/report", admin, nil), 200, "")
}
