package invite

import (
	"context"
	"errors"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/password"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Preview is what opening a link shows. Reading it never uses the link up:
// mail scanners and chat previews fetch links too.
type Preview struct {
	OrgName       string           `json:"orgName"`
	InviterName   string           `json:"inviterName"`
	GuestName     string           `json:"guestName"`
	Email         string           `json:"email"`
	Kind          access.GuestKind `json:"kind"`
	RoleName      string           `json:"roleName,omitempty"`
	CaseTitles    []string         `json:"caseTitles"`
	ValidUntil    time.Time        `json:"validUntil"`
	LinkExpiresAt time.Time        `json:"linkExpiresAt"`
	Channel       outbox.Channel   `json:"channel"`
	// AccountExists tells the link's holder to confirm with their current
	// password; PasswordRequired whether a password must be given at all.
	AccountExists    bool `json:"accountExists"`
	PasswordRequired bool `json:"passwordRequired"`
}

func (s *Service) link(ctx context.Context, token, clientKey string) (guest.Invitation, error) {
	if err := s.redeemRL.Allow(ctx, s.cfg.RedeemLimit, clientKey); err != nil {
		return guest.Invitation{}, err
	}
	if !secret.WellFormed(token) {
		return guest.Invitation{}, guest.ErrLinkUnknown
	}
	inv, err := s.store.Invitation(ctx, secret.Hash(token))
	if err != nil {
		return guest.Invitation{}, err
	}
	// The store looked the link up by hash; compare again in constant time so
	// the match never depends on a variable-time comparison.
	if !secret.Matches(token, inv.TokenHash) {
		return guest.Invitation{}, guest.ErrLinkUnknown
	}
	return inv, nil
}

// PreviewLink shows what a link offers, or why it no longer works.
func (s *Service) PreviewLink(ctx context.Context, token, clientKey string) (Preview, error) {
	inv, err := s.link(ctx, token, clientKey)
	if err != nil {
		return Preview{}, err
	}
	now := s.clock.Now()
	if err := inv.Usable(now); err != nil {
		return Preview{}, err
	}
	g, err := s.store.Guest(ctx, inv.OrgID, inv.GuestID)
	if err != nil {
		return Preview{}, err
	}
	if err := linkStanding(g, inv, now); err != nil {
		return Preview{}, err
	}
	kind := inv.Kind
	if kind == "" {
		kind = access.CaseGuest
	}
	return Preview{
		Kind: kind, RoleName: inv.RoleName,
		OrgName: inv.OrgName, InviterName: inv.InviterName, GuestName: inv.Name, Email: inv.Email,
		CaseTitles: inv.CaseTitles, ValidUntil: inv.ValidUntil, LinkExpiresAt: inv.ExpiresAt, Channel: inv.Channel,
		AccountExists: inv.HasPassword, PasswordRequired: inv.Channel == outbox.Email || inv.HasPassword,
	}, nil
}

// linkStanding says why a pending link of g can no longer be used: the guest
// moved on to a newer invitation, was ended, or accepted another way.
func linkStanding(g guest.Guest, inv guest.Invitation, now time.Time) error {
	switch {
	case g.InvitationID != inv.InvitationID || g.StatusAt(now) == guest.Deactivated:
		return guest.ErrLinkExpired
	case g.Validated:
		return guest.ErrLinkUsed
	}
	return nil
}

// AcceptRequest is the body of POST /v1/invitations/{token}/accept.
type AcceptRequest struct {
	Password string `json:"password,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Accepted is the answer to an accept: a session and the guest.
type Accepted struct {
	identity.Session
	Guest View `json:"guest"`
}

// Accept consumes a link and sets up the guest's access in one transaction:
// the link is used, the account is created or linked, the guest is validated,
// the grant is made, one welcome message is queued and the audit written. The
// transaction's condition on the link makes concurrent accepts of one link
// succeed exactly once.
//
// An email link needs a password: a new one for a new account, the current one
// for an existing account. An SMS link may be accepted without a password: the
// guest is let in for what is left of the link's 24 hours and can set a
// password from inside that session.
func (s *Service) Accept(ctx context.Context, token, clientKey string, req AcceptRequest) (Accepted, error) {
	inv, err := s.link(ctx, token, clientKey)
	if err != nil {
		return Accepted{}, err
	}
	now := s.clock.Now()
	if err := inv.Usable(now); err != nil {
		return Accepted{}, err
	}
	a := Acceptance{Link: inv, At: now, GrantID: secret.NewID("gr_")}
	if inv.Kind == access.CompanyGuest {
		// The grant carries the role and scope as they are now, which the
		// admin may have changed since the link was sent.
		g, err := s.store.Guest(ctx, inv.OrgID, inv.GuestID)
		if err != nil {
			return Accepted{}, err
		}
		if err := linkStanding(g, inv, now); err != nil {
			return Accepted{}, err
		}
		a.Profile = &g
	}
	user := identity.User{ID: inv.UserID, Email: inv.Email, Name: inv.Name}
	if req.Name != "" {
		if user.Name, err = guest.CleanName("name", req.Name); err != nil {
			return Accepted{}, err
		}
	}
	switch {
	case inv.UserID == "":
		// A new account for the invited email.
		user.ID, user.CreatedAt = secret.NewID("u_"), now
		if req.Password != "" || inv.Channel == outbox.Email {
			if user.PasswordHash, err = checkNewPassword(req.Password); err != nil {
				return Accepted{}, err
			}
		}
		a.NewUser = &user
	case inv.HasPassword:
		// An existing account with a password: the email link must be confirmed
		// with it; the SMS link proves the phone and may go without.
		if req.Password != "" || inv.Channel == outbox.Email {
			existing, err := s.store.User(ctx, inv.UserID)
			if err != nil {
				return Accepted{}, err
			}
			if password.Verify(req.Password, existing.PasswordHash) != nil {
				return Accepted{}, guest.ErrWrongPass
			}
			user = existing
		}
	default:
		// An existing account without a password may set one now.
		if req.Password != "" || inv.Channel == outbox.Email {
			if a.PasswordHash, err = checkNewPassword(req.Password); err != nil {
				return Accepted{}, err
			}
		}
	}
	a.UserID = user.ID
	a.Welcome = outbox.Message{
		ID: secret.NewID("m_"), Channel: outbox.Email, Kind: outbox.GuestWelcome, To: inv.Email,
		Data: map[string]string{
			"guestName": user.Name, "orgName": inv.OrgName, "inviterName": inv.InviterName,
			"validUntil": inv.ValidUntil.Format(time.RFC3339),
		},
		OrgID: inv.OrgID, GuestID: inv.GuestID, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	a.Audit = audit.Entry{ID: secret.NewID("a_"), OrgID: inv.OrgID, At: now, Actor: user.ID, Action: audit.GuestAccepted,
		Target: inv.GuestID, Details: map[string]string{"channel": string(inv.Channel)}}

	err = s.store.Accept(ctx, a)
	if errors.Is(err, ErrEmailTaken) {
		// Someone registered this email between invitation and accept: the link
		// still proves the mailbox, but the existing account's password rules.
		return Accepted{}, apperr.New(apperr.Conflict, "account_exists", "An account with this email exists now; open the link again and sign in with its password.")
	}
	if errors.Is(err, ErrGuestChanged) {
		g, gerr := s.store.Guest(ctx, inv.OrgID, inv.GuestID)
		if gerr != nil {
			return Accepted{}, gerr
		}
		if serr := linkStanding(g, inv, now); serr != nil {
			return Accepted{}, serr
		}
		return Accepted{}, guest.ErrLinkExpired
	}
	if err != nil {
		return Accepted{}, err
	}

	until := now.Add(identity.SessionTTL)
	viaLink := req.Password == "" && inv.Channel == outbox.SMS
	if viaLink {
		until = inv.ExpiresAt
	}
	kind := inv.Kind
	if kind == "" {
		kind = access.CaseGuest
	}
	m := identity.GuestMembership(inv.OrgID, inv.OrgName, inv.GuestID, a.GrantID, kind, inv.ValidUntil)
	if user.PasswordHash == "" && a.PasswordHash != "" {
		user.PasswordHash = a.PasswordHash
	}
	sess, err := s.ids.SessionFor(user, m, until, viaLink)
	if err != nil {
		return Accepted{}, err
	}
	g := guest.Guest{
		ID: inv.GuestID, OrgID: inv.OrgID, OrgName: inv.OrgName, UserID: user.ID, Email: inv.Email, Name: user.Name,
		Kind: kind, CaseIDs: inv.CaseIDs, ValidUntil: inv.ValidUntil, Active: true, Validated: true, InvitationID: inv.InvitationID,
	}
	if a.Profile != nil {
		g = *a.Profile
		g.UserID, g.Validated, g.GrantID = user.ID, true, a.GrantID
	}
	return Accepted{Session: sess, Guest: ViewOf(g, now)}, nil
}

// Decline turns an invitation down; the guest is deactivated and can be
// re-invited later.
func (s *Service) Decline(ctx context.Context, token, clientKey string) error {
	inv, err := s.link(ctx, token, clientKey)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := inv.Usable(now); err != nil {
		return err
	}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: inv.OrgID, At: now, Actor: "invitee:" + inv.Email,
		Action: audit.GuestDeclined, Target: inv.GuestID}
	err = s.store.Decline(ctx, inv, now, e)
	if errors.Is(err, ErrGuestChanged) {
		return guest.ErrLinkExpired
	}
	return err
}
