package store

import (
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

// The item structs mirror the table; each has a Type so a scan can be read.

type userItem struct {
	PK, SK       string
	Type         string
	ID           string
	Email        string
	Name         string
	PasswordHash string `dynamodbav:",omitempty"`
	CreatedAt    time.Time
	// TokenVersion is raised to revoke every session token issued before.
	TokenVersion int64 `dynamodbav:",omitempty"`
	// EmailUnverified: the account was made from an SMS link and its holder
	// has not proven the mailbox yet.
	EmailUnverified bool `dynamodbav:",omitempty"`
	// CreatedByOrgID/Name: the company whose SMS link made the account.
	CreatedByOrgID   string `dynamodbav:",omitempty"`
	CreatedByOrgName string `dynamodbav:",omitempty"`
	// DetachedEmail is the address the mailbox's owner took from this
	// account; Email is then empty.
	DetachedEmail string `dynamodbav:",omitempty"`
}

func newUserItem(u identity.User) userItem {
	return userItem{PK: userPK(u.ID), SK: skProfile, Type: "user", ID: u.ID, Email: u.Email, Name: u.Name,
		PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt, TokenVersion: u.TokenVersion, EmailUnverified: u.EmailUnverified,
		CreatedByOrgID: u.CreatedByOrgID, CreatedByOrgName: u.CreatedByOrgName}
}

func (it userItem) user() identity.User {
	return identity.User{ID: it.ID, Email: it.Email, Name: it.Name, PasswordHash: it.PasswordHash, CreatedAt: it.CreatedAt,
		TokenVersion: it.TokenVersion, EmailUnverified: it.EmailUnverified,
		CreatedByOrgID: it.CreatedByOrgID, CreatedByOrgName: it.CreatedByOrgName}
}

type emailItem struct {
	PK, SK string
	Type   string
	UserID string
	// Unverified: the holder was made from an SMS link and has not proven the
	// mailbox; the mailbox's proven owner may take the address.
	Unverified bool `dynamodbav:",omitempty"`
}

type orgItem struct {
	PK, SK       string
	Type         string
	ID           string
	Name         string
	MaxGuestDays int
	ReminderDays int
	Language     string `dynamodbav:",omitempty"`
	TimeZone     string `dynamodbav:",omitempty"`
	SMSPerDay    int    `dynamodbav:",omitempty"`
	CreatedAt    time.Time
}

func (it orgItem) org() identity.Org {
	return identity.Org{ID: it.ID, Name: it.Name, MaxGuestDays: it.MaxGuestDays, ReminderDays: it.ReminderDays,
		Language: locale.Lang(it.Language), TimeZone: it.TimeZone, SMSPerDay: it.SMSPerDay, CreatedAt: it.CreatedAt}
}

type memberItem struct {
	PK, SK         string
	GSI1PK, GSI1SK string
	Type           string
	OrgID          string
	OrgName        string
	UserID         string
	Email          string
	Name           string
	Role           string
}

func (it memberItem) member() identity.Member {
	return identity.Member{OrgID: it.OrgID, OrgName: it.OrgName, UserID: it.UserID, Email: it.Email, Name: it.Name, Role: it.Role}
}

type caseItem struct {
	PK, SK    string
	Type      string
	ID        string
	OrgID     string
	Title     string
	CreatedBy string
	CreatedAt time.Time
}

func newCaseItem(c casefile.Case) caseItem {
	return caseItem{PK: orgPK(c.OrgID), SK: caseSK(c.ID), Type: "case", ID: c.ID, OrgID: c.OrgID, Title: c.Title,
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt}
}

func (it caseItem) toCase() casefile.Case {
	return casefile.Case{ID: it.ID, OrgID: it.OrgID, Title: it.Title, CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt}
}

type guestItem struct {
	PK, SK         string
	GSI1PK, GSI1SK string `dynamodbav:",omitempty"`
	GSI2PK, GSI2SK string `dynamodbav:",omitempty"`
	GSI3PK, GSI3SK string `dynamodbav:",omitempty"`
	Type           string
	ID             string
	OrgID          string
	OrgName        string
	UserID         string `dynamodbav:",omitempty"`
	Email          string
	Name           string
	Phone          string `dynamodbav:",omitempty"`
	Channels       []string
	Kind           string `dynamodbav:",omitempty"`
	Language       string `dynamodbav:",omitempty"`
	CaseIDs        []string
	RoleID         string `dynamodbav:",omitempty"`
	Workspace      access.Workspace
	Privileges     []string
	ValidUntil     time.Time
	Active         bool
	Validated      bool
	EndedAt        time.Time
	EndReason      string `dynamodbav:",omitempty"`
	InvitedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	InvitationID   string
	InvitedAt      time.Time
	Deliveries     map[string]outbox.Delivery
	ReminderFor    time.Time
	GrantID        string `dynamodbav:",omitempty"`
	// Written by ApplyDelivery (delivery.go); a full put of the guest keeps
	// them.
	EmailBlocked       string `dynamodbav:",omitempty"`
	EmailBlockedReason string `dynamodbav:",omitempty"`
	EmailBlockedAt     time.Time
}

func newGuestItem(g guest.Guest) guestItem {
	it := guestItem{
		PK: orgPK(g.OrgID), SK: guestSK(g.ID), Type: "guest", ID: g.ID, OrgID: g.OrgID, OrgName: g.OrgName,
		UserID: g.UserID, Email: g.Email, Name: g.Name, Phone: g.Phone, CaseIDs: g.CaseIDs, Kind: string(g.Kind),
		Language: string(g.Language),
		RoleID:   g.RoleID, Workspace: g.Workspace, Privileges: privStrings(g.Privileges), ValidUntil: g.ValidUntil, Active: g.Active, Validated: g.Validated, EndedAt: g.EndedAt, EndReason: g.EndReason,
		InvitedBy: g.InvitedBy, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, InvitationID: g.InvitationID,
		InvitedAt: g.InvitedAt, ReminderFor: g.ReminderFor, GrantID: g.GrantID,
		EmailBlocked: g.EmailBlocked, EmailBlockedReason: g.EmailBlockedReason, EmailBlockedAt: g.EmailBlockedAt,
		Deliveries: map[string]outbox.Delivery{},
	}
	for _, c := range g.Channels {
		it.Channels = append(it.Channels, string(c))
	}
	for c, d := range g.Deliveries {
		it.Deliveries[string(c)] = d
	}
	switch {
	case g.Kind == access.CompanyGuest:
		// A company guest is found by email: the invitation waits under
		// "Companies" for whoever holds an account with that email.
		it.GSI1PK, it.GSI1SK = inviteePK(g.Email), "GUEST#"+g.OrgID
	case g.UserID != "":
		it.GSI1PK, it.GSI1SK = userPK(g.UserID), "GUEST#"+g.OrgID
	}
	it.GSI3PK, it.GSI3SK = guestStatusPK(g.OrgID, storedStatus(g)), guestStatusSK(g.ValidUntil, g.ID)
	if g.EndReason == "" {
		// Every guest not yet ended is in the sweep's index, switched on or off.
		it.GSI2PK, it.GSI2SK = gsiActiveGuests, activeGuestSK(g.ValidUntil, g.OrgID, g.ID)
	}
	return it
}

func (it guestItem) toGuest() guest.Guest {
	g := guest.Guest{
		ID: it.ID, OrgID: it.OrgID, OrgName: it.OrgName, UserID: it.UserID, Email: it.Email, Name: it.Name, Phone: it.Phone,
		CaseIDs: it.CaseIDs, Kind: access.GuestKind(it.Kind), Language: locale.Lang(it.Language), RoleID: it.RoleID, Workspace: it.Workspace,
		Privileges: privileges(it.Privileges), ValidUntil: it.ValidUntil, Active: it.Active, Validated: it.Validated, EndedAt: it.EndedAt,
		EndReason: it.EndReason, InvitedBy: it.InvitedBy, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		InvitationID: it.InvitationID, InvitedAt: it.InvitedAt, ReminderFor: it.ReminderFor, GrantID: it.GrantID,
		EmailBlocked: it.EmailBlocked, EmailBlockedReason: it.EmailBlockedReason, EmailBlockedAt: it.EmailBlockedAt,
		Deliveries: map[outbox.Channel]outbox.Delivery{},
	}
	if g.Kind == "" {
		g.Kind = access.CaseGuest
	}
	for _, c := range it.Channels {
		g.Channels = append(g.Channels, outbox.Channel(c))
	}
	for c, d := range it.Deliveries {
		g.Deliveries[outbox.Channel(c)] = d
	}
	return g
}

type guestEmailItem struct {
	PK, SK  string
	Type    string
	GuestID string
}

type grantItem struct {
	PK, SK     string
	Type       string
	GrantID    string
	OrgID      string
	GuestID    string
	UserID     string
	Name       string `dynamodbav:",omitempty"`
	Kind       string
	Active     bool
	CaseIDs    []string
	RoleID     string `dynamodbav:",omitempty"`
	Workspace  access.Workspace
	Privileges []string
	ValidUntil time.Time
	TTL        int64 `dynamodbav:"ttl"`
}

// grantOf projects the access part of a guest into its grant item: the grant
// always says what the profile says, written in the same transaction.
func grantOf(g guest.Guest, grantID, userID string) grantItem {
	return grantItem{
		PK: orgPK(g.OrgID), SK: grantSK(g.ID), Type: "grant", GrantID: grantID, OrgID: g.OrgID, GuestID: g.ID,
		UserID: userID, Name: g.Name, Kind: string(g.Kind), Active: g.Active, CaseIDs: g.CaseIDs, RoleID: g.RoleID,
		Workspace: g.Workspace, Privileges: privStrings(g.Privileges), ValidUntil: g.ValidUntil, TTL: g.ValidUntil.Unix(),
	}
}

func (it grantItem) grant() identity.Grant {
	kind := access.GuestKind(it.Kind)
	if kind == "" {
		kind = access.CaseGuest
	}
	return identity.Grant{OrgID: it.OrgID, GuestID: it.GuestID, GrantID: it.GrantID, UserID: it.UserID, Name: it.Name, Kind: kind,
		Active: it.Active, CaseIDs: it.CaseIDs, RoleID: it.RoleID, Workspace: it.Workspace,
		Privileges: privileges(it.Privileges), ValidUntil: it.ValidUntil}
}

func privStrings(ps []access.Privilege) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func privileges(ss []string) []access.Privilege {
	out := make([]access.Privilege, len(ss))
	for i, s := range ss {
		out[i] = access.Privilege(s)
	}
	return out
}

type invItem struct {
	PK, SK       string
	Type         string
	TokenHash    string
	InvitationID string
	OrgID        string
	GuestID      string
	Channel      string
	Email        string
	Name         string
	ExpiresAt    time.Time
	ValidUntil   time.Time
	State        string
	CreatedAt    time.Time
	UsedAt       time.Time
	OrgName      string
	InviterName  string
	Kind         string `dynamodbav:",omitempty"`
	RoleName     string `dynamodbav:",omitempty"`
	CaseIDs      []string
	CaseTitles   []string
	UserID       string `dynamodbav:",omitempty"`
	HasPassword  bool
	TTL          int64 `dynamodbav:"ttl"`
}

// invitationRetention keeps a used or expired link long enough to answer
// "used" or "expired" rather than "unknown".
const invitationRetention = 30 * 24 * time.Hour

func newInvItem(inv guest.Invitation) invItem {
	return invItem{
		PK: invPK(inv.TokenHash), SK: skInv, Type: "invitation", TokenHash: inv.TokenHash, InvitationID: inv.InvitationID,
		OrgID: inv.OrgID, GuestID: inv.GuestID, Channel: string(inv.Channel), Email: inv.Email, Name: inv.Name,
		ExpiresAt: inv.ExpiresAt, ValidUntil: inv.ValidUntil, State: string(inv.State), CreatedAt: inv.CreatedAt,
		UsedAt: inv.UsedAt, OrgName: inv.OrgName, InviterName: inv.InviterName, CaseIDs: inv.CaseIDs,
		Kind: string(inv.Kind), RoleName: inv.RoleName,
		CaseTitles: inv.CaseTitles, UserID: inv.UserID, HasPassword: inv.HasPassword,
		TTL: inv.ExpiresAt.Add(invitationRetention).Unix(),
	}
}

func (it invItem) invitation() guest.Invitation {
	return guest.Invitation{
		TokenHash: it.TokenHash, InvitationID: it.InvitationID, OrgID: it.OrgID, GuestID: it.GuestID,
		Channel: outbox.Channel(it.Channel), Email: it.Email, Name: it.Name, ExpiresAt: it.ExpiresAt,
		ValidUntil: it.ValidUntil, State: guest.LinkState(it.State), CreatedAt: it.CreatedAt, UsedAt: it.UsedAt,
		OrgName: it.OrgName, InviterName: it.InviterName, CaseIDs: it.CaseIDs, CaseTitles: it.CaseTitles,
		Kind: access.GuestKind(it.Kind), RoleName: it.RoleName,
		UserID: it.UserID, HasPassword: it.HasPassword,
	}
}

type outboxItem struct {
	PK, SK         string
	GSI2PK, GSI2SK string `dynamodbav:",omitempty"`
	Type           string
	ID             string
	Channel        string
	Kind           string
	To             string
	Data           map[string]string
	SealedToken    string `dynamodbav:",omitempty"`
	OrgID          string `dynamodbav:",omitempty"`
	GuestID        string `dynamodbav:",omitempty"`
	InvitationID   string `dynamodbav:",omitempty"`
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string `dynamodbav:",omitempty"`
	// ProviderID is SES's or SNS's id of the sent message (delivery.go).
	ProviderID string `dynamodbav:",omitempty"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func newOutboxItem(m outbox.Message) outboxItem {
	it := outboxItem{
		PK: outboxPK(m.ID), SK: skOutbox, Type: "outbox", ID: m.ID, Channel: string(m.Channel), Kind: string(m.Kind),
		To: m.To, Data: m.Data, SealedToken: m.SealedToken, OrgID: m.OrgID, GuestID: m.GuestID,
		InvitationID: m.InvitationID, Status: string(m.Status), Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt,
		LastError: m.LastError, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
	if m.Status == outbox.Queued {
		it.GSI2PK, it.GSI2SK = gsiOutboxDue, sortableTime(m.NextAttemptAt)+"#"+m.ID
	}
	return it
}

func (it outboxItem) message() outbox.Message {
	return outbox.Message{
		ID: it.ID, Channel: outbox.Channel(it.Channel), Kind: outbox.Kind(it.Kind), To: it.To, Data: it.Data,
		SealedToken: it.SealedToken, OrgID: it.OrgID, GuestID: it.GuestID, InvitationID: it.InvitationID,
		Status: outbox.Status(it.Status), Attempts: it.Attempts, NextAttemptAt: it.NextAttemptAt,
		LastError: it.LastError, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
}

type auditItem struct {
	PK, SK     string
	Type       string
	ID         string
	OrgID      string
	At         time.Time
	Actor      string
	Action     string
	Target     string
	Details    map[string]string `dynamodbav:",omitempty"`
	ActorName  string            `dynamodbav:",omitempty"`
	TargetName string            `dynamodbav:",omitempty"`
}

func newAuditItem(e audit.Entry) auditItem {
	return auditItem{PK: orgPK(e.OrgID), SK: "AUDIT#" + sortableTime(e.At) + "#" + e.ID, Type: "audit", ID: e.ID,
		OrgID: e.OrgID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Details: e.Details,
		ActorName: e.ActorName, TargetName: e.TargetName}
}

func (it auditItem) entry() audit.Entry {
	return audit.Entry{ID: it.ID, OrgID: it.OrgID, At: it.At, Actor: it.Actor, Action: it.Action, Target: it.Target, Details: it.Details,
		ActorName: it.ActorName, TargetName: it.TargetName}
}
