package session

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/phone"
	"github.com/guestbridge/guestbridge/shared/plaintext"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// RelayTask is a live relay as its registry item tells.
type RelayTask struct {
	TaskID      string
	SignalURL   string
	Load        int
	Draining    bool
	HeartbeatAt time.Time
}

// heartbeatFresh is how recent a relay's heartbeat must be to get sessions.
const heartbeatFresh = 30 * time.Second

// Store is the storage sessions need.
type Store interface {
	Case(ctx context.Context, orgID, caseID string) (casefile.Case, error)
	Member(ctx context.Context, orgID, userID string) (identity.Member, error)
	RelayTasks(ctx context.Context) ([]RelayTask, error)
	CreateSession(ctx context.Context, s Session, parts []Participant, links []Link, msgs []outbox.Message, entry audit.Entry) error
	Session(ctx context.Context, id string) (Session, error)
	Participants(ctx context.Context, sessionID string) ([]Participant, error)
	AddParticipant(ctx context.Context, p Participant, link *Link, msgs []outbox.Message, entry audit.Entry) error
	Link(ctx context.Context, tokenHash string) (Link, error)
	// UseLink marks a link used on the condition that it was not; two tabs
	// racing for one link get one success.
	UseLink(ctx context.Context, tokenHash string, at time.Time) error
	EndSession(ctx context.Context, s Session, at time.Time, reason string, entry audit.Entry) error
	RemoveParticipant(ctx context.Context, p Participant, at time.Time, reason, note string, entry audit.Entry) error
	SetTools(ctx context.Context, p Participant, tools []toolmatrix.Tool, entry audit.Entry) error
	// MarkPresence records a join or leave together with the event's id,
	// on the condition that the id is new (ErrEventReplayed otherwise); the
	// id is remembered until forgetAt.
	MarkPresence(ctx context.Context, sessionID, participantID string, joined bool, at time.Time, eventID string, forgetAt time.Time, entry audit.Entry) error
	LiveParticipantsByEmail(ctx context.Context, orgID, email string) ([]Participant, error)
	LiveParticipantsByUser(ctx context.Context, orgID, userID string) ([]Participant, error)
	// GuestByEmail finds the company's guest account with email, if any.
	GuestByEmail(ctx context.Context, orgID, email string) (guest.Guest, error)
	// Org gives the language and time zone the session's messages use.
	Org(ctx context.Context, id string) (identity.Org, error)
	RecordStore
	MemberStore
}

// Relay is how revocations reach the relay at once.
type Relay interface {
	End(ctx context.Context, signalURL, sessionID, reason string) error
	Remove(ctx context.Context, signalURL, sessionID, participantID, reason, message string) error
	SetTools(ctx context.Context, signalURL, sessionID, participantID string, tools []toolmatrix.Tool) error
}

// Limits are what starting sessions and inviting to them may cost.
type Limits struct {
	// Quotas bound sessions, invitations and SMS per user and company;
	// zero fields take ratelimit.DefaultQuotas.
	Quotas ratelimit.Quotas
	// SMSCountries are where a customer may be texted; nil means
	// phone.DefaultCountries.
	SMSCountries phone.Countries
}

// Service runs sessions.
type Service struct {
	ledger    ratelimit.Ledger
	limits    Limits
	store     Store
	minter    *Minter
	relay     Relay
	clock     clock.Clock
	sealKey   []byte
	publicURL string
	log       *slog.Logger
	// recordings takes the relay's recording events (OnRecording).
	recordings Recordings
}

// NewService wires sessions. ledger counts the sessions started, the guests
// invited and the SMS sent under limits.
func NewService(s Store, m *Minter, r Relay, c clock.Clock, sealKey []byte, publicURL string, log *slog.Logger,
	ledger ratelimit.Ledger, limits Limits) *Service {
	limits.Quotas = limits.Quotas.WithDefaults()
	if limits.SMSCountries == nil {
		limits.SMSCountries = phone.DefaultCountries
	}
	return &Service{store: s, minter: m, relay: r, clock: c, sealKey: sealKey, publicURL: publicURL, log: log,
		ledger: ledger, limits: limits}
}

// StartRequest is the body of POST /v1/orgs/{org}/cases/{caseId}/sessions.
type StartRequest struct {
	Customer *CustomerRequest `json:"customer,omitempty"`
}

// CustomerRequest says who the customer is and where their link goes.
type CustomerRequest struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Language of the customer's email and SMS, "de" or "en"; the
	// company's when left out.
	Language string `json:"language,omitempty"`
}

// Joining is what a participant needs to connect to the relay.
type Joining struct {
	SessionID       string            `json:"sessionId"`
	ParticipantID   string            `json:"participantId"`
	Kind            toolmatrix.Kind   `json:"kind"`
	RelayURL        string            `json:"relayUrl"`
	Ticket          string            `json:"ticket"`
	TicketExpiresAt time.Time         `json:"ticketExpiresAt"`
	Tools           []toolmatrix.Tool `json:"tools"`
	// Seat is the device key of a customer link: the client keeps it and
	// sends it back to reconnect from the same device (JoinLinkRequest).
	Seat string `json:"seat,omitempty"`
}

