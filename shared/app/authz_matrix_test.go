package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/app"
)

// The authorization matrix walks every route of the API × every kind of caller
// × a resource of the caller's own company (in and out of a guest's scope), ids
// of another company under the own company's path, and a resource of an
// unrelated company, and checks the status each gets. A route without a rule
// here fails the test. The expected statuses are written out from the product
// rules, not computed by the access package.

// caller is one kind of caller; company guests carry their scope as the test
// understands it.
type caller struct {
	name  string
	token string
	// kind: anon, member, caseGuest, companyGuest, refused (ended, expired,
	// inactive: every authenticated route answers 403), foreign (acts in the
	// unrelated company as its admin; also an unvalidated guest of acme).
	kind  string
	privs []string // for members: the role's privileges
	// scope for company guests: the groups and devices visible, and the
	// privileges there.
	scope map[string][]string
}

// target is which resources a request addresses.
type target struct {
	name string
	// org is the company in the path; ids are chosen per target.
	org                       string
	caseID, groupID, deviceID string
	own                       bool // acme, the callers' own company
	foreignIDs                bool // ids of the unrelated company under acme's path
}

// rule says what a route needs.
type rule struct {
	public int    // public routes answer this to everyone
	self   int    // routes about the caller themselves: this to every signed-in caller
	need   string // privilege a member needs
	ok     int    // status on success
	// res is what the route addresses, for guests' scope: "case-list",
	// "case", "guests", "device-list", "group", "device", "new-group",
	// "new-device", "fresh-group", "fresh-device", "none".
	res string
}

