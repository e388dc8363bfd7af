// Package invite runs the guest-account flows: invite a guest onto a case,
// preview and accept or decline the link, extend, end and re-invite. It decides
// what to write; the store writes each flow as one transaction.
package invite

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/password"
	"github.com/guestbridge/guestbridge/shared/phone"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/role"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Store is the storage the flows need.
type Store interface {
	Org(ctx context.Context, id string) (identity.Org, error)
	Member(ctx context.Context, orgID, userID string) (identity.Member, error)
	Case(ctx context.Context, orgID, caseID string) (casefile.Case, error)
	UserByEmail(ctx context.Context, email string) (identity.User, error)
	User(ctx context.Context, id string) (identity.User, error)
	Guest(ctx context.Context, orgID, guestID string) (guest.Guest, error)
	Guests(ctx context.Context, orgID string) ([]guest.Guest, error)
	// GuestsPage reads one page of a company's guests, of one status if set.
	GuestsPage(ctx context.Context, orgID string, status guest.Status, now time.Time, pg page.Request) ([]guest.Guest, page.Key, error)
	// GuestByEmail finds a company's guest by email (guest.ErrNotFound if none).
	GuestByEmail(ctx context.Context, orgID, email string) (guest.Guest, error)
	Invitation(ctx context.Context, tokenHash string) (guest.Invitation, error)

	// InviteLookup reads the company, the case (if caseID is set) and the
	// account with email (zero if none) in one go.
	InviteLookup(ctx context.Context, orgID, caseID, email string) (Lookup, error)
	CreateGuest(ctx context.Context, w NewGuest) error
	Reinvite(ctx context.Context, w Reinvitation) error
	Accept(ctx context.Context, w Acceptance) error
	Decline(ctx context.Context, link guest.Invitation, at time.Time, entry audit.Entry) error
	End(ctx context.Context, g guest.Guest, at time.Time, reason string, entry audit.Entry) error
	UpdateGuest(ctx context.Context, prev, next guest.Guest, entry audit.Entry) error

	// For guests of the company.
	Role(ctx context.Context, orgID, roleID string) (role.Role, error)
	Group(ctx context.Context, orgID, id string) (device.Group, error)
	Device(ctx context.Context, orgID, id string) (device.Device, error)
	CompanyInvitations(ctx context.Context, email string) ([]guest.Guest, error)
	AcceptAsUser(ctx context.Context, g guest.Guest, userID, grantID string, at time.Time, entry audit.Entry) error
	DeclineGuest(ctx context.Context, g guest.Guest, at time.Time, entry audit.Entry) error
}

// Lookup is what an invitation reads before it writes.
type Lookup struct {
	Org     identity.Org
	Case    *casefile.Case // nil when not asked for or not found
	Account identity.User  // zero when the email has no account
}

// NewGuest is everything an invitation writes at once.
type NewGuest struct {
	Guest    guest.Guest
	NewCase  *casefile.Case
	Links    []guest.Invitation
	Messages []outbox.Message
	Audit    []audit.Entry
}

// Reinvitation replaces a deactivated guest's period and links.
type Reinvitation struct {
	Previous guest.Guest // as read, for the optimistic check
	Guest    guest.Guest
	Links    []guest.Invitation
	Messages []outbox.Message
	Audit    audit.Entry
}

// Acceptance is everything accepting a link writes at once.
type Acceptance struct {
	Link guest.Invitation
	// Profile is the guest as read: the grant takes its switch, period, cases,
	// role and scope, and the write is conditional on it being unchanged.
	Profile *guest.Guest
	At      time.Time
	GrantID string
	// NewUser is set when the guest has no account yet.
	NewUser *identity.User
	// PasswordHash is set when an existing account without a password gets
	// one; the account's token version is raised with it.
	PasswordHash string
	// Reclaim is an account that holds the email unverified; the mailbox's
	// owner, proven by this email link, takes the address from it: it is
	// detached from the address and its sessions are revoked.
	Reclaim      *identity.User
	ReclaimAudit audit.Entry
	UserID       string
	Welcome      outbox.Message
	Audit        audit.Entry
}