// Started is the answer to starting a session.
type Started struct {
	Session View    `json:"session"`
	Primary Joining `json:"primary"`
	// CustomerLink opens the session as the camera side; it was also sent to
	// the customer's email or phone when given.
	CustomerLink string `json:"customerLink"`
}

func (s *Service) entry(orgID, actor, action, target string, details map[string]string) audit.Entry {
	return audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: s.clock.Now(), Actor: actor, Action: action, Target: target, Details: details}
}

// caseTitle names a session in the log by its case. A case that cannot be
// read leaves the name empty rather than failing the act being logged.
func (s *Service) caseTitle(ctx context.Context, sess Session) string {
	c, err := s.store.Case(ctx, sess.OrgID, sess.CaseID)
	if err != nil {
		return ""
	}
	return c.Title
}

// Start opens a session on a case; the caller becomes its primary.
func (s *Service) Start(ctx context.Context, p *access.Principal, orgID, caseID string, req StartRequest) (Started, error) {
	if err := access.Authorize(p, access.StartSession, access.Resource{OrgID: orgID}); err != nil {
		return Started{}, err
	}
	if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: orgID, CaseID: caseID}); err != nil {
		return Started{}, err
	}
	c, err := s.store.Case(ctx, orgID, caseID)
	if err != nil {
		return Started{}, err
	}
	var cust CustomerRequest
	if req.Customer != nil {
		cust = *req.Customer
	}
	if cust.Name = strings.TrimSpace(cust.Name); cust.Name == "" {
		cust.Name = "Customer"
	} else if cust.Name, err = guest.CleanName("customer.name", cust.Name); err != nil {
		return Started{}, err
	}
	if err := locale.CheckLang("customer.language", cust.Language); err != nil {
		return Started{}, err
	}
	if cust.Email != "" {
		if cust.Email, err = guest.NormalizeEmail("customer.email", cust.Email); err != nil {
			return Started{}, err
		}
	}
	if cust.Phone != "" {
		if err := guest.CheckPhone("customer.phone", cust.Phone); err != nil {
			return Started{}, err
		}
		if err := s.limits.SMSCountries.Check("customer.phone", cust.Phone); err != nil {
			return Started{}, err
		}
	}
	task, err := s.place(ctx)
	if err != nil {
		return Started{}, err
	}
	now := s.clock.Now()
	// All or nothing, after every check: a refused start is not counted and
	// texts no one.
	charges := s.limits.Quotas.Session(p.UserID, orgID)
	if cust.Phone != "" {
		charges = append(charges, s.limits.Quotas.SMS(orgID, cust.Phone)...)
	}
	if err := s.ledger.Take(ctx, now, charges...); err != nil {
		return Started{}, err
	}
	sess := Session{ID: secret.NewID("s_"), OrgID: orgID, CaseID: c.ID, PrimaryUserID: p.UserID, State: Live,
		RelayTaskID: task.TaskID, SignalURL: task.SignalURL, CreatedAt: now}
	primary := Participant{ID: secret.NewID("p_"), SessionID: sess.ID, OrgID: orgID, Kind: toolmatrix.Primary,
		UserID: p.UserID, Name: p.Name, Tools: toolmatrix.Tools(toolmatrix.Primary), InvitedAt: now}
	customer := Participant{ID: secret.NewID("p_"), SessionID: sess.ID, OrgID: orgID, Kind: toolmatrix.Customer,
		Email: cust.Email, Name: cust.Name, Tools: toolmatrix.Tools(toolmatrix.Customer), InvitedAt: now}
	link, token, err := s.newLink(customer, CustomerLinkTTL)
	if err != nil {
		return Started{}, err
	}
	var msgs []outbox.Message
	data, err := s.localized(ctx, orgID, cust.Language, map[string]string{"caseTitle": c.Title, "inviterName": p.Name, "guestName": cust.Name})
	if err != nil {
		return Started{}, err
	}
	if cust.Email != "" {
		m, err := s.message(outbox.Email, outbox.SessionCustomer, cust.Email, token, data, sess)
		if err != nil {
			return Started{}, err
		}
		msgs = append(msgs, m)
	}
	if cust.Phone != "" {
		m, err := s.message(outbox.SMS, outbox.SessionCustomer, cust.Phone, token, data, sess)
		if err != nil {
			return Started{}, err
		}
		msgs = append(msgs, m)
	}
	e := s.entry(orgID, p.UserID, audit.SessionStarted, sess.ID, map[string]string{"caseId": c.ID, "relay": task.TaskID}).By(p.Name).Naming(c.Title)
	if err := s.store.CreateSession(ctx, sess, []Participant{primary, customer}, []Link{link}, msgs, e); err != nil {
		return Started{}, err
	}
	j, err := s.joining(sess, primary, time.Time{}, "")
	if err != nil {
		return Started{}, err
	}
	return Started{Session: s.view(sess, []Participant{primary, customer}), Primary: j,
		CustomerLink: s.publicURL + "/join#" + token}, nil
}

