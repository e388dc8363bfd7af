// Package memberinvite lets a company's admins add members: an invitation by
// email with a role, carried by a single-use link (only its hash stored,
// expiring after a week), sent through the outbox like guest invitations and
// with the same delivery status. The invited person accepts with the account
// their address already has (its password proves it is theirs) or creates
// one; the acceptance is one conditional write, so of two accepts one wins.
package memberinvite

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/password"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/role"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// TTL is how long an invitation link works.
const TTL = 7 * 24 * time.Hour

// SendLimit bounds the member invitations one person sends per hour: each
// lands in a stranger's mailbox.
var SendLimit = ratelimit.Rule{Name: "member-invite-user", Limit: 30, Window: time.Hour}

// States of an invitation.
const (
	Pending  = "pending"
	Accepted = "accepted"
)

// Invitation is one member invitation. Only the token's hash is stored.
type Invitation struct {
	ID          string                             `json:"id"`
	TokenHash   string                             `json:"-"`
	OrgID       string                             `json:"orgId"`
	OrgName     string                             `json:"orgName"`
	Email       string                             `json:"email"`
	Name        string                             `json:"name"`
	Role        string                             `json:"role"`
	RoleName    string                             `json:"roleName"`
	InvitedBy   string                             `json:"invitedBy"`
	InviterName string                             `json:"inviterName"`
	State       string                             `json:"state"`
	CreatedAt   time.Time                          `json:"createdAt"`
	ExpiresAt   time.Time                          `json:"expiresAt"`
	UsedAt      time.Time                          `json:"usedAt,omitzero"`
	UserID      string                             `json:"userId,omitempty"`
	Deliveries  map[outbox.Channel]outbox.Delivery `json:"deliveries"`
}

// Acceptance is what accepting writes, all or nothing.
type Acceptance struct {
	Invitation Invitation
	At         time.Time
	Member     identity.Member
	// NewUser is the account created with the acceptance, or nil when the
	// person's existing account joins.
	NewUser *identity.User
	Audit   audit.Entry
}

// Store is the storage the flow needs.
type Store interface {
	Org(ctx context.Context, id string) (identity.Org, error)
	UserByEmail(ctx context.Context, email string) (identity.User, error)
	Member(ctx context.Context, orgID, userID string) (identity.Member, error)
	// CreateMemberInvitation writes the invitation, its message and the audit
	// entry together.
	CreateMemberInvitation(ctx context.Context, inv Invitation, m outbox.Message, e audit.Entry) error
	MemberInvitation(ctx context.Context, tokenHash string) (Invitation, error)
	MemberInvitationsPage(ctx context.Context, orgID string, pg page.Request) ([]Invitation, page.Key, error)
	// AcceptMemberInvitation uses the link (on the condition that it is
	// pending and unexpired: ErrUsed or ErrExpired), adds the membership
	// (ErrAlreadyMember if there is one) and, with NewUser, the account and
	// its email (identity.ErrEmailTaken if taken meanwhile), in one write.
	AcceptMemberInvitation(ctx context.Context, a Acceptance) error
}

// Sessions opens the session an acceptance signs in with.
type Sessions interface {
	OpenSession(ctx context.Context, userID, orgID string, until time.Time, viaLink bool) (identity.Session, error)
}

// Errors of the flow.
var (
	ErrUnknown        = apperr.New(apperr.NotFound, "member_invitation_not_found", "This invitation link is not valid.")
	ErrUsed           = apperr.New(apperr.Gone, "member_invitation_used", "This invitation has already been accepted.")
	ErrExpired        = apperr.New(apperr.Gone, "member_invitation_expired", "This invitation has expired; ask the company for a new one.")
	ErrAlreadyMember  = apperr.New(apperr.Conflict, "already_member", "This person is already a member of the company.")
	ErrPasswordNeeded = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_input",
		Message: "enter the password of your account with this email address", Field: "password"}
)

// Service runs the flow.
type Service struct {
	store      Store
	roles      *role.Service
	sessions   Sessions
	clock      clock.Clock
	sealKey    []byte
	limiter    ratelimit.Limiter
	redeem     ratelimit.Limiter
	redeemRule ratelimit.Rule
	signIns    *ratelimit.SignIns
}

// NewService wires the flow. signIns throttles the password checks of
// accepts with an existing account like sign-ins.
func NewService(s Store, roles *role.Service, sessions Sessions, c clock.Clock, sealKey []byte, limiter, redeem ratelimit.Limiter,
	redeemRule ratelimit.Rule, signIns *ratelimit.SignIns) *Service {
	return &Service{store: s, roles: roles, sessions: sessions, clock: c, sealKey: sealKey, limiter: limiter, redeem: redeem,
		redeemRule: redeemRule, signIns: signIns}
}

