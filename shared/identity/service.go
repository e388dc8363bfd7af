package identity

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/password"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Store is the storage identity needs.
type Store interface {
	UserByEmail(ctx context.Context, email string) (User, error)
	User(ctx context.Context, id string) (User, error)
	Member(ctx context.Context, orgID, userID string) (Member, error)
	// Memberships returns the user's member rows, and the guest profiles of
	// the user (case guests) and of their email (company guests).
	Memberships(ctx context.Context, userID, email string) ([]Member, []guest.Guest, error)
	// RolePrivileges returns a custom role's privileges.
	RolePrivileges(ctx context.Context, orgID, roleID string) ([]access.Privilege, error)
	Grant(ctx context.Context, orgID, guestID string) (Grant, error)
	Guest(ctx context.Context, orgID, guestID string) (guest.Guest, error)
	// SetPassword stores a new password hash and raises the account's token
	// version in the same write, so sessions from before the change end.
	SetPassword(ctx context.Context, userID, hash string, mustBeUnset bool, entry *audit.Entry) error
	// RaiseTokenVersion revokes every session token the account holds.
	RaiseTokenVersion(ctx context.Context, userID string, entry *audit.Entry) error
}

// Service signs people in and resolves their sessions.
type Service struct {
	store  Store
	signer *Signer
	clock  clock.Clock
}

// NewService returns an identity service.
func NewService(s Store, signer *Signer, c clock.Clock) *Service {
	return &Service{store: s, signer: signer, clock: c}
}

// Session is what a sign-in returns.
type Session struct {
	Token       string       `json:"token"`
	ExpiresAt   time.Time    `json:"expiresAt"`
	User        UserView     `json:"user"`
	Acting      Membership   `json:"actingOrg"`
	Memberships []Membership `json:"memberships"`
}

// UserView is the account as its owner sees it.
type UserView struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	HasPassword   bool   `json:"hasPassword"`
	EmailVerified bool   `json:"emailVerified"`
}

func viewOf(u User) UserView {
	return UserView{ID: u.ID, Email: u.Email, Name: u.Name, HasPassword: u.HasPassword(), EmailVerified: !u.EmailUnverified}
}

// Login checks email and password. Unknown email and wrong password give the
// same answer in the same time, so the answer does not reveal who has an account.
func (s *Service) Login(ctx context.Context, email, pw string) (Session, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrUserNotFound) {
		password.Burn(pw)
		return Session{}, ErrBadCredentials
	}
	if err != nil {
		return Session{}, err
	}
	if !u.HasPassword() {
		password.Burn(pw)
		return Session{}, ErrBadCredentials
	}
	if err := password.Verify(pw, u.PasswordHash); err != nil {
		return Session{}, ErrBadCredentials
	}
	ms, err := s.memberships(ctx, u)
	if err != nil {
		return Session{}, err
	}
	acting, err := s.pickActing(ms)
	if err != nil {
		return Session{}, err
	}
	return s.open(u, acting, ms, s.clock.Now().Add(SessionTTL), false)
}

// OpenSession issues a session for a user acting in the membership for orgID,
// ending at or before until. Used after accepting an invitation.
func (s *Service) OpenSession(ctx context.Context, userID, orgID string, until time.Time, viaLink bool) (Session, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return Session{}, err
	}
	ms, err := s.memberships(ctx, u)
	if err != nil {
		return Session{}, err
	}
	for _, m := range ms {
		if m.OrgID == orgID && usable(m) {
			return s.open(u, m, ms, until, viaLink)
		}
	}
	return Session{}, ErrNoAccess
}

