// Package relay is the relay's domain: live sessions, their participants,
// join tickets checked against the revocation state (ended sessions, removed
// participants), the permission matrix applied to every tool message and to
// media, runtime tool switches, expiry and the graceful drain. It drives
// WebRTC only through the interfaces of package media and talks to clients
// only through Client, so it imports neither pion nor net/http.
package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/ticket"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Errors returned by Server.
var (
	// ErrDraining is returned for a join while the relay drains.
	ErrDraining = errors.New("relay draining")
	// ErrClosed is returned for a join after the server closed.
	ErrClosed = errors.New("relay closed")
	// ErrSessionEnded is returned for a join to an ended session.
	ErrSessionEnded = errors.New("session ended")
	// ErrRemoved is returned for a join by a participant removed from the
	// session.
	ErrRemoved = errors.New("participant removed")
	// ErrExpired is returned for a join after the participant's period.
	ErrExpired = errors.New("participant period ended")
	// ErrTicket is returned (wrapping a ticket error) for a refused ticket.
	ErrTicket = errors.New("ticket refused")
	// ErrBadReason is returned by control calls with an unknown reason.
	ErrBadReason = errors.New("unknown close reason")
	// ErrBadTool is returned by SetTools for an unknown tool.
	ErrBadTool = errors.New("unknown tool")
	// ErrSeatTaken is returned for a join of a participant who is connected
	// from another device (another seat of a reusable link).
	ErrSeatTaken = errors.New("participant connected from another device")
)

// Tickets verifies and consumes join tickets.
type Tickets interface {
	Join(token string) (ticket.Ticket, error)
}

var _ Tickets = (*ticket.Verifier)(nil)

// Events receives participants' joins and leaves. Implementations must not
// block.
type Events interface {
	Joined(sessionID, participantID string, at time.Time)
	Left(sessionID, participantID string, at time.Time)
}

// ToolEvents is an Events that also keeps the session's record: each chat
// line and tool message forwarded, with who sent it and when. It must not
// block.
type ToolEvents interface {
	Tool(sessionID, participantID string, tool toolmatrix.Tool, text string, at time.Time)
}

// Client is a participant's signaling connection.
type Client interface {
	// Send queues a message; it never blocks.
	Send(s proto.Signal)
	// Close sends a close message with reason and closes the connection.
	Close(reason string)
}

// Config holds the Server's collaborators.
type Config struct {
	Engine  media.Engine
	Tickets Tickets
	Events  Events
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RevocationTTL is how long an idle session's revocations (end, bans,
	// tool switches) are kept; zero means 24 hours.
	RevocationTTL time.Duration
	// RelayOnLoopback lets remote ICE candidates on loopback through
	// (CandidateAllowed): true only when the relay itself serves on
	// loopback.
	RelayOnLoopback bool
	// ToolRate and ToolBurst limit each participant's tool messages per
	// second; zero means 100 and 300.
	ToolRate, ToolBurst float64
	// ReconnectGrace is how long a participant's seat is held after their
	// connection drops (resume.go); zero means DefaultReconnectGrace, a
	// negative value holds no seat.
	ReconnectGrace time.Duration
	// Recorder records sessions when the primary uses the record tool;
	// nil refuses the tool with record_unavailable.
	Recorder Recorder
}

// revocation is what the control calls decided about one session. It
// outlives the session's participants.
type revocation struct {
	// history is the session's chat and tool messages as forwarded, for
	// those who join or reload later; it is kept here because a session's
	// participants may all be gone for a moment (a reload).
	history      []histEntry
	historyBytes int
	ended        bool
	endReason    string
	banned       map[string]string
	tools        map[string]toolSwitch
	touched      time.Time
}

// histEntry is one forwarded tool message in a session's history.
type histEntry struct {
	tool toolmatrix.Tool
	msg  []byte
}

// History bounds per session: the oldest messages give way.
const (
	maxHistory      = 500
	maxHistoryBytes = 512 << 10
)

// remember appends a forwarded message to sid's history.
func (s *Server) remember(sid string, tool toolmatrix.Tool, msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rev(sid, s.now())
	r.history = append(r.history, histEntry{tool: tool, msg: msg})
	r.historyBytes += len(msg)
	for len(r.history) > maxHistory || r.historyBytes > maxHistoryBytes {
		r.historyBytes -= len(r.history[0].msg)
		r.history = r.history[1:]
	}
}