var rules = map[string]rule{
	"POST /v1/auth/login":                             {public: 400},
	"GET /v1/privileges":                              {public: 200},
	"GET /v1/invitations/{token}":                     {public: 404},
	"POST /v1/invitations/{token}/accept":             {public: 404},
	"POST /v1/invitations/{token}/decline":            {public: 404},
	"POST /v1/auth/switch":                            {self: 200},
	"GET /v1/me":                                      {self: 200},
	"POST /v1/me/password":                            {self: 400},
	"POST /v1/me/email/verification":                  {self: 409}, // every caller here holds a verified address
	"POST /v1/email-verifications/{token}":            {public: 404},
	"GET /v1/email-verifications/{token}":             {public: 404},
	"POST /v1/email-verifications/{token}/decline":    {public: 404},
	"GET /v1/me/invitations":                          {self: 200},
	"POST /v1/me/invitations/{id}/accept":             {self: 404},
	"POST /v1/me/invitations/{id}/decline":            {self: 404},
	"POST /v1/orgs/{org}/cases":                       {need: "cases.write", ok: 201, res: "none"},
	"GET /v1/orgs/{org}/cases":                        {need: "cases.read", ok: 200, res: "case-list"},
	"GET /v1/orgs/{org}/cases/{caseId}":               {need: "cases.read", ok: 200, res: "case"},
	"POST /v1/orgs/{org}/guests":                      {need: "guests.manage", ok: 201, res: "none"},
	"GET /v1/orgs/{org}/guests":                       {need: "guests.manage", ok: 200, res: "none"},
	"GET /v1/orgs/{org}/guests/{guestId}":             {need: "guests.manage", ok: 200, res: "guests"},
	"PATCH /v1/orgs/{org}/guests/{guestId}":           {need: "guests.manage", ok: 200, res: "guests"},
	"POST /v1/orgs/{org}/guests/{guestId}/end":        {need: "guests.manage", ok: 200, res: "guests"},
	"POST /v1/orgs/{org}/guests/{guestId}/reinvite":   {need: "guests.manage", ok: 200, res: "guests"},
	"GET /v1/orgs/{org}/audit":                        {need: "audit.read", ok: 200, res: "none"},
	"GET /v1/orgs/{org}/audit.csv":                    {need: "audit.read", ok: 200, res: "none"},
	"GET /v1/orgs/{org}/roles":                        {need: "roles.manage", ok: 200, res: "none"},
	"POST /v1/orgs/{org}/roles":                       {need: "roles.manage", ok: 201, res: "none"},
	"GET /v1/orgs/{org}/roles/{roleId}":               {need: "roles.manage", ok: 200, res: "role"},
	"PUT /v1/orgs/{org}/roles/{roleId}":               {need: "roles.manage", ok: 200, res: "role"},
	"DELETE /v1/orgs/{org}/roles/{roleId}":            {need: "roles.manage", ok: 204, res: "role"},
	"GET /v1/orgs/{org}/members":                      {need: "roles.manage", ok: 200, res: "none"},
	"PATCH /v1/orgs/{org}/members/{userId}":           {need: "roles.manage", ok: 200, res: "member"},
	"DELETE /v1/orgs/{org}/members/{userId}":          {need: "roles.manage", ok: 204, res: "member"},
	"GET /v1/orgs/{org}/groups":                       {need: "devices.read", ok: 200, res: "device-list"},
	"POST /v1/orgs/{org}/groups":                      {need: "devices.configure", ok: 201, res: "new-group"},
	"GET /v1/orgs/{org}/groups/{groupId}":             {need: "devices.read", ok: 200, res: "group-read"},
	"PUT /v1/orgs/{org}/groups/{groupId}":             {need: "devices.configure", ok: 200, res: "group"},
	"DELETE /v1/orgs/{org}/groups/{groupId}":          {need: "devices.configure", ok: 204, res: "fresh-group"},
	"GET /v1/orgs/{org}/devices":                      {need: "devices.read", ok: 200, res: "device-list"},
	"POST /v1/orgs/{org}/devices":                     {need: "devices.configure", ok: 201, res: "new-device"},
	"GET /v1/orgs/{org}/devices/{deviceId}":           {need: "devices.read", ok: 200, res: "device"},
	"PUT /v1/orgs/{org}/devices/{deviceId}":           {need: "devices.configure", ok: 200, res: "device"},
	"DELETE /v1/orgs/{org}/devices/{deviceId}":        {need: "devices.configure", ok: 204, res: "fresh-device"},
	"POST /v1/orgs/{org}/devices/{deviceId}/commands": {need: "devices.control", ok: 202, res: "device"},
	"POST /v1/orgs/{org}/cases/{caseId}/sessions":     {need: "sessions.start", ok: 201, res: "session-start"},
	"POST /v1/session-invites/{token}/join":           {public: 410},
	"POST /v1/internal/relay/events":                  {public: 401},
	// Session routes: sessions of the target company, the admin its primary.
	"GET /v1/sessions/{id}":                            {ok: 200, res: "session-read"},
	"GET /v1/sessions/{id}/report":                     {ok: 200, res: "session-read"},
	"GET /v1/sessions/{id}/technicians":                {ok: 200, res: "session-primary"},
	"GET /v1/me/session-invitations":                   {self: 200},
	"GET /v1/orgs/{org}/cases/{caseId}/sessions":       {need: "cases.read", ok: 200, res: "case"},
	"POST /v1/sessions/{id}/join":                      {ok: 200, res: "session-participant"},
	"POST /v1/sessions/{id}/end":                       {ok: 200, res: "session-primary"},
	"POST /v1/sessions/{id}/invites":                   {ok: 201, res: "session-primary"},
	"POST /v1/sessions/{id}/participants/{pid}/remove": {ok: 200, res: "session-primary"},
	"PUT /v1/sessions/{id}/participants/{pid}/tools":   {ok: 200, res: "session-primary"},
	// What a session keeps: members who may read cases see a case's files
	// and notes, guests never (attachments_test.go, notes_test.go).
	"GET /v1/orgs/{org}/cases/{caseId}/attachments":                {need: "cases.read", ok: 200, res: "case-files"},
	"GET /v1/orgs/{org}/cases/{caseId}/attachments/{attachmentId}": {need: "cases.read", ok: 404, res: "case-files"},
	"GET /v1/orgs/{org}/cases/{caseId}/notes":                      {need: "cases.read", ok: 200, res: "case-files"},
	"POST /v1/sessions/{id}/snapshots":                             {ok: 201, res: "session-participant"},
	"POST /v1/sessions/{id}/attachments/{attachmentId}/complete":   {ok: 404, res: "session-participant"},
	"GET /v1/sessions/{id}/notes":                                  {ok: 200, res: "session-read"},
	"PUT /v1/sessions/{id}/notes":                                  {ok: 200, res: "session-primary"},
	// It revokes the caller's own tokens, which the matrix goes on using: the
	// loop leaves it to TestTrustSignOutEverywhereMatrix, which gives every
	// kind of caller a token of its own.
	"POST /v1/me/sign-out-everywhere": {self: 204},
	// Company settings: everyone acting in the company reads them (its dates
	// are read in its zone); administering the company changes them.
	"GET /v1/orgs/{org}":   {ok: 200, res: "org-read"},
	"PATCH /v1/orgs/{org}": {need: "roles.manage", ok: 200, res: "none"},
}

