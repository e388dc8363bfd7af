package access

import (
	"errors"
	"testing"
)

func TestAuthorize(t *testing.T) {
	admin := &Principal{UserID: "u1", OrgID: "o1", Kind: Member, Role: RoleAdmin, Privileges: BuiltinRoles[RoleAdmin]}
	tech := &Principal{UserID: "u2", OrgID: "o1", Kind: Member, Role: RoleTechnician, Privileges: BuiltinRoles[RoleTechnician]}
	guest := &Principal{UserID: "u3", OrgID: "o1", Kind: Guest, GuestKind: CaseGuest, GuestID: "g1", CaseIDs: []string{"c1"}}
	foreign := &Principal{UserID: "u4", OrgID: "o2", Kind: Member, Role: RoleAdmin, Privileges: BuiltinRoles[RoleAdmin]}

	tests := []struct {
		name string
		p    *Principal
		act  Action
		res  Resource
		want error
	}{
		{"admin reads audit", admin, ReadAudit, Resource{OrgID: "o1"}, nil},
		{"technician may not read audit", tech, ReadAudit, Resource{OrgID: "o1"}, ErrForbidden},
		{"technician invites guests", tech, ManageGuests, Resource{OrgID: "o1"}, nil},
		{"technician creates case", tech, CreateCase, Resource{OrgID: "o1"}, nil},
		{"guest lists own cases", guest, ListCases, Resource{OrgID: "o1"}, nil},
		{"guest reads own case", guest, ReadCase, Resource{OrgID: "o1", CaseID: "c1"}, nil},
		{"guest cannot see other case", guest, ReadCase, Resource{OrgID: "o1", CaseID: "c2"}, ErrNotFound},
		{"guest cannot create case", guest, CreateCase, Resource{OrgID: "o1"}, ErrForbidden},
		{"guest cannot manage guests", guest, ManageGuests, Resource{OrgID: "o1"}, ErrForbidden},
		{"guest cannot read audit", guest, ReadAudit, Resource{OrgID: "o1"}, ErrForbidden},
		{"other company's admin sees nothing", foreign, ReadCase, Resource{OrgID: "o1", CaseID: "c1"}, ErrNotFound},
		{"other company's admin cannot invite", foreign, ManageGuests, Resource{OrgID: "o1"}, ErrNotFound},
		{"anonymous", nil, ListCases, Resource{OrgID: "o1"}, ErrNotFound},
		{"unknown action", admin, Action("nope"), Resource{OrgID: "o1"}, ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Authorize(tc.p, tc.act, tc.res)
			if !errors.Is(got, tc.want) && !(got == nil && tc.want == nil) {
				t.Fatalf("Authorize = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBuiltinRolesUseCatalog(t *testing.T) {
	known := map[Privilege]bool{}
	for _, p := range Catalog {
		known[p.ID] = true
	}
	for role, privs := range BuiltinRoles {
		for _, p := range privs {
			if !known[p] {
				t.Errorf("role %s has privilege %s missing from the catalog", role, p)
			}
		}
	}
}

func TestAuthorizeCompanyGuestScope(t *testing.T) {
	rc := []Privilege{DevicesRead, DevicesControl}
	all := &Principal{OrgID: "h", Kind: Guest, GuestKind: CompanyGuest, Privileges: rc, Workspace: Workspace{Mode: AllWorkspace}}
	allCfg := &Principal{OrgID: "h", Kind: Guest, GuestKind: CompanyGuest, Privileges: []Privilege{DevicesRead, DevicesConfigure},
		Workspace: Workspace{Mode: AllWorkspace}}
	groups := &Principal{OrgID: "h", Kind: Guest, GuestKind: CompanyGuest, Workspace: Workspace{Mode: GroupsWorkspace,
		Groups: map[string][]Privilege{"g1": {DevicesRead, DevicesControl}, "g2": {DevicesRead}}}}
	devices := &Principal{OrgID: "h", Kind: Guest, GuestKind: CompanyGuest, Privileges: rc,
		Workspace: Workspace{Mode: DevicesWorkspace, Devices: []string{"d1"}}}
	caseGuest := &Principal{OrgID: "h", Kind: Guest, GuestKind: CaseGuest, CaseIDs: []string{"c1"}}
	custom := &Principal{OrgID: "h", Kind: Member, Role: "r_viewer", Privileges: []Privilege{DevicesRead}}

	dev := func(g, d string) Resource { return Resource{OrgID: "h", GroupID: g, DeviceID: d} }
	tests := []struct {
		name string
		p    *Principal
		act  Action
		res  Resource
		want error
	}{
		{"all: read any device", all, ReadDevice, dev("g9", "d9"), nil},
		{"all: control any device", all, ControlDevice, dev("g9", "d9"), nil},
		{"all: configure needs the privilege", all, ConfigureDevice, dev("g9", "d9"), ErrForbidden},
		{"all with configure: create a group", allCfg, ConfigureGroup, Resource{OrgID: "h"}, nil},
		{"all: no cases", all, ListCases, Resource{OrgID: "h"}, ErrForbidden},
		{"all: no guests", all, ManageGuests, Resource{OrgID: "h"}, ErrForbidden},
		{"all: no roles", all, ManageRoles, Resource{OrgID: "h"}, ErrForbidden},
		{"all: not in own company", all, ReadDevice, Resource{OrgID: "own", GroupID: "g", DeviceID: "d"}, ErrNotFound},
		{"groups: control in g1", groups, ControlDevice, dev("g1", "d1"), nil},
		{"groups: read only in g2", groups, ControlDevice, dev("g2", "d2"), ErrForbidden},
		{"groups: g3 invisible", groups, ReadDevice, dev("g3", "d3"), ErrNotFound},
		{"groups: read group g2", groups, ReadDevice, dev("g2", ""), nil},
		{"groups: cannot create a group", groups, ConfigureGroup, Resource{OrgID: "h"}, ErrForbidden},
		{"groups: list", groups, ListDevices, Resource{OrgID: "h"}, nil},
		{"devices: selected device", devices, ControlDevice, dev("g1", "d1"), nil},
		{"devices: other device invisible", devices, ReadDevice, dev("g1", "d2"), ErrNotFound},
		{"devices: groups invisible", devices, ReadDevice, dev("g1", ""), ErrNotFound},
		{"case guest: no devices", caseGuest, ListDevices, Resource{OrgID: "h"}, ErrForbidden},
		{"custom role: read", custom, ReadDevice, dev("g1", "d1"), nil},
		{"custom role: no control", custom, ControlDevice, dev("g1", "d1"), ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Authorize(tc.p, tc.act, tc.res)
			if (got == nil) != (tc.want == nil) || (got != nil && !errors.Is(got, tc.want)) {
				t.Fatalf("Authorize = %v, want %v", got, tc.want)
			}
		})
	}
	if !VisibleIn(devices, "g1", "d1") || VisibleIn(devices, "g1", "d2") || VisibleIn(groups, "g3", "") {
		t.Fatal("visibility does not follow the workspace")
	}
}
