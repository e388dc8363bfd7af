package app_test

import (
	"strings"
	"testing"
)

// TestNotesSavedOnTheCase: the primary's notes are saved with a version, so
// a save from a stale page is refused rather than lost unseen; members who
// read cases see them on the case; nobody else writes them.
func TestNotesSavedOnTheCase(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
	sid := e.startSession(tech, cid, nil).str("session", "id")
	path := "/v1/sessions/" + sid + "/notes"

	empty := e.call("GET", path, tech, nil)
	e.expect(empty, 200, "")
	if empty.Body["version"] != float64(0) || empty.str("text") != "" {
		t.Fatalf("notes before any save: %s", empty.Raw)
	}
	v1 := e.call("PUT", path, tech, map[string]any{"text": "Seal worn", "version": 0})
	e.expect(v1, 200, "")
	if v1.Body["version"] != float64(1) {
		t.Fatalf("first save: %s", v1.Raw)
	}
	// A second tab that still holds version 0 cannot overwrite version 1.
	e.expect(e.call("PUT", path, tech, map[string]any{"text": "Other tab", "version": 0}), 409, "notes_changed")
	e.expect(e.call("PUT", path, tech, map[string]any{"text": "Seal worn; replace ring 14", "version": 1}), 200, "")
	e.expect(e.call("PUT", path, tech, map[string]any{"text": "old", "version": 1}), 409, "notes_changed")
	long := e.call("PUT", path, tech, map[string]any{"text": strings.Repeat("x", 20001), "version": 2})
	e.expect(long, 400, "invalid_input")
	if long.field() != "text" {
		t.Fatalf("long notes name %q", long.field())
	}

	// Read back by the primary and by a member who reads cases.
	if r := e.call("GET", path, admin, nil); r.str("text") != "Seal worn; replace ring 14" || r.Body["version"] != float64(2) {
		t.Fatalf("notes read by the admin: %s", r.Raw)
	}
	cn := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/notes", admin, nil)
	e.expect(cn, 200, "")
	list := cn.Body["notes"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["text"] != "Seal worn; replace ring 14" ||
		list[0].(map[string]any)["sessionId"] != sid || list[0].(map[string]any)["updatedByName"] != "Tim Tech" {
		t.Fatalf("case notes: %s", cn.Raw)
	}

	// Only the primary writes, and only with the notes tool on.
	e.expect(e.call("PUT", path, admin, map[string]any{"text": "mine", "version": 2}), 403, "notes_not_allowed")
	prim := e.sessionParts(tech, sid)["primary"]
	e.expect(e.call("PUT", "/v1/sessions/"+sid+"/participants/"+prim+"/tools", tech,
		map[string]any{"tools": []string{"chat", "video", "invite", "session_details"}}), 200, "")
	e.expect(e.call("PUT", path, tech, map[string]any{"text": "x", "version": 2}), 403, "notes_not_allowed")

	// A guest of the very case never reads them; another company finds nothing.
	guest := e.caseGuest(admin, "gus", cid)
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid+"/notes", guest, nil), 403, "notes_not_for_guests")
	e.expect(e.call("GET", path, guest, nil), 404, "session_not_found")
	e.expect(e.call("PUT", path, guest, map[string]any{"text": "x", "version": 2}), 404, "session_not_found")
	other := e.login(e.email("otheradmin"))
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid+"/notes", other, nil), 404, "")
	e.expect(e.call("GET", path, other, nil), 404, "session_not_found")
}
