package access

import (
	"errors"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestPrivilegesNeverGrowSideways(t *testing.T) {
	admin := &Principal{Kind: Member, Role: RoleAdmin, Privileges: BuiltinRoles[RoleAdmin]}
	tech := &Principal{Kind: Member, Role: RoleTechnician, Privileges: BuiltinRoles[RoleTechnician]}
	// A custom role that manages roles but holds nothing else.
	manager := &Principal{Kind: Member, Role: "r_mgr", Privileges: []Privilege{RolesManage, CasesRead}}
	// A custom role holding every privilege is still not the admin role.
	everything := &Principal{Kind: Member, Role: "r_all", Privileges: BuiltinRoles[RoleAdmin]}

	tests := []struct {
		name     string
		check    func() error
		wantCode string // "" for allowed
	}{
		{"admin gives anything", func() error { return CanGive(admin, BuiltinRoles[RoleAdmin]) }, ""},
		{"manager gives what it holds", func() error { return CanGive(manager, []Privilege{CasesRead, RolesManage}) }, ""},
		{"manager gives nothing", func() error { return CanGive(manager, nil) }, ""},
		{"manager cannot give audit.read", func() error { return CanGive(manager, []Privilege{CasesRead, AuditRead}) }, "privilege_not_held"},
		{"technician cannot give devices.configure", func() error { return CanGive(tech, []Privilege{DevicesConfigure}) }, "privilege_not_held"},
		{"nobody gives without a principal", func() error { return CanGive(nil, []Privilege{CasesRead}) }, "privilege_not_held"},
		{"admin assigns admin", func() error { return CanAssign(admin, RoleAdmin, BuiltinRoles[RoleAdmin]) }, ""},
		{"admin assigns technician", func() error { return CanAssign(admin, RoleTechnician, BuiltinRoles[RoleTechnician]) }, ""},
		{"all-privilege custom role cannot assign admin", func() error { return CanAssign(everything, RoleAdmin, BuiltinRoles[RoleAdmin]) }, "admin_required"},
		{"manager cannot assign technician", func() error { return CanAssign(manager, RoleTechnician, BuiltinRoles[RoleTechnician]) }, "privilege_not_held"},
		{"manager assigns a role within its own", func() error { return CanAssign(manager, "r_view", []Privilege{CasesRead}) }, ""},
		{"manager cannot act on an admin", func() error { return CanActOnMember(manager, RoleAdmin, BuiltinRoles[RoleAdmin]) }, "admin_required"},
		{"manager cannot act on a technician", func() error { return CanActOnMember(manager, RoleTechnician, BuiltinRoles[RoleTechnician]) }, "privilege_not_held"},
		{"manager acts on a viewer", func() error { return CanActOnMember(manager, "r_view", []Privilege{CasesRead}) }, ""},
		{"admin acts on an admin", func() error { return CanActOnMember(admin, RoleAdmin, BuiltinRoles[RoleAdmin]) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check()
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := apperr.From(err)
			if e == nil || e.Code != tc.wantCode || e.Kind != apperr.Forbidden {
				t.Fatalf("got %v, want a 403 %s", err, tc.wantCode)
			}
		})
	}
}

func TestNotHeldNamesThePrivilege(t *testing.T) {
	err := CanGive(&Principal{Privileges: []Privilege{CasesRead}}, []Privilege{CasesRead, AuditRead})
	e := apperr.From(err)
	if e == nil || !errors.Is(err, NotHeld(AuditRead)) {
		t.Fatalf("got %v", err)
	}
	if want := "audit.read"; !strings.Contains(e.Message, want) {
		t.Fatalf("message %q does not name %s", e.Message, want)
	}
}