// historyFor is what of sid's history p may receive.
func (s *Server) historyFor(sid string, p *Participant) []json.RawMessage {
	s.mu.Lock()
	var h []histEntry
	if r := s.revoked[sid]; r != nil {
		h = slices.Clone(r.history)
	}
	s.mu.Unlock()
	out := make([]json.RawMessage, 0, len(h))
	for _, e := range h {
		if p.mayReceive(e.tool) {
			out = append(out, e.msg)
		}
	}
	return out
}

// toolSwitch is the last tool switch of one participant and when it arrived,
// so a stored state read before it cannot undo it (ApplyStored).
type toolSwitch struct {
	tools []toolmatrix.Tool
	at    time.Time
}

// Server holds the relay's sessions.
type Server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]*Session
	revoked  map[string]*revocation
	// emptied holds when sessions lost their last participant, so the
	// revocation check keeps reading them for a while (HostedSessions).
	emptied   map[string]time.Time
	draining  bool
	closed    bool
	lastPrune time.Time
	left      chan struct{}

	count atomic.Int64
	wg    sync.WaitGroup

	camera cameraStore
	// resumes finds a participant by the id of its resume secret
	// (resume.go); guarded by mu.
	resumes map[string]*Participant
	// recWG counts recordings being finished (Close waits for them).
	recWG sync.WaitGroup
}

// NewServer returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Tickets == nil {
		return nil, errors.New("relay: engine and tickets are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Events == nil {
		cfg.Events = noEvents{}
	}
	if cfg.RevocationTTL <= 0 {
		cfg.RevocationTTL = 24 * time.Hour
	}
	if cfg.ToolRate <= 0 {
		cfg.ToolRate = 100
	}
	if cfg.ToolBurst <= 0 {
		cfg.ToolBurst = 300
	}
	return &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Now,
		sessions: make(map[string]*Session),
		revoked:  make(map[string]*revocation),
		emptied:  make(map[string]time.Time),
		left:     make(chan struct{}, 1),
	}, nil
}

type noEvents struct{}

func (noEvents) Joined(string, string, time.Time) {}
func (noEvents) Left(string, string, time.Time)   {}

// Load returns the number of connected participants.
func (s *Server) Load() int { return int(s.count.Load()) }

// Draining reports whether the server drains.
func (s *Server) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// Reason maps an error of Join to the close reason sent to the client.
func Reason(err error) string {
	if sc := (SeatClosed{}); errors.As(err, &sc) {
		return sc.Reason
	}
	switch {
	case errors.Is(err, ticket.ErrUsed):
		return proto.ReasonTicketUsed
	case errors.Is(err, ticket.ErrExpired), errors.Is(err, ticket.ErrInvalid), errors.Is(err, ErrTicket):
		return proto.ReasonTicketInvalid
	case errors.Is(err, ErrSessionEnded):
		return proto.ReasonSessionEnded
	case errors.Is(err, ErrRemoved):
		return proto.ReasonRemoved
	case errors.Is(err, ErrExpired):
		return proto.ReasonExpired
	case errors.Is(err, ErrSeatTaken):
		return proto.ReasonSeatTaken
	case errors.Is(err, ErrDraining):
		return proto.ReasonDraining
	case errors.Is(err, ErrClosed):
		return proto.ReasonShutdown
	case errors.Is(err, ErrResume):
		return proto.ReasonResumeRefused
	}
	return proto.ReasonInternal
}

// goTracked runs f on a goroutine the server waits for on Close; it reports
// false, without running f, once the server has closed.
func (s *Server) goTracked(f func()) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// rev returns sid's revocation record, creating it; s.mu must be held.
func (s *Server) rev(sid string, now time.Time) *revocation {
	r := s.revoked[sid]
	if r == nil {
		r = &revocation{banned: map[string]string{}, tools: map[string]toolSwitch{}}
		s.revoked[sid] = r
	}
	r.touched = now
	return r
}

