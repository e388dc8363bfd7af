package access

import (
	"errors"
	"testing"
)

func TestAuthorize(t *testing.T) {
	admin := &Principal{UserID: "u1", OrgID: "o1", Kind: Member, Role: RoleAdmin, Privileges: BuiltinRoles[RoleAdmin]}
	tech := &Principal{UserID: "u2", OrgID: "o1", Kind: Member, Role: RoleTechnician, Privileges: BuiltinRoles[RoleTechnician]}
	guest := &Principal{UserID: "u3", OrgID: "o1", Kind: Guest, GuestID: "g1", CaseIDs: []string{"c1"}}
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
