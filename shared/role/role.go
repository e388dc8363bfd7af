// Package role manages a company's roles: named sets of privileges from the
// catalog. The built-in roles (admin, technician) cannot be changed; custom
// roles are created, edited and deleted, but never while someone holds them.
package role

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/plaintext"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Role is a named set of privileges.
type Role struct {
	ID         string             `json:"id"`
	OrgID      string             `json:"orgId,omitempty"`
	Name       string             `json:"name"`
	Privileges []access.Privilege `json:"privileges"`
	Builtin    bool               `json:"builtin"`
	CreatedAt  time.Time          `json:"createdAt,omitzero"`
	UpdatedAt  time.Time          `json:"updatedAt,omitzero"`
}

// Holder is someone who holds a role, named in a refusal to delete it.
type Holder struct {
	Email string
	Kind  string // "member" or "guest"
}

// Store is the storage roles need.
type Store interface {
	Role(ctx context.Context, orgID, roleID string) (Role, error)
	Roles(ctx context.Context, orgID string) ([]Role, error)
	PutRole(ctx context.Context, r Role, create bool, entry audit.Entry) error
	// DeleteRole deletes a role unless someone holds it; then it returns
	// ErrInUse with the holders.
	DeleteRole(ctx context.Context, orgID, roleID string, entry audit.Entry) error
	RoleHolders(ctx context.Context, orgID, roleID string) ([]Holder, error)
	Members(ctx context.Context, orgID string) ([]Member, error)
	RolesPage(ctx context.Context, orgID string, pg page.Request) ([]Role, page.Key, error)
	MembersPage(ctx context.Context, orgID string, pg page.Request) ([]Member, page.Key, error)
	// SetMemberRole assigns a role to a member, on the condition that they
	// still hold fromRole, that a custom role still exists and, with
	// keepAdmin set, that that member is still an admin.
	SetMemberRole(ctx context.Context, orgID, userID, fromRole, roleID, keepAdmin string, entry audit.Entry) error
	// RemoveMember deletes a membership and revokes every session token of
	// the account in the same write, while the member still holds role as
	// checked. With keepAdmin set, the write happens only while that member
	// is still an admin, so two admins removing each other at once cannot
	// leave the company without one.
	RemoveMember(ctx context.Context, orgID, userID, role, keepAdmin string, entry audit.Entry) error
}

// SeatCloser closes a removed member's seats in the company's live sessions,
// telling the relay why.
type SeatCloser func(ctx context.Context, orgID, userID, reason string) error