// Switch issues a token acting in orgID, where the caller is a member or an
// active guest.
func (s *Service) Switch(ctx context.Context, c Claims, orgID string) (Session, error) {
	if c.ViaLink && orgID != c.OrgID {
		return Session{}, ErrConfined
	}
	u, err := s.store.User(ctx, c.UserID)
	if err != nil {
		return Session{}, err
	}
	ms, err := s.memberships(ctx, u)
	if err != nil {
		return Session{}, err
	}
	for _, m := range ms {
		if m.OrgID != orgID {
			continue
		}
		if c.ViaLink && (m.Kind != access.Guest || m.GuestID != c.GuestID) {
			return Session{}, ErrConfined
		}
		if m.Kind == access.Guest && !usable(m) {
			return Session{}, refusalOf(m)
		}
		// A session opened from a link keeps the link's end; others get a new one.
		until := s.clock.Now().Add(SessionTTL)
		if c.ViaLink && c.ExpiresAt.Before(until) {
			until = c.ExpiresAt
		}
		return s.open(u, m, ms, until, c.ViaLink)
	}
	return Session{}, ErrOrgNotFound
}

func (s *Service) open(u User, acting Membership, ms []Membership, until time.Time, viaLink bool) (Session, error) {
	now := s.clock.Now()
	if acting.Kind == access.Guest && acting.ValidUntil != nil && acting.ValidUntil.Before(until) {
		until = *acting.ValidUntil
	}
	tok, err := s.signer.Sign(Claims{
		UserID: u.ID, OrgID: acting.OrgID, Kind: acting.Kind, GuestID: acting.GuestID,
		GrantID: acting.grantID, ViaLink: viaLink, TokenVersion: u.TokenVersion, IssuedAt: now, ExpiresAt: until,
	})
	if err != nil {
		return Session{}, err
	}
	return Session{Token: tok, ExpiresAt: until.UTC().Truncate(time.Second), User: viewOf(u), Acting: acting, Memberships: ms}, nil
}

func usable(m Membership) bool {
	return m.Kind == access.Member || m.Status == string(guest.Active)
}

// pickActing chooses where a sign-in lands: the user's own company, else the
// guest access that lasts longest. A user with only ended guest accesses is
// told why they cannot get in.
func (s *Service) pickActing(ms []Membership) (Membership, error) {
	var best *Membership
	var refusal error = ErrNoAccess
	for i := range ms {
		m := &ms[i]
		if m.Kind == access.Member {
			return *m, nil
		}
		if !usable(*m) {
			if m.refusal != nil {
				refusal = m.refusal
			}
			continue
		}
		if best == nil || m.ValidUntil.After(*best.ValidUntil) {
			best = m
		}
	}
	if best == nil {
		return Membership{}, refusal
	}
	return *best, nil
}

func refusalOf(m Membership) error {
	if m.refusal != nil {
		return m.refusal
	}
	return ErrNoAccess
}

func (s *Service) memberships(ctx context.Context, u User) ([]Membership, error) {
	email := u.Email
	if u.EmailUnverified {
		// Company invitations are matched by email; an unproven address
		// matches none.
		email = ""
	}
	members, guests, err := s.store.Memberships(ctx, u.ID, email)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]Membership, 0, len(members)+len(guests))
	for _, m := range members {
		out = append(out, Membership{OrgID: m.OrgID, OrgName: m.OrgName, Kind: access.Member, Role: m.Role})
	}
	for _, g := range guests {
		if !g.Validated || g.UserID != u.ID {
			// An invitation not yet accepted by this account is listed under
			// "Companies", not here.
			continue
		}
		until := g.ValidUntil
		kind := g.Kind
		if kind == "" {
			kind = access.CaseGuest
		}
		out = append(out, Membership{
			OrgID: g.OrgID, OrgName: g.OrgName, Kind: access.Guest, GuestKind: kind, GuestID: g.ID, Role: g.RoleID,
			Status: string(g.StatusAt(now)), ValidUntil: &until, grantID: g.GrantID, refusal: g.Refusal(now),
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind == access.Member
		}
		return out[i].OrgName < out[j].OrgName
	})
	return out, nil
}

