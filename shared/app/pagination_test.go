package app_test

import (
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// pageIDs follows a list's nextCursor from the first page to the last and
// returns every page's ids; each page is also asked again with its ETag,
// which must answer 304.
func (e *env) pageIDs(path, token, items string, limit int) [][]string {
	e.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var pages [][]string
	cursor := ""
	for i := 0; ; i++ {
		if i > 50 {
			e.t.Fatalf("%s: no end after 50 pages", path)
		}
		p := path + sep + "limit=" + itoa(int64(limit))
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.call("GET", p, token, nil)
		e.expect(r, 200, "")
		req := e.request("GET", p, token, nil)
		req.Header.Set("If-None-Match", r.Header.Get("ETag"))
		if again := e.do(req); again.Status != 304 {
			e.t.Fatalf("%s: same page with its ETag answered %d", p, again.Status)
		}
		list, _ := r.Body[items].([]any)
		if len(list) > limit {
			e.t.Fatalf("%s: %d items on a page of %d", p, len(list), limit)
		}
		var ids []string
		for _, it := range list {
			m, _ := it.(map[string]any)
			id, _ := m["id"].(string)
			if id == "" {
				id, _ = m["userId"].(string)
			}
			ids = append(ids, id)
		}
		pages = append(pages, ids)
		cursor = r.str("nextCursor")
		if cursor == "" {
			return pages
		}
		if strings.Contains(cursor, "ORG#") || strings.Contains(cursor, e.org) {
			e.t.Fatalf("cursor shows the storage key: %s", cursor)
		}
	}
}

func flat(pages [][]string) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p...)
	}
	sort.Strings(out)
	return out
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	want = append([]string(nil), want...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func TestPaginationGuestsPageThroughAndFilterByIndex(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	c := e.createCase(admin, "Printer")
	var all []string
	for _, who := range []string{"g1", "g2", "g3", "g4", "g5", "g6", "g7"} {
		days := 60
		if who == "g3" {
			days = 5
		}
		all = append(all, e.invite(admin, who, "", c, days).str("id"))
	}
	base := "/v1/orgs/" + e.org + "/guests"

	pages := e.pageIDs(base, admin, "guests", 3)
	if len(pages) != 3 || len(pages[0]) != 3 || len(pages[2]) != 1 {
		t.Fatalf("pages of 3 over 7 guests: %v", pages)
	}
	sameSet(t, "every guest once", flat(pages), append([]string(nil), all...))

	// Without a limit a page holds at most 50; seven fit in one.
	r := e.call("GET", base, admin, nil)
	e.expect(r, 200, "")
	if n := len(r.Body["guests"].([]any)); n != 7 || r.str("nextCursor") != "" {
		t.Fatalf("default page: %d guests, cursor %q", n, r.str("nextCursor"))
	}

	// One guest switched off, one ended, one whose period runs out before
	// the sweep: the status lists come from the status index.
	off := false
	e.expect(e.call("PATCH", base+"/"+all[0], admin, map[string]any{"active": &off}), 200, "")
	e.expect(e.call("POST", base+"/"+all[1]+"/end", admin, nil), 200, "")
	if got := attrS(e.item("ORG#"+e.org, "GUEST#"+all[0]), "GSI3PK"); got != "GUESTSTATUS#"+e.org+"#inactive" {
		t.Fatalf("switched-off guest indexed under %q", got)
	}
	if got := attrS(e.item("ORG#"+e.org, "GUEST#"+all[1]), "GSI3PK"); got != "GUESTSTATUS#"+e.org+"#deactivated" {
		t.Fatalf("ended guest indexed under %q", got)
	}
	e.clock.Advance(7 * 24 * time.Hour) // past all[2]'s five days
	admin = e.login(e.email("admin"))
	sameSet(t, "inactive", flat(e.pageIDs(base+"?status=inactive", admin, "guests", 1)), []string{all[0]})
	sameSet(t, "deactivated (ended, and expired but not yet swept)",
		flat(e.pageIDs(base+"?status=deactivated", admin, "guests", 1)), []string{all[1], all[2]})
	sameSet(t, "pending", flat(e.pageIDs(base+"?status=pending", admin, "guests", 2)), all[3:])
	sameSet(t, "active", flat(e.pageIDs(base+"?status=active", admin, "guests", 2)), nil)
	for _, g := range e.call("GET", base+"?status=pending", admin, nil).Body["guests"].([]any) {
		if st := g.(map[string]any)["status"]; st != "pending" {
			t.Fatalf("pending list holds a guest with status %v", st)
		}
	}
}

func TestPaginationRefusesBadLimitsAndForeignCursors(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	other := e.login(e.email("otheradmin"))
	c := e.createCase(admin, "One")
	e.createCase(admin, "Two")
	e.invite(admin, "p1", "", c, 5)
	e.invite(admin, "p2", "", c, 5)

	for _, path := range []string{"guests", "cases", "devices", "groups", "members", "roles", "audit"} {
		for _, bad := range []string{"0", "201", "-1", "ten"} {
			r := e.call("GET", "/v1/orgs/"+e.org+"/"+path+"?limit="+bad, admin, nil)
			e.expect(r, 400, "invalid_input")
			if r.field() != "limit" {
				t.Fatalf("%s limit=%s: field %q", path, bad, r.field())
			}
		}
		r := e.call("GET", "/v1/orgs/"+e.org+"/"+path+"?cursor=ORG%23acme%7CGUEST%23x", admin, nil)
		e.expect(r, 400, "invalid_cursor")
		if r.field() != "cursor" {
			t.Fatalf("%s forged cursor: field %q", path, r.field())
		}
	}

	r := e.call("GET", "/v1/orgs/"+e.org+"/guests?limit=1", admin, nil)
	e.expect(r, 200, "")
	cursor := url.QueryEscape(r.str("nextCursor"))
	if cursor == "" {
		t.Fatal("no cursor after the first of two guests")
	}
	// Another company's admin, with a cursor of this company's guests, on
	// their own list: refused, not a peek into this company's partition.
	e.expect(e.call("GET", "/v1/orgs/other/guests?cursor="+cursor, other, nil), 400, "invalid_cursor")
	// Another list, or the same list with another filter.
	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/cases?cursor="+cursor, admin, nil), 400, "invalid_cursor")
	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/guests?status=pending&cursor="+cursor, admin, nil), 400, "invalid_cursor")
	// A changed byte.
	raw := []byte(r.str("nextCursor"))
	raw[5] ^= 2
	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/guests?cursor="+url.QueryEscape(string(raw)), admin, nil), 400, "invalid_cursor")
	// The genuine cursor works.
	e.expect(e.call("GET", "/v1/orgs/"+e.org+"/guests?cursor="+cursor, admin, nil), 200, "")
}

func TestPaginationEveryListPagesThrough(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	org := "/v1/orgs/" + e.org
	var cases, roles, groups, devices []string
	for _, n := range []string{"A", "B", "C"} {
		cases = append(cases, e.createCase(admin, "Case "+n))
		r := e.call("POST", org+"/roles", admin, map[string]any{"name": "Role " + n, "privileges": []string{"cases.read"}})
		e.expect(r, 201, "")
		roles = append(roles, r.str("id"))
		r = e.call("POST", org+"/groups", admin, map[string]any{"name": "Group " + n})
		e.expect(r, 201, "")
		groups = append(groups, r.str("id"))
		r = e.call("POST", org+"/devices", admin, map[string]any{"name": "Device " + n, "groupId": groups[0]})
		e.expect(r, 201, "")
		devices = append(devices, r.str("id"))
	}
	sameSet(t, "cases", flat(e.pageIDs(org+"/cases", admin, "cases", 2)), cases)
	sameSet(t, "groups", flat(e.pageIDs(org+"/groups", admin, "groups", 2)), groups)
	sameSet(t, "devices", flat(e.pageIDs(org+"/devices", admin, "devices", 2)), devices)
	sameSet(t, "devices of a group", flat(e.pageIDs(org+"/devices?groupId="+groups[0], admin, "devices", 1)), devices)
	sameSet(t, "devices of an empty group", flat(e.pageIDs(org+"/devices?groupId="+groups[1], admin, "devices", 1)), nil)

	// The built-in roles lead the list and count against the limit.
	rp := e.pageIDs(org+"/roles", admin, "roles", 2)
	if len(rp) != 3 || strings.Join(rp[0], ",") != "admin,technician" || len(rp[1]) != 2 || len(rp[2]) != 1 {
		t.Fatalf("role pages %v", rp)
	}
	sameSet(t, "roles", flat(rp), append([]string{"admin", "technician"}, roles...))

	mp := e.pageIDs(org+"/members", admin, "members", 1)
	if len(mp) != 2 {
		t.Fatalf("member pages %v", mp)
	}

	// The audit log's cursor is sealed too; the raw sort key it once was is refused.
	r := e.call("GET", org+"/audit?limit=2", admin, nil)
	e.expect(r, 200, "")
	if r.str("nextCursor") == "" || r.str("next") != r.str("nextCursor") || strings.Contains(r.str("next"), "AUDIT#") {
		t.Fatalf("audit cursor %q / %q", r.str("next"), r.str("nextCursor"))
	}
	e.expect(e.call("GET", org+"/audit?cursor="+url.QueryEscape("AUDIT#2026"), admin, nil), 400, "invalid_cursor")
	ap := e.pageIDs(org+"/audit", admin, "entries", 4)
	if n := len(flat(ap)); n < 12 {
		t.Fatalf("audit pages hold %d entries, want the 12 writes at least", n)
	}
}
