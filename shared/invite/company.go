package invite

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/role"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// inviteCompanyGuest invites a person as a guest of the company (seed 001):
// with a role, a workspace scope, privileges and the Active switch. The
// invitation goes by email to whoever has, or creates, an account with that
// email; it also waits under their "Companies".
func (s *Service) inviteCompanyGuest(ctx context.Context, p *access.Principal, orgID string, req InviteRequest, email, name string) (View, error) {
	if req.CaseID != "" || req.NewCase != nil {
		return View{}, apperr.InvalidField("caseId", "a guest of the company is not added to cases: leave out caseId and newCase")
	}
	if req.Phone != "" || slices.Contains(req.Channels, outbox.SMS) {
		return View{}, apperr.InvalidField("channels", "a guest of the company is invited by email only")
	}
	if req.RoleID == "" {
		return View{}, apperr.InvalidField("roleId", "a guest of the company needs a role")
	}
	ws := access.Workspace{Mode: access.AllWorkspace}
	if req.Workspace != nil {
		ws = *req.Workspace
	}
	roleName, err := s.checkScope(ctx, p, orgID, req.RoleID, &ws, req.Privileges)
	if err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	org, err := s.store.Org(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	// Every access ends: without a period, the company's maximum applies.
	period := req.Period
	if period == nil {
		days := s.maxDays(org)
		period = &guest.PeriodRequest{Days: &days}
	}
	validUntil, err := period.Resolve("period", now, s.maxDays(org), org.Zone())
	if err != nil {
		return View{}, err
	}
	if err := s.notYetAGuest(ctx, orgID, email); err != nil {
		return View{}, err
	}
	if err := s.charge(ctx, p, orgID, "", nil); err != nil {
		return View{}, err
	}
	acct, err := s.verifiedAccount(ctx, email)
	if err != nil {
		return View{}, err
	}
	active := req.Active == nil || *req.Active
	g := guest.Guest{
		ID: secret.NewID("g_"), OrgID: orgID, OrgName: org.Name, Email: email, Name: name,
		Channels: []outbox.Channel{outbox.Email}, Kind: access.CompanyGuest, RoleID: req.RoleID, Workspace: ws,
		Privileges: req.Privileges, ValidUntil: validUntil, Active: active, InvitedBy: p.UserID, CreatedAt: now, UpdatedAt: now,
		Language: locale.Lang(req.Language).Or(org.Lang()),
	}
	scope, err := s.describeScope(ctx, orgID, req.RoleID, roleName, ws)
	if err != nil {
		return View{}, err
	}
	w := NewGuest{Guest: g}
	if w.Links, w.Messages, err = s.links(&w.Guest, org, s.inviterName(p), scope, nil, acct, now); err != nil {
		return View{}, err
	}
	w.Audit = []audit.Entry{s.entry(p, audit.GuestInvited, g.ID, map[string]string{
		"email": email, "kind": string(access.CompanyGuest), "roleId": req.RoleID, "mode": string(ws.Mode),
		"active": map[bool]string{true: "true", false: "false"}[active], "validUntil": validUntil.Format(time.RFC3339),
	}).Naming(name)}
	if err := s.store.CreateGuest(ctx, w); err != nil {
		return View{}, err
	}
	return ViewOf(w.Guest, now), nil
}

// checkScope validates a company guest's role, workspace and privileges against
// the company's roles, groups and devices, and returns the role's name. The
// guest may not end up with a privilege the inviter lacks: a technician cannot
// make a guest more than a technician.
func (s *Service) checkScope(ctx context.Context, inviter *access.Principal, orgID, roleID string, ws *access.Workspace, privs []access.Privilege) (string, error) {
	r, err := s.role(ctx, orgID, roleID)
	if errors.Is(err, role.ErrNotFound) {
		return "", apperr.InvalidField("roleId", "no such role in this company")
	}
	if err != nil {
		return "", err
	}
	for _, p := range privs {
		if !access.GuestGrantable(p) {
			return "", apperr.InvalidField("privileges", "privilege "+string(p)+" cannot be given to a guest; see GET /v1/privileges")
		}
	}
	given := append(append([]access.Privilege{}, r.Privileges...), privs...)
	for _, gp := range ws.Groups {
		given = append(given, gp...)
	}
	for _, p := range given {
		if access.GuestGrantable(p) && !inviter.Has(p) {
			return "", access.NotHeld(p)
		}
	}
	switch ws.Mode {
	case access.AllWorkspace:
		if len(ws.Groups) > 0 || len(ws.Devices) > 0 {
			return "", apperr.InvalidField("workspace", `mode "all" takes no groups or devices`)
		}
	case access.GroupsWorkspace:
		if len(ws.Groups) == 0 || len(ws.Devices) > 0 {
			return "", apperr.InvalidField("workspace.groups", `mode "groups" needs privileges per group, and no devices`)
		}
		for id, gp := range ws.Groups {
			if _, err := s.store.Group(ctx, orgID, id); err != nil {
				if errors.Is(err, device.ErrGroupNotFound) {
					return "", apperr.InvalidField("workspace.groups", "no such group "+id)
				}
				return "", err
			}
			for _, p := range gp {
				if !access.GuestGrantable(p) {
					return "", apperr.InvalidField("workspace.groups", "privilege "+string(p)+" cannot be given to a guest")
				}
			}
		}
	case access.DevicesWorkspace:
		if len(ws.Devices) == 0 || len(ws.Groups) > 0 {
			return "", apperr.InvalidField("workspace.devices", `mode "devices" needs the selected devices, and no groups`)
		}
		for _, id := range ws.Devices {
			if _, err := s.store.Device(ctx, orgID, id); err != nil {
				if errors.Is(err, device.ErrDeviceNotFound) {
					return "", apperr.InvalidField("workspace.devices", "no such device "+id)
				}
				return "", err
			}
		}
	default:
		return "", apperr.InvalidField("workspace.mode", `mode must be "all", "groups" or "devices"`)
	}
	return r.Name, nil
}

// canGiveScope refuses giving a company guest's stored scope back (switch
// on, a longer period) to a caller who lacks a privilege in it. A role
// deleted meanwhile gives nothing.
func (s *Service) canGiveScope(ctx context.Context, p *access.Principal, orgID string, g guest.Guest) error {
	given := append([]access.Privilege{}, g.Privileges...)
	if r, err := s.role(ctx, orgID, g.RoleID); err == nil {
		given = append(given, r.Privileges...)
	} else if !errors.Is(err, role.ErrNotFound) {
		return err
	}
	for _, gp := range g.Workspace.Groups {
		given = append(given, gp...)
	}
	for _, priv := range given {
		if access.GuestGrantable(priv) && !p.Has(priv) {
			return access.NotHeld(priv)
		}
	}
	return nil
}

func (s *Service) role(ctx context.Context, orgID, roleID string) (role.Role, error) {
	if r, ok := role.Builtin(roleID); ok {
		return r, nil
	}
	return s.store.Role(ctx, orgID, roleID)
}

// CompanyInvitation is one line of the "Companies" section.
type CompanyInvitation struct {
	ID         string           `json:"id"`
	OrgID      string           `json:"orgId"`
	OrgName    string           `json:"orgName"`
	RoleID     string           `json:"roleId"`
	Workspace  access.Workspace `json:"workspace"`
	Status     string           `json:"status"` // pending, accepted, declined, inactive, ended, expired
	InvitedAt  time.Time        `json:"invitedAt"`
	ValidUntil time.Time        `json:"validUntil"`
}

func companyView(g guest.Guest, now time.Time) CompanyInvitation {
	v := CompanyInvitation{ID: g.ID, OrgID: g.OrgID, OrgName: g.OrgName, RoleID: g.RoleID, Workspace: g.Workspace,
		InvitedAt: g.InvitedAt, ValidUntil: g.ValidUntil}
	switch st := g.StatusAt(now); {
	case g.EndReason == guest.Declined:
		v.Status = "declined"
	case st == guest.Deactivated && g.EndReason == guest.EndedByHand:
		v.Status = "ended"
	case st == guest.Deactivated:
		v.Status = "expired"
	case !g.Validated:
		v.Status = "pending"
	case st == guest.Inactive:
		v.Status = "inactive"
	default:
		v.Status = "accepted"
	}
	return v
}

// MyInvitations lists the company invitations addressed to the caller's email:
// the "Companies" section.
func (s *Service) MyInvitations(ctx context.Context, p *access.Principal) ([]CompanyInvitation, error) {
	gs, _, err := s.myInvitations(ctx, p)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := []CompanyInvitation{}
	for _, g := range gs {
		out = append(out, companyView(g, now))
	}
	return out, nil
}

func (s *Service) myInvitations(ctx context.Context, p *access.Principal) ([]guest.Guest, identity.User, error) {
	if p.LinkSession {
		return nil, identity.User{}, identity.ErrConfined
	}
	u, err := s.store.User(ctx, p.UserID)
	if err != nil {
		return nil, u, err
	}
	if u.EmailUnverified || u.Email == "" {
		// Invitations are addressed to a mailbox; an account that has not
		// proven it is not their addressee.
		return nil, u, nil
	}
	gs, err := s.store.CompanyInvitations(ctx, u.Email)
	return gs, u, err
}

// mine finds one of the caller's company invitations; another person's is not
// found, whatever its id: only the invited email may answer it.
func (s *Service) mine(ctx context.Context, p *access.Principal, id string) (guest.Guest, identity.User, error) {
	gs, u, err := s.myInvitations(ctx, p)
	if err != nil {
		return guest.Guest{}, u, err
	}
	for _, g := range gs {
		if g.ID == id {
			return g, u, nil
		}
	}
	return guest.Guest{}, u, apperr.New(apperr.NotFound, "invitation_not_found", "No such invitation for your email.")
}

var errNotPending = apperr.New(apperr.Conflict, "invitation_answered", "This invitation was already answered or has ended.")

// AcceptMine accepts a company invitation from "Companies".
func (s *Service) AcceptMine(ctx context.Context, p *access.Principal, id string) (CompanyInvitation, error) {
	return s.answerMine(ctx, p, id, audit.GuestAccepted, func(g *guest.Guest, u identity.User, now time.Time, e audit.Entry) error {
		grantID := secret.NewID("gr_")
		if err := s.store.AcceptAsUser(ctx, *g, u.ID, grantID, now, e); err != nil {
			return err
		}
		g.Validated, g.UserID, g.GrantID = true, u.ID, grantID
		return nil
	})
}

// DeclineMine declines a company invitation from "Companies".
func (s *Service) DeclineMine(ctx context.Context, p *access.Principal, id string) (CompanyInvitation, error) {
	return s.answerMine(ctx, p, id, audit.GuestDeclined, func(g *guest.Guest, _ identity.User, now time.Time, e audit.Entry) error {
		if err := s.store.DeclineGuest(ctx, *g, now, e); err != nil {
			return err
		}
		g.Active, g.EndReason, g.EndedAt = false, guest.Declined, now
		return nil
	})
}

// answerMine finds one of the caller's pending company invitations and
// records the answer with write, which updates g to what it wrote.
func (s *Service) answerMine(ctx context.Context, p *access.Principal, id, action string,
	write func(g *guest.Guest, u identity.User, now time.Time, e audit.Entry) error) (CompanyInvitation, error) {
	g, u, err := s.mine(ctx, p, id)
	if err != nil {
		return CompanyInvitation{}, err
	}
	now := s.clock.Now()
	if g.Validated || g.StatusAt(now) == guest.Deactivated {
		return CompanyInvitation{}, errNotPending
	}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: g.OrgID, At: now, Actor: u.ID, Action: action, Target: g.ID,
		Details: map[string]string{"via": "companies"}, ActorName: u.Name, TargetName: g.Name}
	if err := write(&g, u, now, e); err != nil {
		if errors.Is(err, ErrGuestChanged) {
			return CompanyInvitation{}, errNotPending
		}
		return CompanyInvitation{}, err
	}
	return companyView(g, now), nil
}