var (
	adminPrivs = []string{"cases.read", "cases.write", "devices.read", "devices.control", "devices.configure",
		"guests.manage", "roles.manage", "sessions.start", "audit.read"}
	techPrivs   = []string{"cases.read", "cases.write", "devices.read", "devices.control", "guests.manage", "sessions.start"}
	viewerPrivs = []string{"cases.read", "devices.read"}
)

// expect is the status caller c gets for route key k on target tg. freshGroup
// tells, for fresh-device routes, in which group the fresh device sits.
func expect(k string, r rule, c caller, tg target, scopeKey string) int {
	switch {
	case r.public != 0:
		return r.public
	case c.kind == "anon":
		return 401
	case c.kind == "refused":
		return 403
	case r.self != 0:
		if k == "POST /v1/auth/switch" {
			// Callers switch to the company of the target: their own works.
			ownOrg := tg.own != (c.kind == "foreign")
			if ownOrg {
				return 200
			}
			return 404
		}
		return r.self
	}
	if strings.HasPrefix(r.res, "session-") && r.res != "session-start" {
		return sessionExpect(r, c, tg)
	}
	if r.res == "org-read" {
		if tg.own != (c.kind == "foreign") {
			return r.ok
		}
		return 404
	}
	// Organisation routes: the foreign admin's own company is the unrelated one.
	if c.kind == "foreign" {
		if tg.own {
			return 404
		}
		return r.ok
	}
	if !tg.own {
		return 404
	}
	switch c.kind {
	case "member":
		if !slices.Contains(c.privs, r.need) {
			return 403
		}
		if tg.foreignIDs && r.res != "none" && r.res != "case-list" && r.res != "device-list" && r.res != "new-group" {
			if r.res == "new-device" {
				return 400 // the group named in the body does not exist here
			}
			return 404
		}
		return r.ok
	case "caseGuest":
		switch r.res {
		case "case-list":
			return 200
		case "case":
			if tg.foreignIDs || tg.name == "own, out of scope" {
				return 404
			}
			return 200
		case "case-files":
			if tg.foreignIDs || tg.name == "own, out of scope" {
				return 404
			}
			return 403
		}
		return 403
	case "companyGuest":
		return companyGuestExpect(r, c, tg, scopeKey)
	}
	panic("unknown caller kind " + c.kind)
}

// sessionExpect: a session is visible to members of its company; its primary
// (the admin) alone changes it; its participants join.
func sessionExpect(r rule, c caller, tg target) int {
	ownSession := tg.own && !tg.foreignIDs
	switch c.kind {
	case "caseGuest", "companyGuest":
		return 404
	case "foreign":
		if ownSession {
			return 404
		}
		return r.ok
	}
	if !ownSession {
		return 404
	}
	switch r.res {
	case "session-read":
		if slices.Contains(c.privs, "cases.read") {
			return r.ok
		}
		return 403
	case "session-participant", "session-primary":
		if slices.Equal(c.privs, adminPrivs) {
			return r.ok
		}
		return 403
	}
	panic("unknown session rule " + r.res)
}