// place picks the least-loaded live relay that is not draining.
func (s *Service) place(ctx context.Context) (RelayTask, error) {
	tasks, err := s.store.RelayTasks(ctx)
	if err != nil {
		return RelayTask{}, err
	}
	now := s.clock.Now()
	var best *RelayTask
	for i := range tasks {
		t := &tasks[i]
		if t.Draining || now.Sub(t.HeartbeatAt) > heartbeatFresh || t.SignalURL == "" {
			continue
		}
		if best == nil || t.Load < best.Load || (t.Load == best.Load && t.TaskID < best.TaskID) {
			best = t
		}
	}
	if best == nil {
		return RelayTask{}, ErrNoRelay
	}
	return *best, nil
}

func (s *Service) newLink(p Participant, ttl time.Duration) (Link, string, error) {
	tok, err := secret.NewToken()
	if err != nil {
		return Link{}, "", err
	}
	now := s.clock.Now()
	return Link{TokenHash: secret.Hash(tok), SessionID: p.SessionID, OrgID: p.OrgID, ParticipantID: p.ID, Kind: p.Kind,
		ExpiresAt: now.Add(ttl), CreatedAt: now}, tok, nil
}

// localized writes data in lang (the company's language when empty) with
// times in the company's zone.
func (s *Service) localized(ctx context.Context, orgID, lang string, data map[string]string) (map[string]string, error) {
	org, err := s.store.Org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return outbox.Localized(data, locale.Lang(lang).Or(org.Lang()), org.ZoneName()), nil
}

func (s *Service) message(ch outbox.Channel, kind outbox.Kind, to, token string, data map[string]string, sess Session) (outbox.Message, error) {
	sealed, err := secret.Seal(s.sealKey, token)
	if err != nil {
		return outbox.Message{}, err
	}
	now := s.clock.Now()
	return outbox.Message{ID: secret.NewID("m_"), Channel: ch, Kind: kind, To: to, Data: data, SealedToken: sealed,
		OrgID: sess.OrgID, Status: outbox.Queued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}, nil
}

func (s *Service) joining(sess Session, p Participant, until time.Time, seat string) (Joining, error) {
	seatID := ""
	if seat != "" {
		seatID = secret.Hash(seat)
	}
	tok, exp, err := s.minter.Ticket(p, until, seatID)
	if err != nil {
		return Joining{}, err
	}
	tools := p.Tools
	if tools == nil {
		tools = []toolmatrix.Tool{}
	}
	return Joining{SessionID: sess.ID, ParticipantID: p.ID, Kind: p.Kind, RelayURL: sess.SignalURL, Ticket: tok,
		TicketExpiresAt: exp, Tools: tools, Seat: seat}, nil
}

// sessionFor reads a session of the caller's organisation.
func (s *Service) sessionFor(ctx context.Context, p *access.Principal, id string) (Session, []Participant, error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return Session{}, nil, err
	}
	if p == nil || p.OrgID != sess.OrgID || p.Kind != access.Member {
		return Session{}, nil, ErrNotFound
	}
	parts, err := s.store.Participants(ctx, id)
	if err != nil {
		return Session{}, nil, err
	}
	return sess, parts, nil
}

// primaryOf checks that the caller is the session's primary technician.
func (s *Service) primaryOf(ctx context.Context, p *access.Principal, id string) (Session, []Participant, error) {
	sess, parts, err := s.sessionFor(ctx, p, id)
	if err != nil {
		return Session{}, nil, err
	}
	if sess.PrimaryUserID != p.UserID {
		return Session{}, nil, ErrNotPrimary
	}
	return sess, parts, nil
}