// Member is a member of the company with their role.
type Member struct {
	UserID string `json:"userId"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Role   string `json:"role"`
}

// Errors.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "role_not_found", "No such role.")
	ErrBuiltin  = apperr.New(apperr.Conflict, "role_builtin", "Built-in roles cannot be changed or deleted.")
	// ErrMemberNotFound reports a user who is not a member of the company.
	ErrMemberNotFound = apperr.New(apperr.NotFound, "member_not_found", "No such member.")
	// ErrLastAdmin refuses removing the company's only admin.
	ErrLastAdmin = apperr.New(apperr.Conflict, "last_admin", "This is the company's last admin; make someone else admin first.")
	// ErrMemberChanged reports a member whose role changed, or who was
	// removed, between the check and the write.
	ErrMemberChanged = apperr.New(apperr.Conflict, "member_changed", "The member was changed or removed meanwhile; reload and try again.")
)

// ReasonMemberRemoved is the close reason of a removed member's live seats.
const ReasonMemberRemoved = "member_removed"

// InUse returns the 409 that names who holds a role.
func InUse(holders []Holder) error {
	names := make([]string, len(holders))
	for i, h := range holders {
		names[i] = h.Email + " (" + h.Kind + ")"
	}
	sort.Strings(names)
	return apperr.New(apperr.Conflict, "role_in_use", "The role is still held by: "+strings.Join(names, ", ")+".")
}

// Builtin returns the built-in role with id, if there is one.
func Builtin(id string) (Role, bool) {
	privs, ok := access.BuiltinRoles[id]
	if !ok {
		return Role{}, false
	}
	return Role{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Privileges: privs, Builtin: true}, true
}

// Service manages roles under the access rules.
type Service struct {
	store      Store
	clock      clock.Clock
	closeSeats SeatCloser
}

// OnMemberRemoved sets what removing a member does to their live session seats.
func (s *Service) OnMemberRemoved(c SeatCloser) { s.closeSeats = c }

// NewService returns a role service.
func NewService(s Store, c clock.Clock) *Service { return &Service{store: s, clock: c} }

// Request is the body of POST and PUT /v1/orgs/{org}/roles.
type Request struct {
	Name       string             `json:"name"`
	Privileges []access.Privilege `json:"privileges"`
}

func (r Request) clean() (string, []access.Privilege, error) {
	name := strings.TrimSpace(r.Name)
	if name == "" || len(name) > 60 {
		return "", nil, apperr.InvalidField("name", "a role name of 1 to 60 characters is required")
	}
	if err := plaintext.Check("name", name); err != nil {
		return "", nil, err
	}
	if _, builtin := access.BuiltinRoles[strings.ToLower(name)]; builtin {
		return "", nil, apperr.InvalidField("name", "this name belongs to a built-in role")
	}
	seen := map[access.Privilege]bool{}
	out := []access.Privilege{}
	for _, p := range r.Privileges {
		if !access.Known(p) {
			return "", nil, apperr.InvalidField("privileges", "unknown privilege "+string(p)+"; see GET /v1/privileges")
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return name, out, nil
}

// Resolve returns a role by id, built-in or custom, for any caller that needs
// its privileges (sign-in, invitations).
func (s *Service) Resolve(ctx context.Context, orgID, id string) (Role, error) {
	if r, ok := Builtin(id); ok {
		return r, nil
	}
	return s.store.Role(ctx, orgID, id)
}

// List returns the built-in and custom roles.
// The built-in roles lead the list, then the custom roles in storage order
// (by name within a page).
func (s *Service) List(ctx context.Context, p *access.Principal, orgID string, pg page.Request) ([]Role, page.Key, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	a, _ := Builtin(access.RoleAdmin)
	t, _ := Builtin(access.RoleTechnician)
	builtins := []Role{a, t}
	// A cursor within the built-in roles carries the next one's position
	// under "Builtin"; any other cursor is the custom roles' own.
	from, start := 0, pg.Start
	if start != nil {
		from = len(builtins)
		if b, ok := start["Builtin"]; ok {
			n, err := strconv.Atoi(b)
			if err != nil || n < 0 || n > len(builtins) || len(start) != 1 {
				return nil, nil, page.ErrInvalidCursor
			}
			from, start = n, nil
		}
	}
	out := []Role{}
	for i := from; i < len(builtins) && len(out) < pg.Limit; i++ {
		out = append(out, builtins[i])
	}
	if len(out) == pg.Limit && from+len(out) <= len(builtins) && len(out) > 0 {
		return out, page.Key{"Builtin": strconv.Itoa(from + len(out))}, nil
	}
	custom, next, err := s.store.RolesPage(ctx, orgID, page.Request{Limit: pg.Limit - len(out), Start: start})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(custom, func(i, j int) bool { return custom[i].Name < custom[j].Name })
	return append(out, custom...), next, nil
}

// Get returns one role.
func (s *Service) Get(ctx context.Context, p *access.Principal, orgID, id string) (Role, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return Role{}, err
	}
	return s.Resolve(ctx, orgID, id)
}

// Create makes a custom role.
func (s *Service) Create(ctx context.Context, p *access.Principal, orgID string, req Request) (Role, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return Role{}, err
	}
	name, privs, err := req.clean()
	if err != nil {
		return Role{}, err
	}
	if err := access.CanGive(p, privs); err != nil {
		return Role{}, err
	}
	now := s.clock.Now()
	r := Role{ID: secret.NewID("r_"), OrgID: orgID, Name: name, Privileges: privs, CreatedAt: now, UpdatedAt: now}
	if err := s.store.PutRole(ctx, r, true, s.entry(p, "role.created", r)); err != nil {
		return Role{}, err
	}
	return r, nil
}

// Update replaces a custom role's name and privileges; holders get the new
// privileges on their next request.
func (s *Service) Update(ctx context.Context, p *access.Principal, orgID, id string, req Request) (Role, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return Role{}, err
	}
	if _, ok := Builtin(id); ok {
		return Role{}, ErrBuiltin
	}
	r, err := s.store.Role(ctx, orgID, id)
	if err != nil {
		return Role{}, err
	}
	// A role already holding more than the caller is not theirs to edit:
	// holders of it may be people who outrank them.
	if err := access.CanGive(p, r.Privileges); err != nil {
		return Role{}, err
	}
	if r.Name, r.Privileges, err = req.clean(); err != nil {
		return Role{}, err
	}
	if err := access.CanGive(p, r.Privileges); err != nil {
		return Role{}, err
	}
	r.UpdatedAt = s.clock.Now()
	if err := s.store.PutRole(ctx, r, false, s.entry(p, "role.updated", r)); err != nil {
		return Role{}, err
	}
	return r, nil
}

// Delete removes a custom role that nobody holds.
func (s *Service) Delete(ctx context.Context, p *access.Principal, orgID, id string) error {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return err
	}
	if _, ok := Builtin(id); ok {
		return ErrBuiltin
	}
	r, err := s.store.Role(ctx, orgID, id)
	if err != nil {
		return err
	}
	holders, err := s.store.RoleHolders(ctx, orgID, id)
	if err != nil {
		return err
	}
	if len(holders) > 0 {
		return InUse(holders)
	}
	return s.store.DeleteRole(ctx, orgID, id, s.entry(p, "role.deleted", r))
}

func (s *Service) entry(p *access.Principal, action string, r Role) audit.Entry {
	privs := make([]string, len(r.Privileges))
	for i, x := range r.Privileges {
		privs[i] = string(x)
	}
	return audit.Entry{ID: secret.NewID("a_"), OrgID: r.OrgID, At: s.clock.Now(), Actor: p.UserID, Action: action,
		Target: r.ID, Details: map[string]string{"name": r.Name, "privileges": strings.Join(privs, ",")},
		ActorName: p.Name, TargetName: r.Name}
}

// Members lists the company's members and their roles.
func (s *Service) Members(ctx context.Context, p *access.Principal, orgID string, pg page.Request) ([]Member, page.Key, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	ms, next, err := s.store.MembersPage(ctx, orgID, pg)
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Email < ms[j].Email })
	return ms, next, nil
}

// AssignRequest is the body of PATCH /v1/orgs/{org}/members/{userId}.
type AssignRequest struct {
	Role string `json:"role"`
}

// Assign gives a member a role; it applies on the member's next request. An
// admin cannot take the admin role from themselves, so a company keeps one.
func (s *Service) Assign(ctx context.Context, p *access.Principal, orgID, userID string, req AssignRequest) (Member, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return Member{}, err
	}
	if req.Role == "" {
		return Member{}, apperr.InvalidField("role", "role is required")
	}
	next, err := s.Resolve(ctx, orgID, req.Role)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Member{}, apperr.InvalidField("role", "no such role")
		}
		return Member{}, err
	}
	if err := access.CanAssign(p, next.ID, next.Privileges); err != nil {
		return Member{}, err
	}
	current, err := s.member(ctx, orgID, userID)
	if err != nil {
		return Member{}, err
	}
	if err := s.canActOn(ctx, p, orgID, current); err != nil {
		return Member{}, err
	}
	if userID == p.UserID && p.Role == access.RoleAdmin && req.Role != access.RoleAdmin {
		return Member{}, apperr.New(apperr.Conflict, "last_admin", "You cannot take the admin role from yourself.")
	}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: s.clock.Now(), Actor: p.UserID, Action: "member.role_changed",
		Target: userID, Details: map[string]string{"role": req.Role}, ActorName: p.Name, TargetName: current.Name}
	keepAdmin := ""
	if current.Role == access.RoleAdmin && req.Role != access.RoleAdmin {
		// Only an admin demotes an admin, and never themselves: the caller is
		// the admin who must still be there when the write lands.
		keepAdmin = p.UserID
	}
	if err := s.store.SetMemberRole(ctx, orgID, userID, current.Role, req.Role, keepAdmin, e); err != nil {
		return Member{}, err
	}
	ms, err := s.store.Members(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	for _, m := range ms {
		if m.UserID == userID {
			return m, nil
		}
	}
	return Member{}, ErrMemberNotFound
}

// member finds one member of the company.
func (s *Service) member(ctx context.Context, orgID, userID string) (Member, error) {
	ms, err := s.store.Members(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	for _, m := range ms {
		if m.UserID == userID {
			return m, nil
		}
	}
	return Member{}, ErrMemberNotFound
}

// canActOn refuses changing or removing a member who holds more than p. A
// member whose custom role was deleted holds nothing.
func (s *Service) canActOn(ctx context.Context, p *access.Principal, orgID string, m Member) error {
	r, err := s.Resolve(ctx, orgID, m.Role)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return access.CanActOnMember(p, m.Role, r.Privileges)
}

// Remove ends a membership: the account's session tokens die at once, its
// live session seats in the company close, and its guest access elsewhere is
// untouched (the person signs in again and acts there). The last admin stays.
func (s *Service) Remove(ctx context.Context, p *access.Principal, orgID, userID string) error {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return err
	}
	ms, err := s.store.Members(ctx, orgID)
	if err != nil {
		return err
	}
	var target *Member
	keepAdmin := ""
	for i, m := range ms {
		switch {
		case m.UserID == userID:
			target = &ms[i]
		case m.Role == access.RoleAdmin && (keepAdmin == "" || m.UserID == p.UserID):
			// The caller, when an admin, is the admin known to be there.
			keepAdmin = m.UserID
		}
	}
	if target == nil {
		return ErrMemberNotFound
	}
	if err := s.canActOn(ctx, p, orgID, *target); err != nil {
		return err
	}
	if target.Role != access.RoleAdmin {
		keepAdmin = ""
	} else if keepAdmin == "" {
		return ErrLastAdmin
	}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: s.clock.Now(), Actor: p.UserID, Action: "member.removed",
		Target: userID, Details: map[string]string{"email": target.Email, "role": target.Role},
		ActorName: p.Name, TargetName: target.Name}
	if err := s.store.RemoveMember(ctx, orgID, userID, target.Role, keepAdmin, e); err != nil {
		return err
	}
	if s.closeSeats != nil {
		// The membership is gone either way; a seat the relay could not be
		// told of is refused on its next join, as the member is no longer one.
		if err := s.closeSeats(ctx, orgID, userID, ReasonMemberRemoved); err != nil {
			return apperr.Wrap(err, "close removed member's seats")
		}
	}
	return nil
}