// pruneLocked forgets revocations of idle sessions; s.mu must be held.
func (s *Server) pruneLocked(now time.Time) {
	if now.Sub(s.lastPrune) < 10*time.Minute {
		return
	}
	s.lastPrune = now
	for sid, r := range s.revoked {
		if _, live := s.sessions[sid]; !live && now.Sub(r.touched) > s.cfg.RevocationTTL {
			delete(s.revoked, sid)
		}
	}
	for sid, at := range s.emptied {
		if now.Sub(at) > hostLinger {
			delete(s.emptied, sid)
		}
	}
}

// Join verifies token, checks it against the revocation state and adds the
// participant to its session, connected to client. The participant's first
// offer has been sent when Join returns.
func (s *Server) Join(token string, client Client) (*Participant, error) {
	s.mu.Lock()
	draining, closed := s.draining, s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if draining {
		return nil, ErrDraining
	}
	t, err := s.cfg.Tickets.Join(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTicket, err)
	}
	now := s.now()
	if !t.Until.IsZero() && !now.Before(t.Until) {
		return nil, ErrExpired
	}
	if err := s.admissible(t.SessionID, t.ParticipantID, now); err != nil {
		return nil, err
	}
	p := &Participant{
		srv:    s,
		id:     t.ParticipantID,
		sid:    t.SessionID,
		kind:   t.Kind,
		name:   t.Name,
		seat:   t.Seat,
		client: &seatClient{c: client},
		subs:   make(map[*publication]media.Subscription),
		bucket: bucket{rate: s.cfg.ToolRate, burst: s.cfg.ToolBurst, tokens: s.cfg.ToolBurst, last: now},
	}
	peer, err := s.cfg.Engine.NewPeer(media.PeerConfig{
		ID:           t.SessionID + "/" + t.ParticipantID,
		PublishVideo: toolmatrix.Allowed(t.Kind, toolmatrix.Video) && t.Kind == toolmatrix.Customer,
		PublishAudio: toolmatrix.Allowed(t.Kind, toolmatrix.Mic),
	}, peerEvents{p})
	if err != nil {
		return nil, fmt.Errorf("relay: new peer: %w", err)
	}
	p.peer = peer

	// Admission is checked again under the lock that adds the participant,
	// so a control call racing with this join cannot be missed.
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		_ = peer.Close()
		if s.closed {
			return nil, ErrClosed
		}
		return nil, ErrDraining
	}
	if err := s.admissibleLocked(t.SessionID, t.ParticipantID, now); err != nil {
		s.mu.Unlock()
		_ = peer.Close()
		return nil, err
	}
	// A connection from another device does not replace the one a reusable
	// link's seat holds; a reconnect of the same device (same seat) does.
	if sess := s.sessions[t.SessionID]; sess != nil {
		if old := sess.participants[t.ParticipantID]; old != nil && old.seat != t.Seat {
			s.mu.Unlock()
			_ = peer.Close()
			return nil, ErrSeatTaken
		}
	}
	r := s.rev(t.SessionID, now)
	tools := effectiveTools(t, r)
	p.tools.Store(&tools)
	sess := s.sessions[t.SessionID]
	if sess == nil {
		sess = &Session{id: t.SessionID, srv: s, participants: map[string]*Participant{}}
		s.sessions[t.SessionID] = sess
	}
	replaced := sess.participants[t.ParticipantID]
	sess.participants[t.ParticipantID] = p
	p.sess = sess
	pubs := append([]*publication(nil), sess.pubs...)
	others := sess.othersLocked(p)
	var recording *proto.Signal
	if sess.rec != nil {
		n := sess.rec.notice(proto.RecordingStarted, "")
		recording = &n
	}
	s.count.Add(1)
	s.mu.Unlock()

	// The connection this one replaces leaves first, so that its Left
	// event precedes this Joined.
	if replaced != nil {
		replaced.close(proto.ReasonReplaced)
	}
	// Joined is emitted under p.mu so that it always precedes the Left of
	// a close racing with this join, or is not emitted at all.
	p.mu.Lock()
	if !p.closed {
		p.announced = true
		s.cfg.Events.Joined(t.SessionID, t.ParticipantID, now)
		if !t.Until.IsZero() {
			p.expiry = time.AfterFunc(t.Until.Sub(now), func() {
				s.goTracked(func() { p.close(proto.ReasonExpired) })
			})
		}
	}
	p.mu.Unlock()
	roster := make([]proto.Participant, 0, len(others))
	for _, o := range others {
		roster = append(roster, o.info())
	}
	self := p.info()
	client.Send(proto.Signal{
		Type:         proto.TypeJoined,
		SessionID:    t.SessionID,
		Participant:  &self,
		Participants: roster,
		Tools:        tools,
		Resume:       s.issueResume(p),
		GraceMs:      s.grace().Milliseconds(),
	})
	if recording != nil {
		client.Send(*recording)
	}
	if h := s.historyFor(t.SessionID, p); len(h) > 0 {
		client.Send(proto.Signal{Type: proto.TypeHistory, History: h})
	}
	s.sendCameraState(t.SessionID, p)
	for _, o := range others {
		o.client.Send(proto.Signal{Type: proto.TypeParticipantJoined, Participant: &self})
	}
	for _, pub := range pubs {
		p.subscribe(pub)
	}
	if err := peer.Start(); err != nil {
		p.close(proto.ReasonMediaFailed)
		return nil, fmt.Errorf("relay: start peer: %w", err)
	}
	s.log.Info("joined", "session", t.SessionID, "participant", t.ParticipantID, "kind", t.Kind)
	return p, nil
}