// Errors the store reports for accept races.
var (
	// ErrGuestChanged: the guest was ended or re-invited since the link was sent.
	ErrGuestChanged = errors.New("invite: guest changed since the link was sent")
	// ErrEmailTaken: an account with the email appeared since the invitation.
	ErrEmailTaken = errors.New("invite: email registered meanwhile")
)

// Config tunes the flows.
type Config struct {
	DefaultMaxGuestDays int
	// Quotas bound invitations and SMS per inviter and company; zero fields
	// take ratelimit.DefaultQuotas.
	Quotas ratelimit.Quotas
	// SMSCountries are where invitations may be texted; nil means
	// phone.DefaultCountries.
	SMSCountries phone.Countries
	// RedeemLimit bounds link redemptions per client address; zero means
	// ratelimit.RedeemPerIP.
	RedeemLimit ratelimit.Rule
}

// Disconnecter removes an ended guest's seats in live sessions, telling the
// relay why (account_ended, account_inactive or expired).
type Disconnecter func(ctx context.Context, orgID, email, reason string) error

// Service runs the flows.
type Service struct {
	disconnect Disconnecter
	store      Store
	clock      clock.Clock
	ids        *identity.Service
	sealKey    []byte
	limiter    ratelimit.Durable
	redeemRL   ratelimit.Limiter
	// signIns throttles the password checks of accepts like sign-ins: a
	// link to an existing account must be no password oracle.
	signIns *ratelimit.SignIns
	cfg     Config
}

// NewService wires the flows. limiter holds limits that must hold across
// instances (invites, SMS); redeem limits link redemption.
func NewService(s Store, c clock.Clock, ids *identity.Service, sealKey []byte, limiter ratelimit.Durable, redeem ratelimit.Limiter, cfg Config) *Service {
	if cfg.DefaultMaxGuestDays <= 0 {
		cfg.DefaultMaxGuestDays = 365
	}
	if cfg.RedeemLimit.Limit == 0 {
		cfg.RedeemLimit = ratelimit.RedeemPerIP
	}
	cfg.Quotas = cfg.Quotas.WithDefaults()
	if cfg.SMSCountries == nil {
		cfg.SMSCountries = phone.DefaultCountries
	}
	return &Service{store: s, clock: c, ids: ids, sealKey: sealKey, limiter: limiter, redeemRL: redeem, cfg: cfg}
}

// ThrottlePasswords makes the accept of a link to an existing account count
// its password failures in t, the sign-in's throttle, per (email, address).
func (s *Service) ThrottlePasswords(t *ratelimit.SignIns) { s.signIns = t }

// OnGuestEnded sets what ending a guest does to their live session seats.
func (s *Service) OnGuestEnded(d Disconnecter) { s.disconnect = d }

// InviteRequest is the body of POST /v1/orgs/{org}/guests.
type InviteRequest struct {
	Email    string               `json:"email"`
	Phone    string               `json:"phone,omitempty"`
	Name     string               `json:"name"`
	Channels []outbox.Channel     `json:"channels,omitempty"`
	CaseID   string               `json:"caseId,omitempty"`
	NewCase  *NewCaseRequest      `json:"newCase,omitempty"`
	Period   *guest.PeriodRequest `json:"period,omitempty"`
	// A guest of the company (seed 001) is invited with a role, a workspace
	// scope, privileges and an Active switch instead of a case.
	RoleID     string             `json:"roleId,omitempty"`
	Workspace  *access.Workspace  `json:"workspace,omitempty"`
	Privileges []access.Privilege `json:"privileges,omitempty"`
	Active     *bool              `json:"active,omitempty"`
	// Language of the guest's emails and SMS, "de" or "en"; the company's
	// language when left out. It is kept with the guest for every later
	// message.
	Language string `json:"language,omitempty"`
}

func (r InviteRequest) company() bool {
	return r.RoleID != "" || r.Workspace != nil || r.Privileges != nil || r.Active != nil
}

// NewCaseRequest creates a case in the same request as the invitation.
type NewCaseRequest struct {
	Title string `json:"title"`
}

