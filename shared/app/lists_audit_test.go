package app_test

import (
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"
)

// auditEntries reads the audit log with the given query string.
func (e *env) auditEntries(token, query string) []map[string]any {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+e.org+"/audit?"+query, token, nil)
	e.expect(r, 200, "")
	raw, _ := r.Body["entries"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

func entryWith(entries []map[string]any, action, target string) map[string]any {
	for _, x := range entries {
		if x["action"] == action && x["target"] == target {
			return x
		}
	}
	return nil
}

func memberID(e *env, token, email string) string {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+e.org+"/members", token, nil)
	e.expect(r, 200, "")
	for _, m := range r.Body["members"].([]any) {
		if mm := m.(map[string]any); mm["email"] == email {
			return mm["userId"].(string)
		}
	}
	e.t.Fatalf("no member %s", email)
	return ""
}

func TestListsAuditNamesSurviveDeletion(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	caseID := e.createCase(admin, "Printer on floor 3")
	g := e.invite(admin, "gina", "", caseID, 5)
	guestID := g.str("id")
	grp := e.call("POST", "/v1/orgs/"+e.org+"/groups", admin, map[string]string{"name": "Lab benches"})
	e.expect(grp, 201, "")
	e.expect(e.call("DELETE", "/v1/orgs/"+e.org+"/groups/"+grp.str("id"), admin, nil), 204, "")
	tim := memberID(e, admin, e.email("tech"))
	e.expect(e.call("DELETE", "/v1/orgs/"+e.org+"/members/"+tim, admin, nil), 204, "")
	e.expect(e.call("POST", "/v1/orgs/"+e.org+"/guests/"+guestID+"/end", admin, nil), 200, "")

	entries := e.auditEntries(admin, "limit=200")
	for _, c := range []struct{ action, target, actorName, targetName string }{
		{"case.created", caseID, "Ann Admin", "Printer on floor 3"},
		{"guest.invited", guestID, "Ann Admin", "Guest gina"},
		{"guest.ended", guestID, "Ann Admin", "Guest gina"},
		{"group.created", grp.str("id"), "Ann Admin", "Lab benches"},
		// Deleted by now: the names were kept when the entries were written.
		{"group.deleted", grp.str("id"), "Ann Admin", "Lab benches"},
		{"member.removed", tim, "Ann Admin", "Tim Tech"},
	} {
		x := entryWith(entries, c.action, c.target)
		if x == nil {
			t.Fatalf("no %s entry for %s in %v", c.action, c.target, entries)
		}
		if x["actorName"] != c.actorName || x["targetName"] != c.targetName {
			t.Errorf("%s: actorName %v targetName %v, want %q %q", c.action, x["actorName"], x["targetName"], c.actorName, c.targetName)
		}
	}
}

func TestListsAuditFilters(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	// The clock moves between writes so the log's order is the writes' order.
	c1 := e.createCase(admin, "Router reset")
	e.clock.Advance(time.Second)
	c2 := e.createCase(tech, "Scanner jam")
	e.clock.Advance(time.Second)
	g := e.invite(tech, "hugo", "", c2, 3)
	timID := memberID(e, admin, e.email("tech"))

	ids := func(entries []map[string]any) []string {
		var out []string
		for _, x := range entries {
			out = append(out, x["action"].(string)+":"+x["target"].(string))
		}
		return out
	}
	cases := []struct {
		name, query string
		want        []string
	}{
		{"actor by name, any case", "actor=tim", []string{"guest.invited:" + g.str("id"), "case.created:" + c2}},
		{"actor by id", "actor=" + timID, []string{"guest.invited:" + g.str("id"), "case.created:" + c2}},
		{"action exact", "action=case.created", []string{"case.created:" + c2, "case.created:" + c1}},
		{"action family", "action=guest.", []string{"guest.invited:" + g.str("id")}},
		{"target by title", "target=" + url.QueryEscape("router"), []string{"case.created:" + c1}},
		{"target by id", "target=" + c2, []string{"case.created:" + c2}},
		{"all three", "actor=ann&action=case.created&target=scanner", nil},
	}
	for _, c := range cases {
		got := ids(e.auditEntries(admin, c.query))
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s (%s): got %v, want %v", c.name, c.query, got, c.want)
		}
	}

	// A filtered page goes on from its last match.
	r := e.call("GET", "/v1/orgs/"+e.org+"/audit?action=case.created&limit=1", admin, nil)
	e.expect(r, 200, "")
	if got := ids(toEntries(r)); len(got) != 1 || got[0] != "case.created:"+c2 || r.str("next") == "" {
		t.Fatalf("first page %v next %q", got, r.str("next"))
	}
	r = e.call("GET", "/v1/orgs/"+e.org+"/audit?action=case.created&limit=1&cursor="+url.QueryEscape(r.str("next")), admin, nil)
	e.expect(r, 200, "")
	if got := ids(toEntries(r)); len(got) != 1 || got[0] != "case.created:"+c1 {
		t.Fatalf("second page %v", got)
	}

	for _, c := range []struct{ query, field string }{
		{"action=" + url.QueryEscape("DROP TABLE"), "action"},
		{"action=" + url.QueryEscape("guest.*"), "action"},
		{"actor=" + strings.Repeat("a", 201), "actor"},
		{"limit=0", "limit"},
		{"who=ann", "who"},
	} {
		r := e.call("GET", "/v1/orgs/"+e.org+"/audit?"+c.query, admin, nil)
		e.expect(r, 400, "invalid_input")
		if r.field() != c.field {
			t.Errorf("%s: field %q, want %q", c.query, r.field(), c.field)
		}
		if strings.Contains(r.Raw, "audit.") || strings.Contains(r.Raw, "strconv") {
			t.Errorf("%s: message leaks internals: %s", c.query, r.Raw)
		}
	}

	// A cursor is sealed: a raw sort key is refused.
	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/audit?cursor=GUEST%23x", admin, nil), 400, "invalid_cursor")

	// Another company's log never answers a filter that names this one's people.
	other := e.login(e.email("otheradmin"))
	r = e.call("GET", "/v1/orgs/other/audit?actor=tim", other, nil)
	e.expect(r, 200, "")
	if len(toEntries(r)) != 0 {
		t.Fatalf("other company sees %v", r.Raw)
	}
}

