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
	proof, _, err := s.proofFor(ctx, inv)
	if err != nil {
		return Preview{}, err
	}
	kind := inv.Kind
	if kind == "" {
		kind = access.CaseGuest
	}
	return Preview{
		Kind: kind, RoleName: inv.RoleName,
		OrgName: inv.OrgName, InviterName: inv.InviterName, GuestName: inv.Name, Email: inv.Email,
		CaseTitles: inv.CaseTitles, ValidUntil: g.ValidUntil, LinkExpiresAt: inv.ExpiresAt, Channel: inv.Channel,
		AccountExists: proof.acct != nil && proof.need == CurrentPassword, PasswordRequired: proof.need != NoProof,
	}, nil
}

// linkProof is who a link speaks for now and what accepting it must prove.
type linkProof struct {
	need Proof
	// acct is the account the link opens; nil when the accept creates one.
	acct *identity.User
}

// ErrEmailPending refuses an SMS link for an address that another account,
// itself made from an SMS link, holds without having proven it: neither
// phone proves the mailbox, so neither account may have the address yet.
var ErrEmailPending = apperr.New(apperr.Conflict, "email_unverified",
	"Another account is waiting to verify this email address. Ask the company to send the invitation by email.")

// proofFor finds the account a link speaks for as things are now, not as
// they were when it was sent: the account the invitation named (a re-invited
// guest's own), else the account that owns the email. An account holding the
// address unverified owns nothing: it is returned apart, to be detached when
// the mailbox's owner accepts an email link.
func (s *Service) proofFor(ctx context.Context, inv guest.Invitation) (linkProof, *identity.User, error) {
	var acct, squatter *identity.User
	if inv.UserID != "" {
		u, err := s.store.User(ctx, inv.UserID)
		if err != nil && !errors.Is(err, identity.ErrUserNotFound) {
			return linkProof{}, nil, err
		}
		switch {
		case err != nil || u.Email != inv.Email:
		case u.EmailUnverified && inv.Channel == outbox.Email:
			// A re-invited guest whose account never proved the address: the
			// email link's holder does, and takes the address.
			squatter = &u
		default:
			acct = &u
		}
	}
	if acct == nil && squatter == nil {
		u, err := s.store.UserByEmail(ctx, inv.Email)
		switch {
		case errors.Is(err, identity.ErrUserNotFound):
		case err != nil:
			return linkProof{}, nil, err
		case u.EmailUnverified:
			squatter = &u
		default:
			acct = &u
		}
	}
	need, err := RequiredProof(inv.Channel, acct)
	if err != nil {
		return linkProof{}, nil, err
	}
	if need == NoProof && squatter != nil {
		return linkProof{}, nil, ErrEmailPending
	}
	return linkProof{need: need, acct: acct}, squatter, nil
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
// What the accept must prove is RequiredProof's: a phone opens only an
// account that this accept creates, with its email unverified, for what is
// left of the link's 24 hours (a session confined to this guest access);
// every existing account needs its password, or, from an email link and
// without one, a new one.
//
// The grant is built from the guest's profile as it is now, and the write is
// conditional on the profile being unchanged, so what the company decided
// before the accept (switched off, ended, a shorter period) holds after it.
func (s *Service) Accept(ctx context.Context, token, clientKey string, req AcceptRequest) (Accepted, error) {
	inv, err := s.link(ctx, token, clientKey)
	if err != nil {
		return Accepted{}, err
	}
	now := s.clock.Now()
	if err := inv.Usable(now); err != nil {
		return Accepted{}, err
	}
	g, err := s.store.Guest(ctx, inv.OrgID, inv.GuestID)
	if err != nil {
		return Accepted{}, err
	}
	if err := linkStanding(g, inv, now); err != nil {
		return Accepted{}, err
	}
	if g.Kind == "" {
		g.Kind = access.CaseGuest
	}
	proof, squatter, err := s.proofFor(ctx, inv)
	if err != nil {
		return Accepted{}, err
	}
	a := Acceptance{Link: inv, Profile: &g, At: now, GrantID: secret.NewID("gr_")}
	user := identity.User{Email: inv.Email, Name: inv.Name}
	if proof.acct != nil {
		user = *proof.acct
	} else if req.Name != "" {
		if user.Name, err = guest.CleanName("name", req.Name); err != nil {
			return Accepted{}, err
		}
	}
	switch {
	case proof.need == CurrentPassword:
		check := func(context.Context) error {
			if password.Verify(req.Password, user.PasswordHash) != nil {
				return guest.ErrWrongPass
			}
			return nil
		}
		if s.signIns != nil {
			// Throttled like a sign-in: whoever may invite can send
			// themselves a link to any account whose email they know.
			err = s.signIns.Attempt(ctx, user.Email, clientKey, check)
		} else {
			err = check(ctx)
		}
		if err != nil {
			return Accepted{}, err
		}
	case proof.acct != nil:
		// An existing account without a password, from an email link: the
		// mailbox is proven and its holder chooses the password.
		if a.PasswordHash, err = checkNewPassword(req.Password); err != nil {
			return Accepted{}, err
		}
	default:
		user.ID, user.CreatedAt = secret.NewID("u_"), now
		// Only an email link proves the mailbox; an account made from an SMS
		// link holds the address unverified until its owner proves it.
		user.EmailUnverified = proof.need == NoProof
		if user.EmailUnverified {
			user.CreatedByOrgID, user.CreatedByOrgName = inv.OrgID, inv.OrgName
		}
		if req.Password != "" || proof.need == NewPassword {
			if user.PasswordHash, err = checkNewPassword(req.Password); err != nil {
				return Accepted{}, err
			}
		}
		a.NewUser = &user
		if squatter != nil && proof.need == NewPassword {
			a.Reclaim = squatter
			a.ReclaimAudit = audit.Entry{ID: secret.NewID("a_"), OrgID: inv.OrgID, At: now, Actor: user.ID,
				Action: audit.EmailReclaimed, Target: squatter.ID, Details: map[string]string{"email": inv.Email, "via": "invitation"},
				ActorName: user.Name, TargetName: squatter.Name}
		}
	}
	a.UserID = user.ID
	org, err := s.store.Org(ctx, inv.OrgID)
	if err != nil {
		return Accepted{}, err
	}
	a.Welcome = outbox.Message{
		ID: secret.NewID("m_"), Channel: outbox.Email, Kind: outbox.GuestWelcome, To: inv.Email,
		Data: outbox.Localized(map[string]string{
			"guestName": user.Name, "orgName": inv.OrgName, "inviterName": inv.InviterName,
			"validUntil": g.ValidUntil.Format(time.RFC3339),
		}, g.Language.Or(org.Lang()), org.ZoneName()),
		OrgID: inv.OrgID, GuestID: inv.GuestID, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
	a.Audit = audit.Entry{ID: secret.NewID("a_"), OrgID: inv.OrgID, At: now, Actor: user.ID, Action: audit.GuestAccepted,
		Target: inv.GuestID, Details: map[string]string{"channel": string(inv.Channel)},
		ActorName: user.Name, TargetName: user.Name}

	err = s.store.Accept(ctx, a)
	if errors.Is(err, ErrEmailTaken) {
		// Someone registered this email between the reads above and the write.
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
		return Accepted{}, errProfileChanged
	}
	if err != nil {
		return Accepted{}, err
	}
	if a.PasswordHash != "" {
		// The store raised the token version with the new password.
		user.PasswordHash = a.PasswordHash
		user.TokenVersion++
	}

	until := now.Add(identity.SessionTTL)
	viaLink := proof.need == NoProof
	if viaLink {
		until = inv.ExpiresAt
	}
	g.UserID, g.Validated, g.GrantID, g.Name = user.ID, true, a.GrantID, user.Name
	m := identity.GuestMembership(inv.OrgID, inv.OrgName, inv.GuestID, a.GrantID, g.Kind, g.ValidUntil)
	m.Status = string(g.StatusAt(now))
	sess, err := s.ids.SessionFor(user, m, until, viaLink)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{Session: sess, Guest: ViewOf(g, now)}, nil
}

// errProfileChanged: the company changed the guest while the accept was
// being written; reading the link again shows the new state.
var errProfileChanged = apperr.New(apperr.Conflict, "guest_changed", "The company changed this invitation just now; open the link again.")

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
		Action: audit.GuestDeclined, Target: inv.GuestID, ActorName: inv.Name, TargetName: inv.Name}
	err = s.store.Decline(ctx, inv, now, e)
	if errors.Is(err, ErrGuestChanged) {
		return guest.ErrLinkExpired
	}
	return err
}