func (s *Service) maxDays(org identity.Org) int {
	if org.MaxGuestDays > 0 {
		return org.MaxGuestDays
	}
	return s.cfg.DefaultMaxGuestDays
}

// Invite invites a guest onto an existing or a new case and queues the links.
func (s *Service) Invite(ctx context.Context, p *access.Principal, orgID string, req InviteRequest) (View, error) {
	if err := access.Authorize(p, access.ManageGuests, access.Resource{OrgID: orgID}); err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	email, err := guest.NormalizeEmail("email", req.Email)
	if err != nil {
		return View{}, err
	}
	name, err := guest.CleanName("name", req.Name)
	if err != nil {
		return View{}, err
	}
	phone := strings.TrimSpace(req.Phone)
	if phone != "" {
		if err := guest.CheckPhone("phone", phone); err != nil {
			return View{}, err
		}
		if err := s.cfg.SMSCountries.Check("phone", phone); err != nil {
			return View{}, err
		}
	}
	channels := req.Channels
	if len(channels) == 0 {
		channels = []outbox.Channel{outbox.Email}
		if phone != "" {
			channels = append(channels, outbox.SMS)
		}
	}
	if err := guest.CheckChannels(channels, phone != ""); err != nil {
		return View{}, err
	}
	if err := locale.CheckLang("language", req.Language); err != nil {
		return View{}, err
	}
	if req.company() {
		return s.inviteCompanyGuest(ctx, p, orgID, req, email, name)
	}
	if (req.CaseID == "") == (req.NewCase == nil) {
		return View{}, apperr.InvalidField("caseId", "give either caseId or newCase")
	}
	var newCase *casefile.Case
	if req.NewCase != nil {
		title, err := casefile.CleanTitle("newCase.title", req.NewCase.Title)
		if err != nil {
			return View{}, err
		}
		newCase = &casefile.Case{ID: secret.NewID("c_"), OrgID: orgID, Title: title, CreatedBy: p.UserID, CreatedAt: now}
	}
	look, err := s.store.InviteLookup(ctx, orgID, req.CaseID, email)
	if err != nil {
		return View{}, err
	}
	org, acct := look.Org, look.Account
	validUntil, err := req.Period.Resolve("period", now, s.maxDays(org), org.Zone())
	if err != nil {
		return View{}, err
	}
	c := newCase
	if c == nil {
		if look.Case == nil {
			return View{}, apperr.InvalidField("caseId", "no such case in this company")
		}
		c = look.Case
	}
	if err := s.notYetAGuest(ctx, orgID, email); err != nil {
		return View{}, err
	}
	if err := s.charge(ctx, p, orgID, phone, channels); err != nil {
		return View{}, err
	}
	inviter := s.inviterName(p)

	g := guest.Guest{
		ID: secret.NewID("g_"), OrgID: orgID, OrgName: org.Name, Email: email, Name: name, Phone: phone,
		Channels: channels, Kind: access.CaseGuest, CaseIDs: []string{c.ID}, ValidUntil: validUntil, Active: true,
		InvitedBy: p.UserID, CreatedAt: now, UpdatedAt: now, Language: locale.Lang(req.Language).Or(org.Lang()),
	}
	w := NewGuest{Guest: g, NewCase: newCase}
	if newCase != nil {
		w.Audit = append(w.Audit, s.entry(p, audit.CaseCreated, newCase.ID, map[string]string{"title": newCase.Title}).Naming(newCase.Title))
	}
	links, msgs, err := s.links(&w.Guest, org, inviter, nil, []casefile.Case{*c}, acct, now)
	if err != nil {
		return View{}, err
	}
	w.Links, w.Messages = links, msgs
	w.Audit = append(w.Audit, s.entry(p, audit.GuestInvited, g.ID, map[string]string{
		"email": email, "caseId": c.ID, "validUntil": validUntil.Format(time.RFC3339), "channels": joinChannels(channels),
	}).Naming(g.Name))
	if err := s.store.CreateGuest(ctx, w); err != nil {
		return View{}, err
	}
	return ViewOf(w.Guest, now), nil
}

