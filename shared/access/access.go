// Package access decides what a signed-in caller may do. Every handler asks
// Authorize; none re-implements a rule.
//
// A caller is a Principal: a user acting in one organisation either as a member
// (with a role and its privileges) or as a guest (with the cases they were added
// to). A resource of another organisation is reported as not found, so callers
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
	CasesRead     Privilege = "cases.read"
	CasesWrite    Privilege = "cases.write"
	GuestsManage  Privilege = "guests.manage"
	AuditRead     Privilege = "audit.read"
	SessionsStart Privilege = "sessions.start"
)

// PrivilegeInfo describes a catalog entry.
type PrivilegeInfo struct {
	ID          Privilege `json:"id"`
	Description string    `json:"description"`
}

// Catalog lists every privilege with what it allows.
var Catalog = []PrivilegeInfo{
	{CasesRead, "See the company's cases"},
	{CasesWrite, "Create cases"},
	{GuestsManage, "Invite, extend, end and re-invite guests"},
	{AuditRead, "Read the audit log"},
	{SessionsStart, "Start live sessions on cases"},
}

// Built-in roles.
const (
	RoleAdmin      = "admin"
	RoleTechnician = "technician"
)

// BuiltinRoles maps the built-in roles to their privileges.
var BuiltinRoles = map[string][]Privilege{
	RoleAdmin:      {CasesRead, CasesWrite, GuestsManage, AuditRead, SessionsStart},
	RoleTechnician: {CasesRead, CasesWrite, GuestsManage, SessionsStart},
}

// Kind says how a principal belongs to the organisation it acts in.
type Kind string

// Principal kinds.
const (
	Member Kind = "member"
	Guest  Kind = "guest"
)

// Principal is an authenticated caller acting in one organisation.
type Principal struct {
	UserID     string
	OrgID      string
	Kind       Kind
	Role       string
	Privileges []Privilege
	GuestID    string   // for guests
	CaseIDs    []string // for guests: the only cases they may see
}

// Has reports whether the principal holds privilege p.
func (p *Principal) Has(priv Privilege) bool {
	return p != nil && slices.Contains(p.Privileges, priv)
}

// Action is something a caller asks to do.
type Action string

// Actions on the API's resources.
const (
	ListCases    Action = "cases.list"
	ReadCase     Action = "cases.read"
	CreateCase   Action = "cases.create"
	ManageGuests Action = "guests.manage"
	ReadAudit    Action = "audit.read"
)

// Resource names what an action is about: always an organisation, and for
// case-level actions a case.
type Resource struct {
	OrgID  string
	CaseID string
}

// Errors returned by Authorize.
var (
	ErrNotFound  = apperr.New(apperr.NotFound, "not_found", "Not found.")
	ErrForbidden = apperr.New(apperr.Forbidden, "forbidden", "You are not allowed to do this.")
)

// memberRule names the privilege a member needs for each action.
var memberRule = map[Action]Privilege{
	ListCases:    CasesRead,
	ReadCase:     CasesRead,
	CreateCase:   CasesWrite,
	ManageGuests: GuestsManage,
	ReadAudit:    AuditRead,
}

// Authorize returns nil when p may perform act on res, and otherwise an
// *apperr.Error: not found for anything outside the caller's organisation or a
// guest's cases, forbidden for a missing privilege.
func Authorize(p *Principal, act Action, res Resource) error {
	if p == nil || res.OrgID == "" || p.OrgID != res.OrgID {
		return ErrNotFound
	}
	switch p.Kind {
	case Member:
		need, ok := memberRule[act]
		if !ok || !p.Has(need) {
			return ErrForbidden
		}
		return nil
	case Guest:
		switch act {
		case ListCases:
			return nil
		case ReadCase:
			if res.CaseID != "" && slices.Contains(p.CaseIDs, res.CaseID) {
				return nil
			}
			return ErrNotFound
		default:
			return ErrForbidden
		}
	}
	return ErrForbidden
}

// VisibleCase reports whether a case appears in p's case listings.
func VisibleCase(p *Principal, caseID string) bool {
	if p == nil {
		return false
	}
	if p.Kind == Guest {
		return slices.Contains(p.CaseIDs, caseID)
	}
	return p.Has(CasesRead)
}