// companyGuestExpect applies a company guest's scope: outside it nothing is
// visible (404); inside it, the privileges there decide.
func companyGuestExpect(r rule, c caller, tg target, scopeKey string) int {
	privsAt := func(key string) ([]string, bool) { p, ok := c.scope[key]; return p, ok }
	switch r.res {
	case "device-list":
		return 200
	case "new-group":
		// Only a guest whose privileges cover the whole workspace may create a
		// group, and then only with devices.configure.
		if p, ok := privsAt("*"); ok && slices.Contains(p, r.need) {
			return r.ok
		}
		return 403
	case "group", "group-read", "device", "fresh-group", "fresh-device", "new-device":
		if tg.foreignIDs {
			if r.res == "new-device" {
				return 400
			}
			return 404
		}
		p, ok := privsAt(scopeKey)
		if !ok {
			if all, isAll := privsAt("*"); isAll {
				p, ok = all, true
			}
		}
		if r.res == "group-read" {
			if _, via := privsAt("via:" + scopeKey); via {
				return r.ok
			}
		}
		if !ok {
			if r.res == "new-device" {
				return 400
			}
			return 404
		}
		if !slices.Contains(p, r.need) {
			return 403
		}
		return r.ok
	}
	return 403
}

func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t, roomyQuotas)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	otherAdmin := e.login(e.email("otheradmin"))
	inScope := e.createCase(admin, "In scope")
	outScope := e.createCase(admin, "Out of scope")

	post := func(tok, path string, body any, want int) resp {
		t.Helper()
		r := e.call("POST", path, tok, body)
		e.expect(r, want, "")
		return r
	}
	// acme's groups and devices, and a custom role held by a member.
	g1 := post(admin, "/v1/orgs/acme/groups", map[string]string{"name": "G1"}, 201).str("id")
	g2 := post(admin, "/v1/orgs/acme/groups", map[string]string{"name": "G2"}, 201).str("id")
	d1 := post(admin, "/v1/orgs/acme/devices", map[string]string{"name": "D1", "groupId": g1}, 201).str("id")
	d2 := post(admin, "/v1/orgs/acme/devices", map[string]string{"name": "D2", "groupId": g2}, 201).str("id")
	viewerRole := post(admin, "/v1/orgs/acme/roles", map[string]any{"name": "Viewer", "privileges": viewerPrivs}, 201).str("id")
	must(t, e.app.SeedOrg(t.Context(), "acme", "Acme Support", []app.DemoAccount{{Email: e.email("viewer"), Name: "Vic Viewer", Role: viewerRole}}, testPassword))
	viewer := e.login(e.email("viewer"))

	// Case guests: active, ended, expired.
	caseGuest := func(who string) (tok, id string) {
		g := e.invite(admin, who, "", inScope, 30)
		e.deliver()
		acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
		e.expect(acc, 200, "")
		return acc.str("token"), g.str("id")
	}
	guest, _ := caseGuest("active")
	ended, endedID := caseGuest("ended")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+endedID+"/end", admin, nil), 200, "")
	expired, expiredID := caseGuest("expired")
	until := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
	e.expect(e.call("PATCH", "/v1/orgs/acme/guests/"+expiredID, admin, map[string]any{"period": map[string]any{"until": until}}), 200, "")

	// Company guests in each workspace mode, and one switched off.
	companyGuest := func(who string, body map[string]any) string {
		body["email"], body["name"] = e.email(who), "CG "+who
		post(admin, "/v1/orgs/acme/guests", body, 201)
		e.deliver()
		acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
		e.expect(acc, 200, "")
		return acc.str("token")
	}
	cgAll := companyGuest("cgall", map[string]any{"roleId": "technician", "workspace": map[string]any{"mode": "all"}})
	cgGroups := companyGuest("cggroups", map[string]any{"roleId": viewerRole, "workspace": map[string]any{"mode": "groups",
		"groups": map[string][]string{g1: {"devices.read", "devices.control"}}}})
	cgDevices := companyGuest("cgdevices", map[string]any{"roleId": "technician", "workspace": map[string]any{"mode": "devices",
		"devices": []string{d1}}})
	cgInactive := companyGuest("cginactive", map[string]any{"roleId": "technician", "active": false})
	// The other company's admin is also invited to acme and has not accepted:
	// as a caller they stand for an unvalidated guest too.
	post(admin, "/v1/orgs/acme/guests", map[string]any{"email": e.email("otheradmin"), "name": "Oscar", "roleId": "technician"}, 201)

	// Resources of the unrelated company.
	e.org = "other"
	foreignCase := e.createCase(otherAdmin, "Foreign case")
	foreignGuest := e.invite(otherAdmin, "foreignguest", "", foreignCase, 5).str("id")
	e.org = "acme"
	og := post(otherAdmin, "/v1/orgs/other/groups", map[string]string{"name": "OG"}, 201).str("id")
	od := post(otherAdmin, "/v1/orgs/other/devices", map[string]string{"name": "OD", "groupId": og}, 201).str("id")
	otherRole := post(otherAdmin, "/v1/orgs/other/roles", map[string]any{"name": "Other viewer", "privileges": viewerPrivs}, 201).str("id")

	e.clock.Advance(time.Hour + time.Second) // past the expired guest's end

	rw := []string{"devices.read", "devices.control"}
	callers := []caller{
		{name: "anonymous", kind: "anon"},
		{name: "admin", token: admin, kind: "member", privs: adminPrivs},
		{name: "technician", token: tech, kind: "member", privs: techPrivs},
		{name: "custom-role member", token: viewer, kind: "member", privs: viewerPrivs},
		{name: "case guest", token: guest, kind: "caseGuest"},
		{name: "company guest (all)", token: cgAll, kind: "companyGuest", scope: map[string][]string{"*": rw}},
		{name: "company guest (groups)", token: cgGroups, kind: "companyGuest", scope: map[string][]string{g1: rw, d1: rw, "fresh-device@" + g1: rw}},
		{name: "company guest (devices)", token: cgDevices, kind: "companyGuest", scope: map[string][]string{d1: rw, "via:" + g1: nil}},
		{name: "inactive company guest", token: cgInactive, kind: "refused"},
		{name: "ended case guest", token: ended, kind: "refused"},
		{name: "expired case guest", token: expired, kind: "refused"},
		{name: "other company's admin (unvalidated guest of acme)", token: otherAdmin, kind: "foreign", privs: adminPrivs},
	}
	targets := []target{
		{name: "own, in scope", org: "acme", caseID: inScope, groupID: g1, deviceID: d1, own: true},
		{name: "own, out of scope", org: "acme", caseID: outScope, groupID: g2, deviceID: d2, own: true},
		{name: "own path, foreign ids", org: "acme", caseID: foreignCase, groupID: og, deviceID: od, own: true, foreignIDs: true},
		{name: "unrelated company", org: "other", caseID: foreignCase, groupID: og, deviceID: od},
	}

	seq := 0
	next := func() int { seq++; return seq }
	adminOf := func(org string) string {
		if org == "other" {
			return otherAdmin
		}
		return admin
	}
	// Fresh resources for routes that change or delete one.
	freshGuest := func(tg target, deactivate bool) string {
		if tg.foreignIDs {
			return foreignGuest
		}
		org := e.org
		e.org = tg.org
		defer func() { e.org = org }()
		c := inScope
		if tg.org == "other" {
			c = foreignCase
		}
		id := e.invite(adminOf(tg.org), fmt.Sprintf("fresh%d", next()), "", c, 10).str("id")
		if deactivate {
			e.expect(e.call("POST", "/v1/orgs/"+tg.org+"/guests/"+id+"/end", adminOf(tg.org), nil), 200, "")
		}
		return id
	}
	freshRole := func(tg target) string {
		if tg.foreignIDs {
			return otherRole
		}
		return post(adminOf(tg.org), "/v1/orgs/"+tg.org+"/roles", map[string]any{"name": fmt.Sprintf("R%d", next()), "privileges": viewerPrivs}, 201).str("id")
	}
	freshGroup := func(tg target) string {
		if tg.foreignIDs {
			return og
		}
		return post(adminOf(tg.org), "/v1/orgs/"+tg.org+"/groups", map[string]string{"name": fmt.Sprintf("FG%d", next())}, 201).str("id")
	}
	freshDevice := func(tg target) string {
		if tg.foreignIDs {
			return od
		}
		return post(adminOf(tg.org), "/v1/orgs/"+tg.org+"/devices", map[string]string{"name": fmt.Sprintf("FD%d", next()), "groupId": tg.groupID}, 201).str("id")
	}
	memberID := func(tok, org, email string) string {
		r := e.call("GET", "/v1/orgs/"+org+"/members", tok, nil)
		for _, m := range r.Body["members"].([]any) {
			if mm := m.(map[string]any); mm["email"] == email {
				return mm["userId"].(string)
			}
		}
		t.Fatalf("no member %s", email)
		return ""
	}
	techID, otherAdminID := memberID(admin, "acme", e.email("tech")), memberID(otherAdmin, "other", e.email("otheradmin"))
	memberOf := func(tg target) string {
		if tg.org == "other" || tg.foreignIDs {
			return otherAdminID
		}
		return techID
	}

	// freshSession starts a session in the target's company (acme's own
	// targets) or the unrelated one, with the company's admin as primary.
	freshSession := func(tg target) (sid, customer string) {
		org, c := "acme", inScope
		if !tg.own || tg.foreignIDs {
			org, c = "other", foreignCase
		}
		e.registerRelay("task-1", e.relay.signalURL(), 0)
		r := e.call("POST", "/v1/orgs/"+org+"/cases/"+c+"/sessions", adminOf(org), nil)
		e.expect(r, 201, "")
		for _, p := range r.Body["session"].(map[string]any)["participants"].([]any) {
			if pm := p.(map[string]any); pm["kind"] == "customer" {
				customer = pm["id"].(string)
			}
		}
		return r.str("session", "id"), customer
	}

	type request struct {
		method, path string
		body         any
		scopeKey     string
	}
	build := func(k string, tg target) request {
		base := "/v1/orgs/" + tg.org
		switch k {
		case "POST /v1/auth/login":
			return request{"POST", "/v1/auth/login", map[string]string{"email": "bad"}, ""}
		case "GET /v1/privileges":
			return request{"GET", "/v1/privileges", nil, ""}
		case "GET /v1/invitations/{token}", "POST /v1/invitations/{token}/accept", "POST /v1/invitations/{token}/decline",
			"POST /v1/email-verifications/{token}", "GET /v1/email-verifications/{token}", "POST /v1/email-verifications/{token}/decline":
			e.clock.Advance(time.Minute) // stay under the per-address redemption limit
			method, path, _ := strings.Cut(strings.Replace(k, "{token}", "not-a-token", 1), " ")
			return request{method, path, map[string]string{}, ""}
		case "POST /v1/auth/switch":
			return request{"POST", "/v1/auth/switch", map[string]string{"orgId": tg.org}, ""}
		case "GET /v1/me", "GET /v1/me/invitations", "GET /v1/me/session-invitations":
			return request{"GET", strings.TrimPrefix(k, "GET "), nil, ""}
		case "POST /v1/me/password":
			return request{"POST", "/v1/me/password", map[string]string{"password": "short"}, ""}
		case "POST /v1/me/email/verification":
			return request{"POST", "/v1/me/email/verification", nil, ""}
		case "POST /v1/me/invitations/{id}/accept", "POST /v1/me/invitations/{id}/decline":
			return request{"POST", strings.Replace(strings.TrimPrefix(k, "POST "), "{id}", "g_nope", 1), nil, ""}
		case "POST /v1/orgs/{org}/cases":
			return request{"POST", base + "/cases", map[string]string{"title": "x"}, ""}
		case "GET /v1/orgs/{org}/cases":
			return request{"GET", base + "/cases", nil, ""}
		case "GET /v1/orgs/{org}/cases/{caseId}/sessions":
			return request{"GET", base + "/cases/" + tg.caseID + "/sessions", nil, ""}
		case "GET /v1/orgs/{org}/cases/{caseId}/attachments", "GET /v1/orgs/{org}/cases/{caseId}/notes":
			return request{"GET", base + "/cases/" + tg.caseID + k[strings.LastIndex(k, "/"):], nil, ""}
		case "GET /v1/orgs/{org}/cases/{caseId}/attachments/{attachmentId}":
			return request{"GET", base + "/cases/" + tg.caseID + "/attachments/at_nope", nil, ""}
		case "GET /v1/orgs/{org}/cases/{caseId}":
			return request{"GET", base + "/cases/" + tg.caseID, nil, ""}
		case "POST /v1/orgs/{org}/guests":
			return request{"POST", base + "/guests", map[string]any{"email": e.email(fmt.Sprintf("m%d", next())), "name": "M",
				"newCase": map[string]string{"title": "T"}, "period": map[string]int{"days": 2}}, ""}
		case "GET /v1/orgs/{org}/guests":
			return request{"GET", base + "/guests", nil, ""}
		case "GET /v1/orgs/{org}/guests/{guestId}":
			return request{"GET", base + "/guests/" + freshGuest(tg, false), nil, ""}
		case "PATCH /v1/orgs/{org}/guests/{guestId}":
			return request{"PATCH", base + "/guests/" + freshGuest(tg, false), map[string]any{"period": map[string]int{"days": 4}}, ""}
		case "POST /v1/orgs/{org}/guests/{guestId}/end":
			return request{"POST", base + "/guests/" + freshGuest(tg, false) + "/end", nil, ""}
		case "POST /v1/orgs/{org}/guests/{guestId}/reinvite":
			return request{"POST", base + "/guests/" + freshGuest(tg, true) + "/reinvite", map[string]any{"period": map[string]int{"days": 4}}, ""}
		case "GET /v1/orgs/{org}/audit":
			return request{"GET", base + "/audit", nil, ""}
		case "GET /v1/orgs/{org}/audit.csv":
			return request{"GET", base + "/audit.csv", nil, ""}
		case "GET /v1/orgs/{org}/roles", "GET /v1/orgs/{org}/members":
			return request{"GET", base + strings.TrimPrefix(k, "GET /v1/orgs/{org}"), nil, ""}
		case "POST /v1/orgs/{org}/roles":
			return request{"POST", base + "/roles", map[string]any{"name": fmt.Sprintf("N%d", next()), "privileges": viewerPrivs}, ""}
		case "GET /v1/orgs/{org}/roles/{roleId}":
			return request{"GET", base + "/roles/" + freshRole(tg), nil, ""}
		case "PUT /v1/orgs/{org}/roles/{roleId}":
			return request{"PUT", base + "/roles/" + freshRole(tg), map[string]any{"name": fmt.Sprintf("U%d", next()), "privileges": viewerPrivs}, ""}
		case "DELETE /v1/orgs/{org}/roles/{roleId}":
			return request{"DELETE", base + "/roles/" + freshRole(tg), nil, ""}
		case "PATCH /v1/orgs/{org}/members/{userId}":
			role := "technician"
			if memberOf(tg) == otherAdminID {
				role = "admin"
			}
			return request{"PATCH", base + "/members/" + memberOf(tg), map[string]string{"role": role}, ""}
		case "DELETE /v1/orgs/{org}/members/{userId}":
			if tg.foreignIDs {
				return request{"DELETE", base + "/members/" + otherAdminID, nil, ""}
			}
			who := e.email(fmt.Sprintf("leaver%d", next()))
			org := map[string]string{"acme": "Acme Support", "other": "Other Corp"}[tg.org]
			must(t, e.app.SeedOrg(t.Context(), tg.org, org, []app.DemoAccount{{Email: who, Name: "Lee Leaver", Role: "technician"}}, testPassword))
			return request{"DELETE", base + "/members/" + memberID(adminOf(tg.org), tg.org, who), nil, ""}
		case "GET /v1/orgs/{org}/groups", "GET /v1/orgs/{org}/devices":
			return request{"GET", base + strings.TrimPrefix(k, "GET /v1/orgs/{org}"), nil, ""}
		case "POST /v1/orgs/{org}/groups":
			return request{"POST", base + "/groups", map[string]string{"name": fmt.Sprintf("NG%d", next())}, ""}
		case "GET /v1/orgs/{org}/groups/{groupId}":
			return request{"GET", base + "/groups/" + tg.groupID, nil, tg.groupID}
		case "PUT /v1/orgs/{org}/groups/{groupId}":
			return request{"PUT", base + "/groups/" + tg.groupID, map[string]string{"name": "Renamed"}, tg.groupID}
		case "DELETE /v1/orgs/{org}/groups/{groupId}":
			return request{"DELETE", base + "/groups/" + freshGroup(tg), nil, "fresh-group"}
		case "POST /v1/orgs/{org}/devices":
			return request{"POST", base + "/devices", map[string]string{"name": fmt.Sprintf("ND%d", next()), "groupId": tg.groupID}, tg.groupID}
		case "GET /v1/orgs/{org}/devices/{deviceId}":
			return request{"GET", base + "/devices/" + tg.deviceID, nil, tg.deviceID}
		case "PUT /v1/orgs/{org}/devices/{deviceId}":
			return request{"PUT", base + "/devices/" + tg.deviceID, map[string]string{"name": "Renamed", "groupId": tg.groupID}, tg.deviceID}
		case "DELETE /v1/orgs/{org}/devices/{deviceId}":
			return request{"DELETE", base + "/devices/" + freshDevice(tg), nil, "fresh-device@" + tg.groupID}
		case "POST /v1/orgs/{org}/devices/{deviceId}/commands":
			return request{"POST", base + "/devices/" + tg.deviceID + "/commands", map[string]string{"command": "identify"}, tg.deviceID}
		case "POST /v1/orgs/{org}/cases/{caseId}/sessions":
			e.registerRelay("task-1", e.relay.signalURL(), 0)
			return request{"POST", base + "/cases/" + tg.caseID + "/sessions", nil, ""}
		case "POST /v1/session-invites/{token}/join":
			e.clock.Advance(time.Minute)
			return request{"POST", "/v1/session-invites/not-a-token/join", nil, ""}
		case "POST /v1/internal/relay/events":
			return request{"POST", "/v1/internal/relay/events", map[string]string{"type": "joined"}, ""}
		case "GET /v1/orgs/{org}":
			return request{"GET", base, nil, ""}
		case "PATCH /v1/orgs/{org}":
			return request{"PATCH", base, map[string]string{"timeZone": "Europe/Berlin"}, ""}
		}
		if strings.Contains(k, "/v1/sessions/{id}") {
			sid, customer := freshSession(tg)
			method, path, _ := strings.Cut(k, " ")
			path = strings.NewReplacer("{id}", sid, "{pid}", customer, "{attachmentId}", "at_nope").Replace(path)
			var body any
			switch {
			case strings.HasSuffix(k, "/invites"):
				body = map[string]string{"kind": "guest", "email": e.email(fmt.Sprintf("st%d", next()))}
			case strings.HasSuffix(k, "/tools"):
				body = map[string]any{"tools": []string{"chat"}}
			case strings.HasSuffix(k, "/snapshots"):
				body = map[string]any{"contentType": "image/jpeg", "size": 1000}
			case strings.HasSuffix(k, "/notes") && method == "PUT":
				body = map[string]any{"text": "n", "version": 0}
			}
			return request{method, path, body, ""}
		}
		t.Fatalf("no request built for %s", k)
		return request{}
	}

	for _, rt := range e.app.API.Routes() {
		k := rt.Method + " " + rt.Pattern
		r, ok := rules[k]
		if !ok {
			t.Errorf("route %s has no rule in the authorization matrix", k)
			continue
		}
		if (r.public != 0) != rt.Public {
			t.Errorf("route %s: public is %v in the API but not in the matrix", k, rt.Public)
		}
		if k == "POST /v1/me/sign-out-everywhere" {
			continue
		}
		for _, c := range callers {
			for _, tg := range targets {
				q := build(k, tg)
				want := expect(k, r, c, tg, q.scopeKey)
				got := e.call(q.method, q.path, c.token, q.body)
				if got.Status != want {
					t.Errorf("%s as %s on %s: got %d %s, want %d", k, c.name, tg.name, got.Status, got.code(), want)
				}
				if c.kind != "foreign" && (strings.Contains(got.Raw, "Foreign case") || strings.Contains(got.Raw, `"OD"`)) {
					t.Errorf("%s as %s on %s leaked the unrelated company's data", k, c.name, tg.name)
				}
			}
		}
	}
}
