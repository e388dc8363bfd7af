// Package access decides what a signed-in caller may do. Every handler asks
// Authorize; none re-implements a rule.
//
// A caller is a Principal: a user acting in one organisation as a member (with
// a role and its privileges), as a guest on cases (who sees only the cases they
// were added to), or as a guest of the company (with a role, privileges and a
// workspace scope over the company's groups and devices). A resource of another
// organisation, or outside a guest's scope, is reported as not found, so callers
// cannot probe for what exists outside their reach.
package access

import (
	"slices"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Privilege is one capability a role can grant.
type Privilege string

// The privilege catalog (GET /v1/privileges).
const (
	CasesRead        Privilege = "cases.read"
	CasesWrite       Privilege = "cases.write"
	DevicesRead      Privilege = "devices.read"
	DevicesControl   Privilege = "devices.control"
	DevicesConfigure Privilege = "devices.configure"
	GuestsManage     Privilege = "guests.manage"
	RolesManage      Privilege = "roles.manage"
	SessionsStart    Privilege = "sessions.start"
	AuditRead        Privilege = "audit.read"
)

// PrivilegeInfo describes a catalog entry.
type PrivilegeInfo struct {
	ID          Privilege `json:"id"`
	Description string    `json:"description"`
	// Guest tells whether the privilege can be given to a guest of the
	// company; the others concern the company's own people and records.
	Guest bool `json:"guestGrantable"`
}

// Catalog lists every privilege with what it allows.
var Catalog = []PrivilegeInfo{
	{CasesRead, "See the company's cases", false},
	{CasesWrite, "Create cases", false},
	{DevicesRead, "See groups and devices", true},
	{DevicesControl, "Send commands to devices", true},
	{DevicesConfigure, "Create, rename, move and delete groups and devices", true},
	{GuestsManage, "Invite, change, end and re-invite guests", false},
	{RolesManage, "Create, edit and delete roles; assign roles to members", false},
	{SessionsStart, "Start live sessions on cases", false},
	{AuditRead, "Read the audit log", false},
}

// Known reports whether p is in the catalog.
func Known(p Privilege) bool {
	return slices.ContainsFunc(Catalog, func(i PrivilegeInfo) bool { return i.ID == p })
}

// GuestGrantable reports whether p may be given to a guest of the company.
func GuestGrantable(p Privilege) bool {
	return slices.ContainsFunc(Catalog, func(i PrivilegeInfo) bool { return i.ID == p && i.Guest })
}

// Built-in roles.
const (
	RoleAdmin      = "admin"
	RoleTechnician = "technician"
)

// BuiltinRoles maps the built-in roles to their privileges.
var BuiltinRoles = map[string][]Privilege{
	RoleAdmin: {CasesRead, CasesWrite, DevicesRead, DevicesControl, DevicesConfigure, GuestsManage, RolesManage,
		SessionsStart, AuditRead},
	RoleTechnician: {CasesRead, CasesWrite, DevicesRead, DevicesControl, GuestsManage, SessionsStart},
}

// Kind says how a principal belongs to the organisation it acts in.
type Kind string

// Principal kinds.
const (
	Member Kind = "member"
	Guest  Kind = "guest"
)

// GuestKind tells the two kinds of guest apart.
type GuestKind string

// Guest kinds.
const (
	CaseGuest    GuestKind = "case"    // added to cases for a period (seed 000)
	CompanyGuest GuestKind = "company" // a guest of the host company with a role and scope (seed 001)
)

// WorkspaceMode is how a company guest's privileges apply to groups and devices.
type WorkspaceMode string

// Workspace modes.
const (
	AllWorkspace     WorkspaceMode = "all"     // the privileges apply to every group and device
	GroupsWorkspace  WorkspaceMode = "groups"  // each listed group has its own privileges
	DevicesWorkspace WorkspaceMode = "devices" // only the listed devices; the rest is invisible
)

// Workspace is a company guest's scope.
type Workspace struct {
	Mode    WorkspaceMode          `json:"mode"`
	Groups  map[string][]Privilege `json:"groups,omitempty"`
	Devices []string               `json:"devices,omitempty"`
}

// Principal is an authenticated caller acting in one organisation.
type Principal struct {
	UserID     string
	Name       string
	OrgID      string
	Kind       Kind
	Role       string
	Privileges []Privilege
	GuestID    string    // for guests
	GuestKind  GuestKind // for guests
	CaseIDs    []string  // for case guests: the only cases they may see
	Workspace  Workspace // for company guests
	// LinkSession: the session was opened from an SMS link without a
	// password; identity confines it to the one guest access it opened.
	LinkSession bool
}

// Has reports whether the principal holds privilege p in general (not for a
// particular group or device).
func (p *Principal) Has(priv Privilege) bool {
	return p != nil && slices.Contains(p.Privileges, priv)
}

// Action is something a caller asks to do.
type Action string

// Actions on the API's resources.
const (
	ListCases       Action = "cases.list"
	ReadCase        Action = "cases.read"
	CreateCase      Action = "cases.create"
	ManageGuests    Action = "guests.manage"
	ReadAudit       Action = "audit.read"
	ManageRoles     Action = "roles.manage"
	ListDevices     Action = "devices.list" // also lists groups
	ReadDevice      Action = "devices.read" // a device, or a group when DeviceID is empty
	ControlDevice   Action = "devices.control"
	ConfigureGroup  Action = "groups.configure"  // create, rename, delete a group
	ConfigureDevice Action = "devices.configure" // create, rename, move, delete a device
	StartSession    Action = "sessions.start"
	// ConfigureCompany changes the company's settings (language, time zone).
	ConfigureCompany Action = "company.configure"
)

// Resource names what an action is about: always an organisation, and for
// case-, group- and device-level actions the case, group or device.
type Resource struct {
	OrgID    string
	CaseID   string
	GroupID  string
	DeviceID string
}

// Errors returned by Authorize.
var (
	ErrNotFound  = apperr.New(apperr.NotFound, "not_found", "Not found.")
	ErrForbidden = apperr.New(apperr.Forbidden, "forbidden", "You are not allowed to do this.")
)

// needs names the privilege each action requires.
var needs = map[Action]Privilege{
	ListCases:       CasesRead,
	ReadCase:        CasesRead,
	CreateCase:      CasesWrite,
	ManageGuests:    GuestsManage,
	ReadAudit:       AuditRead,
	ManageRoles:     RolesManage,
	ListDevices:     DevicesRead,
	ReadDevice:      DevicesRead,
	ControlDevice:   DevicesControl,
	ConfigureGroup:  DevicesConfigure,
	ConfigureDevice: DevicesConfigure,
	StartSession:    SessionsStart,
	// Company settings go with administering the company's roles.
	ConfigureCompany: RolesManage,
}

// deviceActions are the actions a company guest may be granted.
var deviceActions = map[Action]bool{
	ListDevices: true, ReadDevice: true, ControlDevice: true, ConfigureGroup: true, ConfigureDevice: true,
}

// Authorize returns nil when p may perform act on res, and otherwise an
// *apperr.Error: not found for anything outside the caller's organisation or
// scope, forbidden for a missing privilege on something the caller can see.
func Authorize(p *Principal, act Action, res Resource) error {
	if p == nil || res.OrgID == "" || p.OrgID != res.OrgID {
		return ErrNotFound
	}
	need, known := needs[act]
	if !known {
		return ErrForbidden
	}
	switch {
	case p.Kind == Member:
		if !p.Has(need) {
			return ErrForbidden
		}
		return nil
	case p.Kind == Guest && p.GuestKind == CompanyGuest:
		if !deviceActions[act] {
			return ErrForbidden
		}
		return authorizeScoped(p, act, need, res)
	case p.Kind == Guest:
		switch act {
		case ListCases:
			return nil
		case ReadCase:
			if res.CaseID != "" && slices.Contains(p.CaseIDs, res.CaseID) {
				return nil
			}
			return ErrNotFound
		}
		return ErrForbidden
	}
	return ErrForbidden
}

// authorizeScoped applies a company guest's workspace: what is outside it is
// invisible (not found); inside it, the privileges there decide.
func authorizeScoped(p *Principal, act Action, need Privilege, res Resource) error {
	if act == ListDevices {
		if p.anywhere(DevicesRead) {
			return nil
		}
		return ErrForbidden
	}
	// Creating a group has no group yet: only a guest whose privileges cover
	// the whole workspace may.
	if act == ConfigureGroup && res.GroupID == "" {
		if p.Workspace.Mode == AllWorkspace && p.Has(need) {
			return nil
		}
		return ErrForbidden
	}
	if !VisibleIn(p, res.GroupID, res.DeviceID) {
		return ErrNotFound
	}
	if !slices.Contains(p.PrivilegesAt(res.GroupID, res.DeviceID), need) {
		return ErrForbidden
	}
	return nil
}

// anywhere reports whether a company guest holds priv somewhere in scope.
func (p *Principal) anywhere(priv Privilege) bool {
	if p.Workspace.Mode == GroupsWorkspace {
		for _, privs := range p.Workspace.Groups {
			if slices.Contains(privs, priv) {
				return true
			}
		}
		return false
	}
	return p.Has(priv)
}

// PrivilegesAt returns the privileges p holds on a group (deviceID empty) or a
// device in a group.
func (p *Principal) PrivilegesAt(groupID, deviceID string) []Privilege {
	if p == nil {
		return nil
	}
	if p.Kind == Member {
		return p.Privileges
	}
	if p.GuestKind != CompanyGuest {
		return nil
	}
	switch p.Workspace.Mode {
	case AllWorkspace:
		return p.Privileges
	case GroupsWorkspace:
		return p.Workspace.Groups[groupID]
	case DevicesWorkspace:
		if deviceID != "" && slices.Contains(p.Workspace.Devices, deviceID) {
			return p.Privileges
		}
	}
	return nil
}

// VisibleIn reports whether a group (deviceID empty) or a device is within a
// caller's sight. In devices mode a group is visible through its selected
// devices, which the caller checks with VisibleIn for each device.
func VisibleIn(p *Principal, groupID, deviceID string) bool {
	if p != nil && p.Kind == Guest && p.GuestKind == CompanyGuest && p.Workspace.Mode == DevicesWorkspace && deviceID == "" {
		return false
	}
	return slices.Contains(p.PrivilegesAt(groupID, deviceID), DevicesRead)
}

// VisibleCase reports whether a case appears in p's case listings.
func VisibleCase(p *Principal, caseID string) bool {
	if p == nil {
		return false
	}
	if p.Kind == Guest {
		return p.GuestKind != CompanyGuest && slices.Contains(p.CaseIDs, caseID)
	}
	return p.Has(CasesRead)
}