func toEntries(r resp) []map[string]any {
	raw, _ := r.Body["entries"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestListsAuditCSV(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	evil := `=HYPERLINK("http://evil.test","click"), "quoted"`
	c1 := e.createCase(admin, evil)
	c2 := e.createCase(admin, "-2+3")
	c3 := e.createCase(admin, "Plain, with comma")

	r := e.call("GET", "/v1/orgs/"+e.org+"/audit.csv?action=case.created", admin, nil)
	e.expect(r, 200, "")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename="audit-log.csv"`) {
		t.Fatalf("content disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(r.Raw)).ReadAll()
	must(t, err)
	if len(rows) != 4 || strings.Join(rows[0], ",") != "time,actor,actorId,action,target,targetId,details" {
		t.Fatalf("rows %q", rows)
	}
	want := map[string]string{c1: "'" + evil, c2: "'-2+3", c3: "Plain, with comma"}
	for _, row := range rows[1:] {
		if row[1] != "Ann Admin" || row[3] != "case.created" {
			t.Errorf("row %q", row)
		}
		if w, ok := want[row[5]]; !ok || row[4] != w {
			t.Errorf("target cell %q for %s, want %q", row[4], row[5], w)
		}
		if strings.HasPrefix(row[6], "=") {
			t.Errorf("details cell %q starts a formula", row[6])
		}
		if _, err := time.Parse(time.RFC3339, row[0]); err != nil {
			t.Errorf("time cell %q", row[0])
		}
	}

	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/audit.csv?action=bad!", admin, nil), 400, "invalid_input")
	tech := e.login(e.email("tech"))
	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/audit.csv", tech, nil), 403, "")
}

func TestListsETag(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	caseID := e.createCase(admin, "Conditional reads")
	base := "/v1/orgs/" + e.org
	for _, path := range []string{"/guests", "/cases", "/members", "/roles", "/groups", "/devices", "/audit"} {
		r := e.call("GET", base+path, admin, nil)
		e.expect(r, 200, "")
		tag := r.Header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) || len(tag) < 10 {
			t.Fatalf("%s: ETag %q", path, tag)
		}
		again := e.call("GET", base+path, admin, nil)
		if again.Header.Get("ETag") != tag {
			t.Fatalf("%s: ETag changed without a write: %q then %q", path, tag, again.Header.Get("ETag"))
		}
		for _, inm := range []string{tag, `"nope", ` + tag, "W/" + tag} {
			req := e.request("GET", base+path, admin, nil)
			req.Header.Set("If-None-Match", inm)
			nm := e.do(req)
			if nm.Status != 304 || nm.Raw != "" || nm.Header.Get("ETag") != tag {
				t.Fatalf("%s with If-None-Match %s: %d %q etag %q", path, inm, nm.Status, nm.Raw, nm.Header.Get("ETag"))
			}
		}
	}

	req := e.request("GET", base+"/guests", admin, nil)
	before := e.do(req).Header.Get("ETag")
	ivy := e.invite(admin, "ivy", "", caseID, 2).str("id")
	req = e.request("GET", base+"/guests", admin, nil)
	req.Header.Set("If-None-Match", before)
	after := e.do(req)
	if after.Status != 200 || after.Header.Get("ETag") == before || guestIn(after, ivy) == nil {
		t.Fatalf("after invite: %d etag %q (was %q) %s", after.Status, after.Header.Get("ETag"), before, after.Raw)
	}

	// A tag is of the bytes this caller sees: one company's tag never
	// revalidates another company's list.
	other := e.login(e.email("otheradmin"))
	o := e.call("GET", "/v1/orgs/other/cases", other, nil)
	req = e.request("GET", base+"/cases", admin, nil)
	req.Header.Set("If-None-Match", o.Header.Get("ETag"))
	e.expect(e.do(req), 200, "")
}
