package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/app"
)

// TestLiveSessionTechnicianPicker: the primary picks colleagues by name or
// email, those seated marked; the invited technician's page learns of the
// invitation by polling one cheap route with an ETag.
func TestLiveSessionTechnicianPicker(t *testing.T) {
	e := newEnv(t)
	must(t, e.app.SeedOrg(context.Background(), "acme", "Acme Support", []app.DemoAccount{
		{Email: e.email("tina"), Name: "Tina Tester", Role: "technician"},
	}, testPassword))
	tech := e.login(e.email("tech"))
	admin := e.login(e.email("admin"))
	tina := e.login(e.email("tina"))
	cid := e.createCase(tech, "Pump 7 leaks")
	st := e.startSession(tech, cid, nil)
	sid := st.str("session", "id")

	type cand struct {
		UserID    string `json:"userId"`
		Name      string `json:"name"`
		Email     string `json:"email"`
		InSession bool   `json:"inSession"`
	}
	pick := func(q string) []cand {
		t.Helper()
		r := e.call("GET", "/v1/sessions/"+sid+"/technicians?q="+q, tech, nil)
		e.expect(r, 200, "")
		var v struct{ Technicians []cand }
		must(t, json.Unmarshal([]byte(r.Raw), &v))
		return v.Technicians
	}
	all := pick("")
	if len(all) != 2 || all[0].Name != "Ann Admin" || all[1].Name != "Tina Tester" || all[1].InSession {
		t.Fatalf("the company's technicians for the primary: %+v", all)
	}
	if got := pick("tina"); len(got) != 1 || got[0].Email != e.email("tina") {
		t.Fatalf("search by name: %+v", got)
	}
	if got := pick("TESTER+tina-"); len(got) != 1 || got[0].Name != "Tina Tester" {
		t.Fatalf("search by name and email words: %+v", got)
	}
	if got := pick("nobody"); len(got) != 0 {
		t.Fatalf("search for nobody: %+v", got)
	}
	long := e.call("GET", "/v1/sessions/"+sid+"/technicians?q="+strings.Repeat("a", 101), tech, nil)
	e.expect(long, 400, "invalid_input")
	// Only the primary sees the picker.
	e.expect(e.call("GET", "/v1/sessions/"+sid+"/technicians", admin, nil), 403, "not_primary")

	poll := func(etag string) resp {
		t.Helper()
		req := e.request("GET", "/v1/me/session-invitations", tina, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		return e.do(req)
	}
	first := poll("")
	e.expect(first, 200, "")
	tag := first.Header.Get("ETag")
	if tag == "" || !strings.Contains(first.Raw, `"invitations":[]`) {
		t.Fatalf("no invitation yet: %s (ETag %q)", first.Raw, tag)
	}
	if r := poll(tag); r.Status != 304 || r.Raw != "" {
		t.Fatalf("an unchanged list: %d %q", r.Status, r.Raw)
	}

	tinaID := all[1].UserID
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": tinaID}), 201, "")
	if got := pick("tina"); len(got) != 1 || !got[0].InSession {
		t.Fatalf("the invited technician is not marked: %+v", got)
	}
	invited := poll(tag)
	e.expect(invited, 200, "")
	var v struct {
		Invitations []map[string]any `json:"invitations"`
	}
	must(t, json.Unmarshal([]byte(invited.Raw), &v))
	if len(v.Invitations) != 1 || v.Invitations[0]["sessionId"] != sid || v.Invitations[0]["caseTitle"] != "Pump 7 leaks" ||
		v.Invitations[0]["primaryName"] != "Tim Tech" || v.Invitations[0]["joined"] != false {
		t.Fatalf("the invitation: %s", invited.Raw)
	}
	if invited.Header.Get("ETag") == tag {
		t.Fatal("the ETag did not change with the list")
	}
	// Others are not told of it.
	if r := e.call("GET", "/v1/me/session-invitations", admin, nil); !strings.Contains(r.Raw, `"invitations":[]`) {
		t.Fatalf("the admin sees %s", r.Raw)
	}

	// Once removed, or once the session ends, the invitation is gone.
	var pid string
	d := e.call("GET", "/v1/sessions/"+sid, tech, nil)
	for _, p := range d.Body["participants"].([]any) {
		if m := p.(map[string]any); m["userId"] == tinaID {
			pid = m["id"].(string)
		}
	}
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/participants/"+pid+"/remove", tech, nil), 200, "")
	if r := poll(""); !strings.Contains(r.Raw, `"invitations":[]`) {
		t.Fatalf("after removal: %s", r.Raw)
	}
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": all[0].UserID}), 201, "")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/end", tech, nil), 200, "")
	if r := e.call("GET", "/v1/me/session-invitations", admin, nil); !strings.Contains(r.Raw, `"invitations":[]`) {
		t.Fatalf("after the end the admin sees %s", r.Raw)
	}

	// An invitation is offered for a day.
	st2 := e.startSession(tech, cid, nil)
	e.expect(e.call("POST", "/v1/sessions/"+st2.str("session", "id")+"/invites", tech, map[string]string{"kind": "internal", "userId": tinaID}), 201, "")
	if r := poll(""); !strings.Contains(r.Raw, st2.str("session", "id")) {
		t.Fatalf("the second invitation: %s", r.Raw)
	}
	e.clock.Advance(25 * time.Hour)
	later := e.call("GET", "/v1/me/session-invitations", e.login(e.email("tina")), nil)
	e.expect(later, 200, "")
	if !strings.Contains(later.Raw, `"invitations":[]`) {
		t.Fatalf("a day after the invitation: %s", later.Raw)
	}
}