// Request is the body of POST /v1/orgs/{org}/member-invitations.
type Request struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Language string `json:"language,omitempty"`
}

// Invite sends a member invitation. Only who may manage roles invites, and
// only into a role they could assign.
func (s *Service) Invite(ctx context.Context, p *access.Principal, orgID string, req Request) (Invitation, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return Invitation{}, err
	}
	email, err := guest.NormalizeEmail("email", req.Email)
	if err != nil {
		return Invitation{}, err
	}
	name := strings.TrimSpace(req.Name)
	if name != "" {
		if name, err = guest.CleanName("name", name); err != nil {
			return Invitation{}, err
		}
	}
	if req.Role == "" {
		return Invitation{}, apperr.InvalidField("role", "role is required")
	}
	r, err := s.roles.Resolve(ctx, orgID, req.Role)
	if errors.Is(err, role.ErrNotFound) {
		return Invitation{}, apperr.InvalidField("role", "no such role")
	}
	if err != nil {
		return Invitation{}, err
	}
	if err := access.CanAssign(p, r.ID, r.Privileges); err != nil {
		return Invitation{}, err
	}
	org, err := s.store.Org(ctx, orgID)
	if err != nil {
		return Invitation{}, err
	}
	lang := org.Language
	if req.Language != "" {
		if err := locale.CheckLang("language", req.Language); err != nil {
			return Invitation{}, err
		}
		lang = locale.Lang(req.Language)
	}
	if u, err := s.store.UserByEmail(ctx, email); err == nil {
		if _, err := s.store.Member(ctx, orgID, u.ID); err == nil {
			return Invitation{}, ErrAlreadyMember
		}
	} else if !errors.Is(err, identity.ErrUserNotFound) {
		return Invitation{}, err
	}
	if err := s.limiter.Allow(ctx, SendLimit, p.UserID); err != nil {
		return Invitation{}, err
	}
	tok, err := secret.NewToken()
	if err != nil {
		return Invitation{}, err
	}
	sealed, err := secret.Seal(s.sealKey, tok)
	if err != nil {
		return Invitation{}, err
	}
	now := s.clock.Now()
	inv := Invitation{ID: secret.NewID("minv_"), TokenHash: secret.Hash(tok), OrgID: orgID, OrgName: org.Name, Email: email,
		Name: name, Role: r.ID, RoleName: r.Name, InvitedBy: p.UserID, InviterName: p.Name, State: Pending, CreatedAt: now,
		ExpiresAt: now.Add(TTL), Deliveries: map[outbox.Channel]outbox.Delivery{outbox.Email: {Status: outbox.Queued, UpdatedAt: now}}}
	m := outbox.Message{
		ID: secret.NewID("m_"), Channel: outbox.Email, Kind: outbox.MemberInvite, To: email,
		Data: map[string]string{"name": name, "orgName": org.Name, "inviterName": p.Name, "roleName": r.Name,
			"linkExpiresAt": inv.ExpiresAt.Format(time.RFC3339), outbox.DataLang: string(lang), outbox.DataZone: org.TimeZone},
		SealedToken: sealed, OrgID: orgID, InvitationID: inv.ID,
		Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: now, Actor: p.UserID, Action: audit.MemberInvited, Target: inv.ID,
		Details: map[string]string{"email": email, "role": r.ID}, ActorName: p.Name, TargetName: displayName(inv)}
	if err := s.store.CreateMemberInvitation(ctx, inv, m, e); err != nil {
		return Invitation{}, err
	}
	return inv, nil
}

func displayName(inv Invitation) string {
	if inv.Name != "" {
		return inv.Name
	}
	return inv.Email
}