// Resolve checks a session token and returns the principal it acts as. It reads
// the membership or grant on every call: deactivation, expiry and role changes
// apply at once, whatever the token says.
func (s *Service) Resolve(ctx context.Context, token string) (*access.Principal, Claims, error) {
	c, err := s.signer.Verify(token)
	if err != nil {
		return nil, Claims{}, err
	}
	// The account's token version and the member or grant item are read at
	// the same time: the check costs no extra round trip on every request. A
	// revoked token is refused as such, whatever the other read says.
	revoked := make(chan error, 1)
	go func() { revoked <- s.checkTokenVersion(ctx, c) }()
	p, err := s.principalOf(ctx, c)
	if rerr := <-revoked; rerr != nil {
		return nil, c, rerr
	}
	if err != nil {
		return nil, c, err
	}
	return p, c, nil
}

// principalOf turns verified claims into the principal they act as, reading
// the membership or the grant as it is now.
func (s *Service) principalOf(ctx context.Context, c Claims) (*access.Principal, error) {
	now := s.clock.Now()
	if c.ViaLink && c.Kind != access.Guest {
		// Only a guest access is ever opened from a link.
		return nil, ErrConfined
	}
	switch c.Kind {
	case access.Member:
		m, err := s.store.Member(ctx, c.OrgID, c.UserID)
		if errors.Is(err, ErrUserNotFound) {
			return nil, ErrNoAccess
		}
		if err != nil {
			return nil, err
		}
		privs, err := s.privilegesOf(ctx, c.OrgID, m.Role)
		if err != nil {
			return nil, err
		}
		return &access.Principal{
			UserID: c.UserID, Name: m.Name, OrgID: c.OrgID, Kind: access.Member, Role: m.Role, Privileges: privs,
		}, nil
	case access.Guest:
		g, err := s.store.Grant(ctx, c.OrgID, c.GuestID)
		if err == nil && g.GrantID == c.GrantID && g.UserID == c.UserID && g.Active && now.Before(g.ValidUntil) {
			p := &access.Principal{
				UserID: c.UserID, Name: g.Name, OrgID: c.OrgID, Kind: access.Guest, GuestKind: access.CaseGuest, GuestID: c.GuestID,
				CaseIDs: g.CaseIDs, LinkSession: c.ViaLink,
			}
			if p.Name == "" {
				// A grant written before grants kept the name: the profile has it.
				prof, err := s.store.Guest(ctx, c.OrgID, c.GuestID)
				if err != nil && !errors.Is(err, guest.ErrNotFound) {
					return nil, err
				}
				p.Name = prof.Name
			}
			if g.Kind == access.CompanyGuest {
				p.GuestKind, p.Role, p.Workspace = access.CompanyGuest, g.RoleID, g.Workspace
				if p.Privileges, err = s.guestPrivileges(ctx, g); err != nil {
					return nil, err
				}
			}
			return p, nil
		}
		if err != nil && !errors.Is(err, guest.ErrNotFound) {
			return nil, err
		}
		// Refused: read the profile to say why.
		prof, perr := s.store.Guest(ctx, c.OrgID, c.GuestID)
		if perr != nil {
			if errors.Is(perr, guest.ErrNotFound) {
				return nil, ErrNoAccess
			}
			return nil, perr
		}
		if r := prof.Refusal(now); r != nil {
			return nil, r
		}
		return nil, ErrNoAccess
	}
	return nil, ErrNoSession
}

// checkTokenVersion refuses a token issued before the account's last
// revocation. An account that no longer exists has no valid tokens either.
func (s *Service) checkTokenVersion(ctx context.Context, c Claims) error {
	u, err := s.store.User(ctx, c.UserID)
	if errors.Is(err, ErrUserNotFound) {
		return ErrTokenRevoked
	}
	if err != nil {
		return err
	}
	if c.TokenVersion != u.TokenVersion {
		return ErrTokenRevoked
	}
	return nil
}