// links makes one link per channel for g's current invitation, and the
// messages that carry them, and records the invitation on g. scope says what
// a company guest gets (nil for a case guest). The messages are written in
// the guest's language and show times in the company's zone.
func (s *Service) links(g *guest.Guest, org identity.Org, inviter string, scope *scopeText, cases []casefile.Case, acct identity.User, now time.Time) ([]guest.Invitation, []outbox.Message, error) {
	orgName, roleName := org.Name, ""
	if scope != nil {
		roleName = scope.roleName
	}
	g.InvitationID = secret.NewID("i_")
	g.InvitedAt = now
	g.Deliveries = map[outbox.Channel]outbox.Delivery{}
	ids, titles := make([]string, len(cases)), make([]string, len(cases))
	for i, c := range cases {
		ids[i], titles[i] = c.ID, c.Title
	}
	var links []guest.Invitation
	var msgs []outbox.Message
	if g.MailBlocked() && !contains(g.Channels, outbox.SMS) {
		return nil, nil, ErrEmailBlocked
	}
	for _, ch := range g.Channels {
		if ch == outbox.Email && g.MailBlocked() {
			// The other channels still go out; the guest list says why
			// this one did not.
			g.Deliveries[ch] = outbox.Delivery{Status: outbox.Suppressed, Reason: "not sent: " + g.EmailBlockedReason, UpdatedAt: now}
			continue
		}
		tok, err := secret.NewToken()
		if err != nil {
			return nil, nil, err
		}
		sealed, err := secret.Seal(s.sealKey, tok)
		if err != nil {
			return nil, nil, err
		}
		exp := guest.LinkExpiry(ch, now, g.ValidUntil)
		links = append(links, guest.Invitation{
			TokenHash: secret.Hash(tok), InvitationID: g.InvitationID, OrgID: g.OrgID, GuestID: g.ID,
			Channel: ch, Email: g.Email, Name: g.Name, ExpiresAt: exp, ValidUntil: g.ValidUntil,
			State: guest.LinkPending, CreatedAt: now, OrgName: orgName, InviterName: inviter,
			CaseIDs: ids, CaseTitles: titles, UserID: acct.ID, HasPassword: acct.HasPassword(),
			Kind: g.Kind, RoleName: roleName,
		})
		to := g.Email
		if ch == outbox.SMS {
			to = g.Phone
		}
		msgs = append(msgs, outbox.Message{
			ID: secret.NewID("m_"), Channel: ch, Kind: outbox.GuestInvite, To: to,
			Data: outbox.Localized(scope.data(map[string]string{
				"guestName": g.Name, "orgName": orgName, "inviterName": inviter,
				"caseTitles": strings.Join(titles, ", "), "validUntil": g.ValidUntil.Format(time.RFC3339),
				"linkExpiresAt": exp.Format(time.RFC3339), "roleName": roleName, "kind": string(g.Kind),
			}), g.Language.Or(org.Lang()), org.ZoneName()),
			SealedToken: sealed, OrgID: g.OrgID, GuestID: g.ID, InvitationID: g.InvitationID,
			Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
		g.Deliveries[ch] = outbox.Delivery{Status: outbox.Queued, UpdatedAt: now}
	}
	return links, msgs, nil
}

func (s *Service) inviterName(p *access.Principal) string {
	if p.Name == "" {
		return "Your contact"
	}
	return p.Name
}

func (s *Service) entry(p *access.Principal, action, target string, details map[string]string) audit.Entry {
	return audit.Entry{ID: secret.NewID("a_"), OrgID: p.OrgID, At: s.clock.Now(), Actor: p.UserID, Action: action, Target: target, Details: details,
		ActorName: p.Name}
}

// List returns the organisation's guests, optionally only those in one status.
func (s *Service) List(ctx context.Context, p *access.Principal, orgID, status string, pg page.Request) ([]View, page.Key, error) {
	if err := access.Authorize(p, access.ManageGuests, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	switch guest.Status(status) {
	case "", guest.Pending, guest.Active, guest.Inactive, guest.Deactivated:
	default:
		return nil, nil, apperr.InvalidField("status", "status must be active, pending, inactive or deactivated")
	}
	now := s.clock.Now()
	gs, next, err := s.store.GuestsPage(ctx, orgID, guest.Status(status), now, pg)
	if err != nil {
		return nil, nil, err
	}
	out := make([]View, 0, len(gs))
	for _, g := range gs {
		out = append(out, ViewOf(g, now))
	}
	return out, next, nil
}

// Get returns one guest.
func (s *Service) Get(ctx context.Context, p *access.Principal, orgID, guestID string) (View, error) {
	g, err := s.managed(ctx, p, orgID, guestID)
	if err != nil {
		return View{}, err
	}
	return ViewOf(g, s.clock.Now()), nil
}

func (s *Service) managed(ctx context.Context, p *access.Principal, orgID, guestID string) (guest.Guest, error) {
	if err := access.Authorize(p, access.ManageGuests, access.Resource{OrgID: orgID}); err != nil {
		return guest.Guest{}, err
	}
	return s.store.Guest(ctx, orgID, guestID)
}

// PatchRequest changes a guest: the period for any guest; the Active switch,
// role, scope and privileges for a guest of the company.
type PatchRequest struct {
	Period     *guest.PeriodRequest `json:"period,omitempty"`
	Active     *bool                `json:"active,omitempty"`
	RoleID     *string              `json:"roleId,omitempty"`
	Workspace  *access.Workspace    `json:"workspace,omitempty"`
	Privileges *[]access.Privilege  `json:"privileges,omitempty"`
}

// Patch changes a guest who is not deactivated; the grant (and its TTL) moves
// with the profile in the same transaction, so the change applies on the
// guest's next request.
func (s *Service) Patch(ctx context.Context, p *access.Principal, orgID, guestID string, req PatchRequest) (View, error) {
	g, err := s.managed(ctx, p, orgID, guestID)
	if err != nil {
		return View{}, err
	}
	if req.Period == nil && req.Active == nil && req.RoleID == nil && req.Workspace == nil && req.Privileges == nil {
		return View{}, apperr.InvalidField("body", "nothing to change: give period, active, roleId, workspace or privileges")
	}
	if !g.IsCompanyGuest() && (req.RoleID != nil || req.Workspace != nil || req.Privileges != nil) {
		return View{}, apperr.InvalidField("roleId", "a guest on cases has no role or workspace")
	}
	now := s.clock.Now()
	if g.StatusAt(now) == guest.Deactivated {
		return View{}, guest.ErrDeactivated
	}
	next := g
	next.UpdatedAt = now
	details := map[string]string{}
	if req.Period != nil {
		org, err := s.store.Org(ctx, orgID)
		if err != nil {
			return View{}, err
		}
		if next.ValidUntil, err = req.Period.Resolve("period", now, s.maxDays(org), org.Zone()); err != nil {
			return View{}, err
		}
		details["from"], details["to"] = g.ValidUntil.Format(time.RFC3339), next.ValidUntil.Format(time.RFC3339)
	}
	if req.Active != nil {
		next.Active = *req.Active
		details["active"] = strconv.FormatBool(next.Active)
	}
	if req.RoleID != nil || req.Workspace != nil || req.Privileges != nil {
		if req.RoleID != nil {
			next.RoleID = *req.RoleID
		}
		if req.Workspace != nil {
			next.Workspace = *req.Workspace
		}
		if req.Privileges != nil {
			next.Privileges = *req.Privileges
		}
		if _, err := s.checkScope(ctx, p, orgID, next.RoleID, &next.Workspace, next.Privileges); err != nil {
			return View{}, err
		}
		details["roleId"], details["mode"] = next.RoleID, string(next.Workspace.Mode)
	}
	scoped := req.RoleID != nil || req.Workspace != nil || req.Privileges != nil
	if next.IsCompanyGuest() && !scoped && ((next.Active && !g.Active) || next.ValidUntil.After(g.ValidUntil)) {
		// Switching back on or lengthening gives the scope again, as a
		// re-invitation does: the caller must hold what it gives.
		if err := s.canGiveScope(ctx, p, orgID, next); err != nil {
			return View{}, err
		}
	}
	action := audit.GuestExtended
	if req.Period == nil {
		action = "guest.changed"
	}
	if err := s.store.UpdateGuest(ctx, g, next, s.entry(p, action, g.ID, details).Naming(g.Name)); err != nil {
		return View{}, err
	}
	if g.Active && !next.Active && s.disconnect != nil {
		// Switched off is as good as ended for a live seat: the relay drops
		// it now, not when the guest next calls the API.
		if err := s.disconnect(ctx, orgID, g.Email, "account_inactive"); err != nil {
			return View{}, apperr.Wrap(err, "disconnect switched-off guest")
		}
	}
	return ViewOf(next, now), nil
}

// End deactivates a guest at once ("End guest account").
func (s *Service) End(ctx context.Context, p *access.Principal, orgID, guestID string) (View, error) {
	g, err := s.managed(ctx, p, orgID, guestID)
	if err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	if g.StatusAt(now) == guest.Deactivated {
		return View{}, guest.ErrDeactivated
	}
	if err := s.store.End(ctx, g, now, guest.EndedByHand, s.entry(p, audit.GuestEnded, g.ID, nil).Naming(g.Name)); err != nil {
		return View{}, err
	}
	if s.disconnect != nil {
		// The account is ended either way; a seat the relay could not be told
		// of is refused on its next join and logged for the operator.
		if err := s.disconnect(ctx, orgID, g.Email, "account_ended"); err != nil {
			return View{}, apperr.Wrap(err, "disconnect ended guest")
		}
	}
	g.Active, g.EndedAt, g.EndReason, g.UpdatedAt = false, now, guest.EndedByHand, now
	return ViewOf(g, now), nil
}

// ReinviteRequest gives a re-invited guest a new period.
type ReinviteRequest struct {
	Period *guest.PeriodRequest `json:"period"`
	// Email, when given and different, moves the guest to a new address
	// (one that bounced is the usual reason); left out, it stays.
	Email *string `json:"email,omitempty"`
	// Language, "de" or "en", replaces the guest's; left out, it stays.
	Language *string `json:"language,omitempty"`
}

// Reinvite sends a deactivated guest a new invitation from their stored data.
func (s *Service) Reinvite(ctx context.Context, p *access.Principal, orgID, guestID string, req ReinviteRequest) (View, error) {
	g, err := s.managed(ctx, p, orgID, guestID)
	if err != nil {
		return View{}, err
	}
	now := s.clock.Now()
	if g.StatusAt(now) != guest.Deactivated {
		return View{}, guest.ErrNotEnded
	}
	if req.Language != nil {
		if err := locale.CheckLang("language", *req.Language); err != nil || *req.Language == "" {
			return View{}, apperr.InvalidField("language", `language must be "de" or "en"`)
		}
	}
	email := g.Email
	if req.Email != nil {
		if email, err = guest.NormalizeEmail("email", *req.Email); err != nil {
			return View{}, err
		}
		if email != g.Email {
			if err := s.notYetAGuest(ctx, orgID, email); err != nil {
				return View{}, err
			}
		}
	}
	org, err := s.store.Org(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	until, err := req.Period.Resolve("period", now, s.maxDays(org), org.Zone())
	if err != nil {
		return View{}, err
	}
	var scope *scopeText
	if g.IsCompanyGuest() {
		// The stored role, scope and privileges were checked against the
		// first inviter; whoever re-invites must be able to give them too, and
		// groups, devices or the role may have gone since.
		ws := g.Workspace
		roleName, err := s.checkScope(ctx, p, orgID, g.RoleID, &ws, g.Privileges)
		if err != nil {
			return View{}, err
		}
		if scope, err = s.describeScope(ctx, orgID, g.RoleID, roleName, ws); err != nil {
			return View{}, err
		}
	}
	if g.Phone != "" && contains(g.Channels, outbox.SMS) {
		if err := s.cfg.SMSCountries.Check("phone", g.Phone); err != nil {
			return View{}, err
		}
	}
	var cases []casefile.Case
	for _, id := range g.CaseIDs {
		c, err := s.store.Case(ctx, orgID, id)
		if err != nil {
			return View{}, err
		}
		cases = append(cases, c)
	}
	acct := identity.User{ID: g.UserID}
	if g.UserID != "" && email == g.Email {
		if acct, err = s.store.User(ctx, g.UserID); err != nil {
			return View{}, err
		}
	} else if acct, err = s.verifiedAccount(ctx, email); err != nil {
		return View{}, err
	}
	next := g
	if email != g.Email {
		// A new address is a new person as far as accounts go: whoever
		// accepted before keeps their account, the new address accepts
		// afresh. The block was the old address's, so it goes with it.
		next.Email, next.UserID = email, ""
		next.EmailBlocked, next.EmailBlockedReason, next.EmailBlockedAt = "", "", time.Time{}
	}
	next.OrgName = org.Name
	next.ValidUntil, next.Active, next.Validated = until, true, false
	if req.Language != nil {
		next.Language = locale.Lang(*req.Language)
	}
	next.EndedAt, next.EndReason, next.GrantID, next.ReminderFor = time.Time{}, "", "", time.Time{}
	if next.IsCompanyGuest() {
		// The account stays the person's; they accept again under "Companies".
		next.UserID = ""
	}
	next.UpdatedAt = now
	if next.MailBlocked() && !contains(next.Channels, outbox.SMS) {
		return View{}, ErrEmailBlocked
	}
	if err := s.charge(ctx, p, orgID, g.Phone, g.Channels); err != nil {
		return View{}, err
	}
	links, msgs, err := s.links(&next, org, s.inviterName(p), scope, cases, acct, now)
	if err != nil {
		return View{}, err
	}
	details := map[string]string{"validUntil": until.Format(time.RFC3339)}
	if next.Email != g.Email {
		details["emailFrom"], details["emailTo"] = g.Email, next.Email
	}
	w := Reinvitation{Previous: g, Guest: next, Links: links, Messages: msgs,
		Audit: s.entry(p, audit.GuestReinvited, g.ID, details).Naming(g.Name)}
	if err := s.store.Reinvite(ctx, w); err != nil {
		return View{}, err
	}
	return ViewOf(next, now), nil
}

// ErrEmailBlocked refuses an invitation that could only go to an address
// that bounced for good or whose owner reported the mail as spam.
var ErrEmailBlocked = &apperr.Error{Kind: apperr.Conflict, Code: "email_blocked", Field: "email",
	Message: "Mail to this address bounced or was reported as spam, so it is not sent again. Change the guest's email address or invite by SMS."}

func contains(chs []outbox.Channel, c outbox.Channel) bool {
	for _, x := range chs {
		if x == c {
			return true
		}
	}
	return false
}

func joinChannels(chs []outbox.Channel) string {
	s := make([]string, len(chs))
	for i, c := range chs {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}

// notYetAGuest refuses, before anything is charged, an invitation of an
// email the company already has a guest with: the write would refuse it.
func (s *Service) notYetAGuest(ctx context.Context, orgID, email string) error {
	_, err := s.store.GuestByEmail(ctx, orgID, email)
	switch {
	case err == nil:
		return guest.ErrExists
	case errors.Is(err, guest.ErrNotFound):
		return nil
	}
	return err
}

// verifiedAccount returns the account that owns email, or a zero User when
// none does; an account holding the address unverified owns nothing.
func (s *Service) verifiedAccount(ctx context.Context, email string) (identity.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, identity.ErrUserNotFound) || (err == nil && u.EmailUnverified) {
		return identity.User{}, nil
	}
	return u, err
}

// checkNewPassword returns the hash of a chosen password.
func checkNewPassword(pw string) (string, error) {
	if msg := password.Check(pw); msg != "" {
		return "", apperr.InvalidField("password", msg)
	}
	return password.Hash(pw)
}