// effectiveTools are the tools a joining participant gets: those its ticket
// carries (the API's record when it was minted), less any this relay was
// told to switch off since. Taking both means neither a relay that lost its
// memory nor a ticket minted before a switch gives back a tool.
func effectiveTools(t ticket.Ticket, r *revocation) []toolmatrix.Tool {
	tools := toolmatrix.Restrict(t.Kind, t.Tools)
	if sw, ok := r.tools[t.ParticipantID]; ok {
		tools = slices.DeleteFunc(tools, func(x toolmatrix.Tool) bool { return !slices.Contains(sw.tools, x) })
	}
	return tools
}

func (s *Server) admissible(sid, pid string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admissibleLocked(sid, pid, now)
}

func (s *Server) admissibleLocked(sid, pid string, now time.Time) error {
	s.pruneLocked(now)
	r := s.revoked[sid]
	if r == nil {
		return nil
	}
	if r.ended {
		return ErrSessionEnded
	}
	if _, banned := r.banned[pid]; banned {
		return ErrRemoved
	}
	return nil
}

var endReasons = map[string]bool{
	proto.ReasonSessionEnded: true,
	proto.ReasonRemoved:      true,
	proto.ReasonAccountEnded: true,
	proto.ReasonExpired:      true,
	// Revocations the API adds: a guest switched off, a member removed.
	proto.ReasonAccountInactive: true,
	proto.ReasonMemberRemoved:   true,
}

// EndSession ends session sid: every participant is disconnected with reason
// (session_ended when empty) and every later join is refused. It returns how
// many participants were connected.
func (s *Server) EndSession(sid, reason string) (int, error) {
	if reason == "" {
		reason = proto.ReasonSessionEnded
	}
	if !endReasons[reason] {
		return 0, ErrBadReason
	}
	s.mu.Lock()
	r := s.rev(sid, s.now())
	r.ended, r.endReason = true, reason
	var ps []*Participant
	sess := s.sessions[sid]
	if sess != nil {
		ps = sess.othersLocked(nil)
	}
	s.mu.Unlock()
	s.dropCamera(sid)
	if sess != nil {
		s.stopRecording(sess, events.ReasonSessionEnded)
	}
	for _, p := range ps {
		p.client.Close(reason)
		s.goTracked(func() { p.close(reason) })
	}
	return len(ps), nil
}

// RemoveParticipant bans pid from session sid and disconnects them with
// reason (removed when empty). It reports whether they were connected.
func (s *Server) RemoveParticipant(sid, pid, reason string) (bool, error) {
	return s.RemoveWithMessage(sid, pid, reason, "")
}

// closeMessenger is a Client whose close message can carry the primary's
// words, so a removed participant reads why on their page.
type closeMessenger interface {
	CloseWith(reason, message string)
}