// privilegesOf returns a role's privileges: built-in or the company's own.
func (s *Service) privilegesOf(ctx context.Context, orgID, roleID string) ([]access.Privilege, error) {
	if privs, ok := access.BuiltinRoles[roleID]; ok {
		return privs, nil
	}
	return s.store.RolePrivileges(ctx, orgID, roleID)
}

// guestPrivileges are a company guest's privileges: their role's and those
// given besides, limited to what a guest may hold. A role deleted meanwhile
// gives nothing.
func (s *Service) guestPrivileges(ctx context.Context, g Grant) ([]access.Privilege, error) {
	var privs []access.Privilege
	if g.RoleID != "" {
		rp, err := s.privilegesOf(ctx, g.OrgID, g.RoleID)
		if err != nil && !errors.Is(err, ErrRoleNotFound) {
			return nil, err
		}
		privs = append(privs, rp...)
	}
	privs = append(privs, g.Privileges...)
	out := []access.Privilege{}
	for _, p := range privs {
		if access.GuestGrantable(p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Me returns the caller's account and memberships.
func (s *Service) Me(ctx context.Context, userID string) (UserView, []Membership, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return UserView{}, nil, err
	}
	ms, err := s.memberships(ctx, u)
	if err != nil {
		return UserView{}, nil, err
	}
	return viewOf(u), ms, nil
}

// SetPassword sets the caller's password. An account without a password (made
// from an SMS link) may set one; changing an existing one needs the current.
func (s *Service) SetPassword(ctx context.Context, p *access.Principal, current, next string) error {
	if msg := password.Check(next); msg != "" {
		return apperr.InvalidField("password", msg)
	}
	u, err := s.store.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if u.HasPassword() && p.LinkSession {
		// A phone proves no account: a link session may give its own new
		// account a first password, never change one.
		return ErrConfined
	}
	if u.HasPassword() {
		if current == "" {
			return ErrPasswordSet
		}
		if password.Verify(current, u.PasswordHash) != nil {
			return apperr.New(apperr.Forbidden, "invalid_credentials", "The current password is wrong.")
		}
	}
	hash, err := password.Hash(next)
	if err != nil {
		return err
	}
	entry := audit.Entry{
		ID: secret.NewID("a_"), OrgID: p.OrgID, At: s.clock.Now(), Actor: p.UserID,
		Action: audit.GuestPasswordSet, Target: p.UserID, ActorName: u.Name, TargetName: u.Name,
	}
	if p.Kind == access.Member {
		entry.Action = audit.UserPasswordChanged
	}
	return s.store.SetPassword(ctx, u.ID, hash, !u.HasPassword(), &entry)
}

// SignOutEverywhere revokes every session token of the caller's account,
// the one in hand included.
func (s *Service) SignOutEverywhere(ctx context.Context, p *access.Principal) error {
	return s.store.RaiseTokenVersion(ctx, p.UserID, &audit.Entry{
		ID: secret.NewID("a_"), OrgID: p.OrgID, At: s.clock.Now(), Actor: p.UserID,
		Action: audit.UserSignedOutEverywhere, Target: p.UserID, ActorName: p.Name, TargetName: p.Name,
	})
}

// SessionFor issues a session for u acting as m without reading the store,
// for flows that have just written what they need (accepting an invitation).
func (s *Service) SessionFor(u User, m Membership, until time.Time, viaLink bool) (Session, error) {
	return s.open(u, m, []Membership{m}, until, viaLink)
}

// GuestMembership describes an active guest access for SessionFor.
func GuestMembership(orgID, orgName, guestID, grantID string, kind access.GuestKind, validUntil time.Time) Membership {
	return Membership{
		OrgID: orgID, OrgName: orgName, Kind: access.Guest, GuestKind: kind, GuestID: guestID,
		Status: string(guest.Active), ValidUntil: &validUntil, grantID: grantID,
	}
}