// InviteRequest is the body of POST /v1/sessions/{id}/invites.
type InviteRequest struct {
	Kind   string `json:"kind"` // internal or guest
	UserID string `json:"userId,omitempty"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	// Language of a guest technician's email, "de" or "en"; the company's
	// when left out.
	Language string `json:"language,omitempty"`
}

// Invite adds a secondary technician of the company, or a guest technician
// by email with a single-use link. Only the primary, and not from a mobile
// client, may invite.
func (s *Service) Invite(ctx context.Context, p *access.Principal, platform Platform, id string, req InviteRequest) (ParticipantView, error) {
	sess, parts, err := s.primaryOf(ctx, p, id)
	if err != nil {
		return ParticipantView{}, err
	}
	if platform.Mobile() {
		return ParticipantView{}, ErrMobileInvite
	}
	if i := slices.IndexFunc(parts, func(x Participant) bool { return x.Kind == toolmatrix.Primary && x.UserID == p.UserID }); i < 0 ||
		!slices.Contains(parts[i].Tools, toolmatrix.Invite) {
		return ParticipantView{}, ErrInviteOff
	}
	if sess.State != Live {
		return ParticipantView{}, ErrSessionEnded
	}
	now := s.clock.Now()
	switch req.Kind {
	case "internal":
		if req.UserID == "" || req.Email != "" {
			return ParticipantView{}, apperr.InvalidField("userId", "an internal invitation names the technician by userId")
		}
		m, err := s.store.Member(ctx, sess.OrgID, req.UserID)
		if errors.Is(err, identity.ErrUserNotFound) {
			return ParticipantView{}, apperr.InvalidField("userId", "no such technician in this company")
		}
		if err != nil {
			return ParticipantView{}, err
		}
		for _, x := range parts {
			if x.UserID == m.UserID && !x.Removed {
				return ParticipantView{}, ErrAlreadyInvite
			}
		}
		part := Participant{ID: secret.NewID("p_"), SessionID: sess.ID, OrgID: sess.OrgID, Kind: toolmatrix.Secondary,
			UserID: m.UserID, Name: m.Name, Tools: toolmatrix.Tools(toolmatrix.Secondary), InvitedAt: now}
		e := s.entry(sess.OrgID, p.UserID, audit.SessionInvited, part.ID, map[string]string{"kind": "secondary", "userId": m.UserID, "sessionId": sess.ID}).By(p.Name).Naming(part.Name)
		if err := s.store.AddParticipant(ctx, part, nil, nil, e); err != nil {
			return ParticipantView{}, err
		}
		return viewOf(part), nil
	case "guest":
		if req.UserID != "" {
			return ParticipantView{}, apperr.InvalidField("userId", "a guest technician is invited by email")
		}
		email, err := guest.NormalizeEmail("email", req.Email)
		if err != nil {
			return ParticipantView{}, err
		}
		if err := locale.CheckLang("language", req.Language); err != nil {
			return ParticipantView{}, err
		}
		name := strings.TrimSpace(req.Name)
		if name == "" {
			name = email
		} else if name, err = guest.CleanName("name", name); err != nil {
			return ParticipantView{}, err
		}
		// After every check of the input: a refused invitation costs nothing.
		if err := s.ledger.Take(ctx, now, s.limits.Quotas.Invite(p.UserID, sess.OrgID)...); err != nil {
			return ParticipantView{}, err
		}
		part := Participant{ID: secret.NewID("p_"), SessionID: sess.ID, OrgID: sess.OrgID, Kind: toolmatrix.Guest,
			Email: email, Name: name, Tools: toolmatrix.Tools(toolmatrix.Guest), InvitedAt: now}
		link, token, err := s.newLink(part, GuestLinkTTL)
		if err != nil {
			return ParticipantView{}, err
		}
		c, err := s.store.Case(ctx, sess.OrgID, sess.CaseID)
		if err != nil {
			return ParticipantView{}, err
		}
		data, err := s.localized(ctx, sess.OrgID, req.Language, map[string]string{"caseTitle": c.Title, "inviterName": p.Name, "guestName": name})
		if err != nil {
			return ParticipantView{}, err
		}
		msg, err := s.message(outbox.Email, outbox.SessionInvite, email, token, data, sess)
		if err != nil {
			return ParticipantView{}, err
		}
		e := s.entry(sess.OrgID, p.UserID, audit.SessionInvited, part.ID, map[string]string{"kind": "guest", "email": email, "sessionId": sess.ID}).By(p.Name).Naming(name)
		if err := s.store.AddParticipant(ctx, part, &link, []outbox.Message{msg}, e); err != nil {
			return ParticipantView{}, err
		}
		return viewOf(part), nil
	}
	return ParticipantView{}, apperr.InvalidField("kind", `kind must be "internal" or "guest"`)
}

// JoinLinkRequest is the optional body of POST /v1/session-invites/{token}/join.
type JoinLinkRequest struct {
	// Seat is the device key an earlier redemption of the same customer
	// link returned; without it the device gets a new one.
	Seat string `json:"seat,omitempty"`
}

// JoinLink redeems a guest technician's or the customer's link: the backend
// check (link unused, session live, web browser for guests) and a ticket. A
// guest's link works once: a second tab or device gets 410. The customer's
// link is reusable for its 24 hours, but holds one device at a time: its
// ticket names the device's seat, and the relay refuses a ticket of another
// seat while the seat's device is connected (a reconnect of that device
// replaces its old connection).
func (s *Service) JoinLink(ctx context.Context, token string, platform Platform, req JoinLinkRequest) (Joining, error) {
	if !secret.WellFormed(token) {
		return Joining{}, ErrLinkExpired
	}
	hash := secret.Hash(token)
	link, err := s.store.Link(ctx, hash)
	if err != nil {
		return Joining{}, err
	}
	if !secret.Matches(token, link.TokenHash) {
		return Joining{}, ErrLinkExpired
	}
	if link.Kind == toolmatrix.Guest && platform.Mobile() {
		return Joining{}, ErrMobileGuest
	}
	sess, err := s.store.Session(ctx, link.SessionID)
	if err != nil {
		return Joining{}, err
	}
	parts, err := s.store.Participants(ctx, sess.ID)
	if err != nil {
		return Joining{}, err
	}
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.ID == link.ParticipantID })
	if i < 0 {
		return Joining{}, ErrLinkExpired
	}
	part := parts[i]
	if err := part.CanJoin(sess); err != nil {
		if errors.Is(err, ErrRemoved) {
			return Joining{}, ErrLinkExpired
		}
		return Joining{}, err
	}
	now := s.clock.Now()
	var until time.Time
	if link.Kind == toolmatrix.Guest {
		if link.Used || !now.Before(link.ExpiresAt) {
			return Joining{}, ErrLinkExpired
		}
		// A guest technician who is also a guest account of the company is
		// held to that account: refused once it has ended, and disconnected
		// by the relay when its period ends.
		if until, err = s.accountEnd(ctx, sess.OrgID, part.Email, now); err != nil {
			return Joining{}, err
		}
		if err := s.store.UseLink(ctx, hash, now); err != nil {
			return Joining{}, err
		}
		return s.joining(sess, part, until, "")
	}
	if !now.Before(link.ExpiresAt) {
		return Joining{}, ErrLinkExpired
	}
	seat := req.Seat
	if seat != "" && !secret.WellFormed(seat) {
		return Joining{}, apperr.InvalidField("seat", "seat is not one this link gave out")
	}
	if seat == "" {
		if seat, err = secret.NewToken(); err != nil {
			return Joining{}, err
		}
	}
	return s.joining(sess, part, time.Time{}, seat)
}

// accountEnd returns the end of the guest account with email, zero if there
// is none, or why that account no longer has access.
func (s *Service) accountEnd(ctx context.Context, orgID, email string, now time.Time) (time.Time, error) {
	g, err := s.store.GuestByEmail(ctx, orgID, email)
	if errors.Is(err, guest.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if r := g.Refusal(now); r != nil {
		return time.Time{}, r
	}
	return g.ValidUntil, nil
}

// Join gives a signed-in primary or secondary technician a ticket.
func (s *Service) Join(ctx context.Context, p *access.Principal, id string) (Joining, error) {
	sess, parts, err := s.sessionFor(ctx, p, id)
	if err != nil {
		return Joining{}, err
	}
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.UserID == p.UserID && x.UserID != "" })
	if i < 0 {
		return Joining{}, ErrNotInvited
	}
	if err := parts[i].CanJoin(sess); err != nil {
		return Joining{}, err
	}
	return s.joining(sess, parts[i], time.Time{}, "")
}

// View is a session's details.
type View struct {
	ID            string                                `json:"id"`
	OrgID         string                                `json:"orgId"`
	CaseID        string                                `json:"caseId"`
	PrimaryUserID string                                `json:"primaryUserId,omitempty"`
	State         State                                 `json:"state"`
	RelayURL      string                                `json:"relayUrl,omitempty"`
	CreatedAt     time.Time                             `json:"createdAt"`
	EndedAt       *time.Time                            `json:"endedAt,omitempty"`
	Participants  []ParticipantView                     `json:"participants"`
	Matrix        map[toolmatrix.Kind][]toolmatrix.Tool `json:"matrix,omitempty"`
	// DetailsHidden: the caller's session details tool is off, so times,
	// addresses and the matrix are left out.
	DetailsHidden bool `json:"detailsHidden,omitempty"`
}

// ParticipantView is one participant as the details show it.
type ParticipantView struct {
	ID        string            `json:"id"`
	Kind      toolmatrix.Kind   `json:"kind"`
	UserID    string            `json:"userId,omitempty"`
	Email     string            `json:"email,omitempty"`
	Name      string            `json:"name"`
	Tools     []toolmatrix.Tool `json:"tools"`
	InvitedAt time.Time         `json:"invitedAt,omitzero"`
	JoinedAt  *time.Time        `json:"joinedAt,omitempty"`
	LeftAt    *time.Time        `json:"leftAt,omitempty"`
	Removed   bool              `json:"removed"`
	Reason    string            `json:"removedReason,omitempty"`
	// Note is the primary's words to the removed person.
	Note string `json:"removedNote,omitempty"`
	// Connection is what their connection was like (netquality.go).
	Connection *NetSummary `json:"connection,omitempty"`
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func viewOf(p Participant) ParticipantView {
	tools := p.Tools
	if tools == nil {
		tools = []toolmatrix.Tool{}
	}
	return ParticipantView{ID: p.ID, Kind: p.Kind, UserID: p.UserID, Email: p.Email, Name: p.Name, Tools: tools,
		InvitedAt: p.InvitedAt, JoinedAt: opt(p.JoinedAt), LeftAt: opt(p.LeftAt), Removed: p.Removed, Reason: p.RemovedWhy,
		Note: p.RemovedNote, Connection: netOpt(p.Net)}
}

func netOpt(n NetSummary) *NetSummary {
	if n.IsZero() {
		return nil
	}
	return &n
}

func (s *Service) view(sess Session, parts []Participant) View {
	v := View{ID: sess.ID, OrgID: sess.OrgID, CaseID: sess.CaseID, PrimaryUserID: sess.PrimaryUserID, State: sess.State,
		RelayURL: sess.SignalURL, CreatedAt: sess.CreatedAt, EndedAt: opt(sess.EndedAt), Participants: []ParticipantView{},
		Matrix: map[toolmatrix.Kind][]toolmatrix.Tool{}}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].InvitedAt.Before(parts[j].InvitedAt) })
	for _, p := range parts {
		v.Participants = append(v.Participants, viewOf(p))
	}
	for _, k := range toolmatrix.Kinds {
		v.Matrix[k] = toolmatrix.Tools(k)
	}
	return v
}

// withoutDetails is v as a participant without the session details tool
// sees it: who is in the session, not when they came and went, their
// addresses or the matrix.
func (v View) withoutDetails() View {
	v.Matrix, v.DetailsHidden = nil, true
	ps := make([]ParticipantView, len(v.Participants))
	for i, p := range v.Participants {
		ps[i] = ParticipantView{ID: p.ID, Kind: p.Kind, UserID: p.UserID, Name: p.Name, Tools: p.Tools, Removed: p.Removed}
	}
	v.Participants = ps
	return v
}

// Get returns a session's details to members of its company who may read cases.
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (View, error) {
	sess, parts, err := s.sessionFor(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	// The caller's own seat decides what they see; a member seated twice
	// (the primary's seat and another) is seen as the primary.
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.UserID == p.UserID && x.Kind == toolmatrix.Primary })
	if i < 0 {
		i = slices.IndexFunc(parts, func(x Participant) bool { return x.UserID == p.UserID })
	}
	if i < 0 && !p.Has(access.CasesRead) {
		return View{}, access.ErrForbidden
	}
	v := s.view(sess, parts)
	if i >= 0 && !parts[i].Has(toolmatrix.SessionDetails) {
		// The live page still needs who is there; the details (times,
		// addresses, the matrix) are what the tool shows.
		v = v.withoutDetails()
	}
	return v, nil
}

// End ends the session: every participant is disconnected with
// session_ended and no ticket or link of it works again.
func (s *Service) End(ctx context.Context, p *access.Principal, id string) (View, error) {
	sess, parts, err := s.primaryOf(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if sess.State != Live {
		return View{}, ErrSessionEnded
	}
	now := s.clock.Now()
	e := s.entry(sess.OrgID, p.UserID, audit.SessionEnded, sess.ID, nil).By(p.Name).Naming(s.caseTitle(ctx, sess))
	if err := s.store.EndSession(ctx, sess, now, ReasonEnded, e); err != nil {
		return View{}, err
	}
	sess.State, sess.EndedAt, sess.EndReason = Ended, now, ReasonEnded
	s.push(ctx, sess, func(ctx context.Context) error { return s.relay.End(ctx, sess.SignalURL, sess.ID, ReasonEnded) })
	return s.view(sess, parts), nil
}

// endFor ends a live session whose primary lost access for why, on the
// system's behalf. The others in it are told the session ended: why is the
// primary's business, and stays in the audit log.
func (s *Service) endFor(ctx context.Context, sess Session, why string) error {
	err := s.store.EndSession(ctx, sess, s.clock.Now(), ReasonEnded,
		s.entry(sess.OrgID, "", audit.SessionEnded, sess.ID, map[string]string{"reason": why}).BySystem(audit.SystemActor).Naming(s.caseTitle(ctx, sess)))
	if errors.Is(err, ErrSessionEnded) {
		return nil
	}
	if err != nil {
		return err
	}
	s.push(ctx, sess, func(ctx context.Context) error { return s.relay.End(ctx, sess.SignalURL, sess.ID, ReasonEnded) })
	return nil
}

// push tells the relay at once. The store already holds the truth, which the
// relay also checks on every join; a failed push is logged for the operator.
func (s *Service) push(ctx context.Context, sess Session, call func(context.Context) error) {
	if err := call(ctx); err != nil {
		s.log.ErrorContext(ctx, "relay not told of a revocation", "session", sess.ID, "relay", sess.RelayTaskID, "err", err)
	}
}

// RemoveRequest is the optional body of POST /v1/sessions/{id}/participants/{pid}/remove.
type RemoveRequest struct {
	// Reason is what the removed person reads on their page.
	Reason string `json:"reason,omitempty"`
}

// MaxRemoveReason bounds the reason for a removal, in characters.
const MaxRemoveReason = 200

// Check validates the reason: one line of plain text others read.
func (r *RemoveRequest) Check() error {
	r.Reason = strings.TrimSpace(r.Reason)
	if utf8.RuneCountInString(r.Reason) > MaxRemoveReason {
		return apperr.InvalidField("reason", "reason must be at most 200 characters")
	}
	return plaintext.Check("reason", r.Reason)
}

// Remove disconnects a participant and bans them from the session; the
// optional reason reaches them in the relay's close message.
func (s *Service) Remove(ctx context.Context, p *access.Principal, id, participantID string, req RemoveRequest) (ParticipantView, error) {
	if err := req.Check(); err != nil {
		return ParticipantView{}, err
	}
	sess, parts, err := s.primaryOf(ctx, p, id)
	if err != nil {
		return ParticipantView{}, err
	}
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.ID == participantID })
	if i < 0 {
		return ParticipantView{}, ErrParticipant
	}
	part := parts[i]
	if part.Kind == toolmatrix.Primary {
		return ParticipantView{}, apperr.New(apperr.Conflict, "cannot_remove_primary", "The primary technician ends the session instead.")
	}
	e := s.entry(sess.OrgID, p.UserID, audit.SessionParticipantRemoved, part.ID, nil).By(p.Name)
	if err := s.removeParticipant(ctx, sess, part, ReasonRemoved, req.Reason, e); err != nil {
		return ParticipantView{}, err
	}
	if !part.Removed {
		part.RemovedNote = req.Reason
	}
	part.Removed, part.RemovedWhy = true, ReasonRemoved
	return viewOf(part), nil
}

// removeParticipant writes e, which names the actor, with the participant and
// the reason filled in.
func (s *Service) removeParticipant(ctx context.Context, sess Session, part Participant, reason, note string, e audit.Entry) error {
	if !part.Removed {
		e.Details = map[string]string{"sessionId": sess.ID, "reason": reason}
		if note != "" {
			e.Details["note"] = note
		}
		e = e.Naming(part.Name)
		if err := s.store.RemoveParticipant(ctx, part, s.clock.Now(), reason, note, e); err != nil {
			return err
		}
	} else {
		note = part.RemovedNote
	}
	s.push(ctx, sess, func(ctx context.Context) error {
		return s.relay.Remove(ctx, sess.SignalURL, sess.ID, part.ID, reason, note)
	})
	return nil
}

// ToolsRequest is the body of PUT /v1/sessions/{id}/participants/{pid}/tools.
type ToolsRequest struct {
	Tools []toolmatrix.Tool `json:"tools"`
}

// SetTools switches tools for one participant, never beyond their kind.
func (s *Service) SetTools(ctx context.Context, p *access.Principal, id, participantID string, req ToolsRequest) (ParticipantView, error) {
	sess, parts, err := s.primaryOf(ctx, p, id)
	if err != nil {
		return ParticipantView{}, err
	}
	if req.Tools == nil {
		return ParticipantView{}, apperr.InvalidField("tools", "give the list of tools the participant may use")
	}
	for _, t := range req.Tools {
		if !t.Valid() {
			return ParticipantView{}, apperr.InvalidField("tools", "unknown tool "+string(t))
		}
	}
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.ID == participantID })
	if i < 0 {
		return ParticipantView{}, ErrParticipant
	}
	part := parts[i]
	tools := toolmatrix.Restrict(part.Kind, req.Tools)
	e := s.entry(sess.OrgID, p.UserID, audit.SessionToolsChanged, part.ID, map[string]string{"sessionId": sess.ID, "tools": joinTools(tools)}).By(p.Name).Naming(part.Name)
	if err := s.store.SetTools(ctx, part, tools, e); err != nil {
		return ParticipantView{}, err
	}
	part.Tools = tools
	if sess.State == Live {
		s.push(ctx, sess, func(ctx context.Context) error { return s.relay.SetTools(ctx, sess.SignalURL, sess.ID, part.ID, tools) })
	}
	s.recordSwitch(ctx, sess, parts, p.UserID, part, tools)
	return viewOf(part), nil
}

// recordSwitch keeps a tool switch in the session's record, as the primary's
// line under session_details: those who may see the session's details see
// it. The switch itself is already stored and audited; a record that cannot
// take the line (full) does not undo it.
func (s *Service) recordSwitch(ctx context.Context, sess Session, parts []Participant, actor string, part Participant, tools []toolmatrix.Tool) {
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.Kind == toolmatrix.Primary && x.UserID == actor })
	if i < 0 {
		return
	}
	now := s.clock.Now()
	list := joinTools(tools)
	if list == "" {
		list = "none"
	}
	e := RecordEntry{SessionID: sess.ID, ParticipantID: parts[i].ID, Tool: toolmatrix.SessionDetails,
		Text: "tools of " + part.Name + ": " + list, At: now, EventID: secret.NewID("sw_")}
	if err := s.store.AppendRecord(ctx, e, EventForgetAt(now)); err != nil {
		s.log.WarnContext(ctx, "tool switch not in the session record", "session", sess.ID, "err", err)
	}
}

func joinTools(ts []toolmatrix.Tool) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return strings.Join(out, ",")
}

// Event is what the relay reports of joins and leaves, and of the chat
// lines and tool messages it forwarded.
type Event struct {
	Type          string    `json:"type"` // joined, left, tool or recording
	SessionID     string    `json:"sessionId"`
	ParticipantID string    `json:"participantId"`
	At            time.Time `json:"at"`
	// Tool and Text are a tool event's tool and its chat line or fields.
	Tool string `json:"tool,omitempty"`
	Text string `json:"text,omitempty"`
	// Recording is a recording event's recording.
	Recording *Recording `json:"recording,omitempty"`
	// ID is random per event, kept across the relay's retries.
	ID string `json:"id"`
	// SentAt is when this delivery attempt was signed.
	SentAt time.Time `json:"sentAt"`
	// Quality is a quality event's connection summary (netquality.go).
	Quality *NetSummary `json:"quality,omitempty"`
}

// Record stores a relay event on the participant, and in the audit log,
// once, and only while the event is fresh (CheckEvent).
func (s *Service) Record(ctx context.Context, ev Event) error {
	if ev.Type != "joined" && ev.Type != "left" && ev.Type != "tool" && ev.Type != "quality" && ev.Type != "recording" {
		return apperr.InvalidField("type", `type must be "joined", "left", "tool", "quality" or "recording"`)
	}
	now := s.clock.Now()
	if err := CheckEvent(ev, now); err != nil {
		return err
	}
	sess, err := s.store.Session(ctx, ev.SessionID)
	if err != nil {
		return err
	}
	at := ev.At
	if at.IsZero() {
		at = s.clock.Now()
	}
	if ev.Type == "quality" {
		return s.recordQuality(ctx, sess, ev, now)
	}
	if ev.Type == "recording" {
		// Taken once per recording id and state, so the relay's retries of
		// one event, which keep its id, change nothing.
		return s.recording(ctx, sess, ev, at)
	}
	if ev.Type == "tool" {
		// The record is not audited line by line: it is the session's
		// content, kept with the session, not an act on the company.
		if err := checkRecord(ev); err != nil {
			return err
		}
		return s.store.AppendRecord(ctx, RecordEntry{SessionID: sess.ID, ParticipantID: ev.ParticipantID,
			Tool: toolmatrix.Tool(ev.Tool), Text: ev.Text, At: at, EventID: ev.ID}, EventForgetAt(now))
	}
	action := audit.SessionParticipantLeft
	if ev.Type == "joined" {
		action = audit.SessionParticipantJoined
	}
	e := s.entry(sess.OrgID, "", action, ev.ParticipantID, map[string]string{"sessionId": sess.ID}).BySystem(audit.RelayActor)
	// The relay knows participants by id only; the log keeps who they were.
	parts, err := s.store.Participants(ctx, sess.ID)
	if err != nil {
		return err
	}
	if i := slices.IndexFunc(parts, func(x Participant) bool { return x.ID == ev.ParticipantID }); i >= 0 {
		e = e.Naming(parts[i].Name)
	}
	return s.store.MarkPresence(ctx, sess.ID, ev.ParticipantID, ev.Type == "joined", at, ev.ID, EventForgetAt(now), e)
}

// DisconnectGuest removes the live session seats of a guest whose account
// was ended or whose period expired, telling the relay why.
func (s *Service) DisconnectGuest(ctx context.Context, orgID, email, reason string) error {
	parts, err := s.store.LiveParticipantsByEmail(ctx, orgID, email)
	if err != nil {
		return err
	}
	return s.disconnect(ctx, parts, reason)
}

// DisconnectMember closes the live session seats of a member removed from
// the company. A session they lead is ended, as nobody else may run it.
func (s *Service) DisconnectMember(ctx context.Context, orgID, userID, reason string) error {
	parts, err := s.store.LiveParticipantsByUser(ctx, orgID, userID)
	if err != nil {
		return err
	}
	return s.disconnect(ctx, parts, reason)
}

func (s *Service) disconnect(ctx context.Context, parts []Participant, reason string) error {
	var errs []error
	for _, part := range parts {
		sess, err := s.store.Session(ctx, part.SessionID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if sess.State != Live {
			continue
		}
		if part.Kind == toolmatrix.Primary {
			if err := s.endFor(ctx, sess, reason); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		e := s.entry(sess.OrgID, "", audit.SessionParticipantRemoved, part.ID, nil).BySystem(audit.SystemActor)
		if err := s.removeParticipant(ctx, sess, part, reason, "", e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