// RemoveWithMessage is RemoveParticipant with the primary's message for the
// removed participant, sent in their close message.
func (s *Server) RemoveWithMessage(sid, pid, reason, message string) (bool, error) {
	if len(message) > proto.MaxCloseMessageSize {
		return false, ErrBadReason
	}
	if reason == "" {
		reason = proto.ReasonRemoved
	}
	if !endReasons[reason] {
		return false, ErrBadReason
	}
	s.mu.Lock()
	r := s.rev(sid, s.now())
	r.banned[pid] = reason
	var p *Participant
	if sess := s.sessions[sid]; sess != nil {
		p = sess.participants[pid]
	}
	s.mu.Unlock()
	if p == nil {
		return false, nil
	}
	if p.kind == toolmatrix.Customer {
		s.stopRecording(p.sess, events.ReasonCustomerRemoved)
	}
	if cm, ok := p.client.(closeMessenger); ok && message != "" {
		cm.CloseWith(reason, message)
	} else {
		p.client.Close(reason)
	}
	s.goTracked(func() { p.close(reason) })
	return true, nil
}

// SetTools switches pid's tools in session sid to requested, never beyond
// their kind. It applies at once when they are connected and on their next
// join otherwise. It returns the effective tools (nil when not connected)
// and whether they were connected.
func (s *Server) SetTools(sid, pid string, requested []toolmatrix.Tool) ([]toolmatrix.Tool, bool, error) {
	for _, t := range requested {
		if !t.Valid() {
			return nil, false, fmt.Errorf("%w: %.32q", ErrBadTool, t)
		}
	}
	s.mu.Lock()
	now := s.now()
	r := s.rev(sid, now)
	r.tools[pid] = toolSwitch{tools: slices.Clone(requested), at: now}
	var p *Participant
	if sess := s.sessions[sid]; sess != nil {
		p = sess.participants[pid]
	}
	s.mu.Unlock()
	if p == nil {
		return nil, false, nil
	}
	eff := toolmatrix.Restrict(p.kind, requested)
	p.setTools(eff)
	return eff, true, nil
}

// Drain refuses new joins, tells every client the relay is going away and
// waits until they have left or until deadline, when it disconnects the
// rest. It returns when every participant is gone.
func (s *Server) Drain(deadline time.Time) {
	s.mu.Lock()
	s.draining = true
	all := s.allLocked()
	s.mu.Unlock()
	// Recordings are finished first, while their uploads have the whole
	// drain time; Close waits for them.
	s.stopAllRecordings(events.ReasonDrain)
	ms := time.Until(deadline).Milliseconds()
	for _, p := range all {
		p.client.Send(proto.Signal{Type: proto.TypeDraining, DeadlineMs: ms})
	}
	s.releaseHeldSeats(all)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for s.count.Load() > 0 {
		select {
		case <-s.left:
		case <-timer.C:
			s.closeAll(proto.ReasonShutdown)
			return
		}
	}
}

// Close disconnects every participant and waits for the server's
// goroutines. Joins fail afterwards.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stopAllRecordings(events.ReasonDrain)
	s.closeAll(proto.ReasonShutdown)
	s.wg.Wait()
	s.recWG.Wait()
}

func (s *Server) closeAll(reason string) {
	s.mu.Lock()
	all := s.allLocked()
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range all {
		p.client.Close(reason)
		wg.Go(func() { p.close(reason) })
	}
	wg.Wait()
}

func (s *Server) allLocked() []*Participant {
	var all []*Participant
	for _, sess := range s.sessions {
		all = append(all, sess.othersLocked(nil)...)
	}
	return all
}

// Session is one live session on this relay.
type Session struct {
	id  string
	srv *Server
	// participants and pubs are guarded by srv.mu.
	participants map[string]*Participant
	pubs         []*publication
	// rec is the session's recording, nil when none runs.
	rec *sessRecording
}

// othersLocked returns the session's participants except p; srv.mu must be
// held.
func (s *Session) othersLocked(p *Participant) []*Participant {
	out := make([]*Participant, 0, len(s.participants))
	for _, o := range s.participants {
		if o != p {
			out = append(out, o)
		}
	}
	return out
}

// others returns the session's participants except p.
func (s *Session) others(p *Participant) []*Participant {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	return s.othersLocked(p)
}

// publication is a track published by a participant.
type publication struct {
	owner *Participant
	track media.Track
}