// List reads a page of the company's member invitations.
func (s *Service) List(ctx context.Context, p *access.Principal, orgID string, pg page.Request) ([]Invitation, page.Key, error) {
	if err := access.Authorize(p, access.ManageRoles, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	return s.store.MemberInvitationsPage(ctx, orgID, pg)
}

// Preview is what the link's page shows before accepting.
type Preview struct {
	OrgName     string    `json:"orgName"`
	InviterName string    `json:"inviterName"`
	RoleName    string    `json:"roleName"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	ExpiresAt   time.Time `json:"expiresAt"`
	// HasAccount: the address has an account, whose password accepts.
	HasAccount bool `json:"hasAccount"`
}

// pending finds the invitation of token, under the per-address redemption
// limit, and says why it can no longer be used.
func (s *Service) pending(ctx context.Context, token, clientKey string) (Invitation, error) {
	if err := s.redeem.Allow(ctx, s.redeemRule, clientKey); err != nil {
		return Invitation{}, err
	}
	if !secret.WellFormed(token) {
		return Invitation{}, ErrUnknown
	}
	inv, err := s.store.MemberInvitation(ctx, secret.Hash(token))
	if err != nil {
		return Invitation{}, err
	}
	if !secret.Matches(token, inv.TokenHash) {
		return Invitation{}, ErrUnknown
	}
	switch {
	case inv.State != Pending:
		return Invitation{}, ErrUsed
	case !s.clock.Now().Before(inv.ExpiresAt):
		return Invitation{}, ErrExpired
	}
	return inv, nil
}

// PreviewLink shows a pending invitation; opening the link uses nothing.
func (s *Service) PreviewLink(ctx context.Context, token, clientKey string) (Preview, error) {
	inv, err := s.pending(ctx, token, clientKey)
	if err != nil {
		return Preview{}, err
	}
	_, err = s.store.UserByEmail(ctx, inv.Email)
	if err != nil && !errors.Is(err, identity.ErrUserNotFound) {
		return Preview{}, err
	}
	return Preview{OrgName: inv.OrgName, InviterName: inv.InviterName, RoleName: inv.RoleName, Email: inv.Email, Name: inv.Name,
		ExpiresAt: inv.ExpiresAt, HasAccount: err == nil}, nil
}

// AcceptRequest is the body of POST /v1/member-invitations/{token}/accept:
// the password of the existing account, or the name and new password of the
// account to create.
type AcceptRequest struct {
	Password string `json:"password"`
	Name     string `json:"name,omitempty"`
}

// Accept makes the invited person a member and signs them in acting in the
// company.
func (s *Service) Accept(ctx context.Context, token, clientKey string, req AcceptRequest) (identity.Session, error) {
	inv, err := s.pending(ctx, token, clientKey)
	if err != nil {
		return identity.Session{}, err
	}
	now := s.clock.Now()
	a := Acceptance{Invitation: inv, At: now}
	u, err := s.store.UserByEmail(ctx, inv.Email)
	switch {
	case err == nil:
		if req.Password == "" {
			return identity.Session{}, ErrPasswordNeeded
		}
		err = s.signIns.Attempt(ctx, inv.Email, clientKey, func(context.Context) error {
			if !u.HasPassword() {
				password.Burn(req.Password)
				return identity.ErrBadCredentials
			}
			if password.Verify(req.Password, u.PasswordHash) != nil {
				return identity.ErrBadCredentials
			}
			return nil
		})
		if err != nil {
			return identity.Session{}, err
		}
	case errors.Is(err, identity.ErrUserNotFound):
		name := strings.TrimSpace(req.Name)
		if name == "" {
			name = inv.Name
		}
		if name == "" {
			return identity.Session{}, apperr.InvalidField("name", "your name is required")
		}
		if name, err = guest.CleanName("name", name); err != nil {
			return identity.Session{}, err
		}
		if msg := password.Check(req.Password); msg != "" {
			return identity.Session{}, apperr.InvalidField("password", msg)
		}
		hash, err := password.Hash(req.Password)
		if err != nil {
			return identity.Session{}, err
		}
		u = identity.User{ID: secret.NewID("u_"), Email: inv.Email, Name: name, PasswordHash: hash, CreatedAt: now}
		a.NewUser = &u
	default:
		return identity.Session{}, err
	}
	a.Member = identity.Member{OrgID: inv.OrgID, OrgName: inv.OrgName, UserID: u.ID, Email: u.Email, Name: u.Name, Role: inv.Role}
	a.Audit = audit.Entry{ID: secret.NewID("a_"), OrgID: inv.OrgID, At: now, Actor: u.ID, Action: audit.MemberJoined, Target: u.ID,
		Details:   map[string]string{"role": inv.Role, "invitation": inv.ID, "newAccount": boolText(a.NewUser != nil)},
		ActorName: u.Name, TargetName: u.Name}
	if err := s.store.AcceptMemberInvitation(ctx, a); err != nil {
		return identity.Session{}, err
	}
	return s.sessions.OpenSession(ctx, u.ID, inv.OrgID, now.Add(identity.SessionTTL), false)
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
