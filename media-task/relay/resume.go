package relay

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
)

// A blip is not leaving. When a participant's signaling connection drops,
// or their media stops, the seat is held for the reconnect grace: the
// others see "reconnecting", the API hears nothing, and the participant
// comes back on the same seat and the same peer connection, by an ICE
// restart when only media failed, or with the seat's resume secret over a
// new WebSocket when the socket dropped. Only when the grace runs out does
// the participant leave (one leave, never a leave and a join).

// DefaultReconnectGrace is how long a seat is held when Config leaves
// ReconnectGrace zero.
const DefaultReconnectGrace = 30 * time.Second

// ErrResume is returned by Resume for a secret that is unknown, used
// already, or presented after the seat was given up.
var ErrResume = errors.New("resume refused")

// grace is the configured reconnect grace; zero when holding seats is off.
func (s *Server) grace() time.Duration {
	switch g := s.cfg.ReconnectGrace; {
	case g < 0:
		return 0
	case g == 0:
		return DefaultReconnectGrace
	default:
		return g
	}
}

// netState is a participant's hold on its seat across network trouble,
// guarded by its mu. The server's mu may be taken while holding it, never
// the other way round.
type netState struct {
	mu sync.Mutex
	// resumeID names the current resume secret (it is the key of
	// Server.resumes); resumeHash is the secret's SHA-256. The secret
	// itself is only ever in the client's page memory.
	resumeID   string
	resumeHash [sha256.Size]byte
	// wsDown and mediaDown say what is being waited for; grace runs while
	// either is true.
	wsDown, mediaDown bool
	everConnected     bool
	grace             *time.Timer
	// since is when the interruption the grace waits out began: a seat
	// given up after the grace was left then, not when the grace ended.
	since time.Time
	// announced is the presence state the others were last told.
	announced string
	// closedReason is why the participant left, once it has: a resume
	// after a removal or an end is told so.
	closedReason string
	reconnects   int
	worst        worst
}

// seatClient is the Client a participant holds: the signaling connection of
// the moment, none while the socket is down, another after a resume.
type seatClient struct {
	mu     sync.Mutex
	c      Client
	closed bool
}

func (sc *seatClient) Send(m proto.Signal) {
	sc.mu.Lock()
	c := sc.c
	sc.mu.Unlock()
	if c != nil {
		c.Send(m)
	}
}

func (sc *seatClient) Close(reason string) { sc.CloseWith(reason, "") }

func (sc *seatClient) CloseWith(reason, message string) {
	sc.mu.Lock()
	if sc.closed {
		sc.mu.Unlock()
		return
	}
	sc.closed = true
	c := sc.c
	sc.mu.Unlock()
	if c == nil {
		return
	}
	if cm, ok := c.(closeMessenger); ok && message != "" {
		cm.CloseWith(reason, message)
		return
	}
	c.Close(reason)
}

// detach lets go of c when it is still the seat's connection.
func (sc *seatClient) detach(c Client) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed || sc.c != c {
		return false
	}
	sc.c = nil
	return true
}

// attach makes c the seat's connection and returns the one it replaces.
func (sc *seatClient) attach(c Client) (Client, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed {
		return nil, false
	}
	old := sc.c
	sc.c = c
	return old, true
}

func (p *Participant) seatConn() *seatClient { return p.client.(*seatClient) }

// issueResume makes a new resume secret for p, forgetting the previous one,
// and returns the token the client presents: the secret's id and the
// secret. It returns "" when seats are not held.
func (s *Server) issueResume(p *Participant) string {
	if s.grace() <= 0 {
		return ""
	}
	var id [16]byte
	var key [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return ""
	}
	if _, err := rand.Read(key[:]); err != nil {
		return ""
	}
	rid := base64.RawURLEncoding.EncodeToString(id[:])
	sec := base64.RawURLEncoding.EncodeToString(key[:])
	p.net.mu.Lock()
	old := p.net.resumeID
	p.net.resumeID, p.net.resumeHash = rid, sha256.Sum256([]byte(sec))
	p.net.mu.Unlock()
	s.mu.Lock()
	if s.resumes == nil {
		s.resumes = map[string]*Participant{}
	}
	if old != "" {
		delete(s.resumes, old)
	}
	s.resumes[rid] = p
	s.mu.Unlock()
	return rid + "." + sec
}

// Resume puts the participant whose resume token this is back on its seat,
// connected to client. The token is used up: the resumed message carries
// the next. It is refused once the participant left (the grace ran out, they
// left, were removed, the session or their account ended), and while the
// relay drains (the client joins another relay with a new ticket).
func (s *Server) Resume(token string, client Client) (*Participant, error) {
	s.mu.Lock()
	draining, closed := s.draining, s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if draining {
		return nil, ErrDraining
	}
	rid, secret, ok := strings.Cut(token, ".")
	if !ok || rid == "" || secret == "" {
		return nil, ErrResume
	}
	s.mu.Lock()
	p := s.resumes[rid]
	s.mu.Unlock()
	if p == nil {
		return nil, ErrResume
	}
	h := sha256.Sum256([]byte(secret))
	p.net.mu.Lock()
	if p.net.resumeID != rid || subtle.ConstantTimeCompare(h[:], p.net.resumeHash[:]) != 1 {
		p.net.mu.Unlock()
		return nil, ErrResume
	}
	if r := p.net.closedReason; r != "" {
		p.net.mu.Unlock()
		return nil, closedErr(r)
	}
	// Used up at once, under the lock that checked it: a second
	// presentation of the same secret finds another id.
	p.net.resumeID = ""
	p.net.mu.Unlock()
	s.mu.Lock()
	delete(s.resumes, rid)
	err := s.admissibleLocked(p.sid, p.id, s.now())
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	old, ok := p.seatConn().attach(client)
	if !ok {
		return nil, ErrResume
	}
	if old != nil {
		// The socket the client gave up on, still open on this side.
		old.Close(proto.ReasonReplaced)
	}
	next := s.issueResume(p)
	p.net.mu.Lock()
	p.net.wsDown = false
	p.net.reconnects++
	mediaDown := p.net.mediaDown
	p.net.mu.Unlock()

	others := p.sess.others(p)
	roster := make([]proto.Participant, 0, len(others))
	for _, o := range others {
		roster = append(roster, o.info())
	}
	self := p.info()
	client.Send(proto.Signal{
		Type: proto.TypeResumed, SessionID: p.sid, Participant: &self, Participants: roster,
		Tools: p.Tools(), Resume: next, GraceMs: s.grace().Milliseconds(),
	})
	if h := s.historyFor(p.sid, p); len(h) > 0 {
		client.Send(proto.Signal{Type: proto.TypeHistory, History: h})
	}
	// An offer sent while the socket was down is lost: offer again, with
	// an ICE restart when media is down too.
	if r, ok := p.peer.(media.Restarter); ok {
		if err := r.Reoffer(mediaDown); err != nil {
			s.log.Warn("offer after resume failed", "participant", p.id, "err", err)
		}
	}
	p.settle()
	s.log.Info("resumed", "session", p.sid, "participant", p.id)
	return p, nil
}

// SeatClosed is the error of a resume after the participant left for a
// reason the client must hear as such (removed, session_ended,
// account_ended, ...): it is the close reason the refusal carries.
type SeatClosed struct{ Reason string }

func (e SeatClosed) Error() string { return "seat closed: " + e.Reason }

// closedErr is the error of a resume after the participant left for reason.
func closedErr(reason string) error {
	if endReasons[reason] {
		return SeatClosed{Reason: reason}
	}
	return ErrResume
}

// Dropped tells the relay that client, the participant's signaling
// connection, is gone without a close message. The seat is held for the
// grace unless holding seats is off.
func (p *Participant) Dropped(client Client) {
	if p.srv.grace() <= 0 {
		p.Leave(proto.ReasonLeft)
		return
	}
	if p.srv.Draining() {
		// No resume while draining: the seat is not worth holding.
		if p.seatConn().detach(client) {
			p.Leave(proto.ReasonDraining)
		}
		return
	}
	if !p.seatConn().detach(client) {
		return // replaced by a resume, or the participant is gone
	}
	p.net.mu.Lock()
	p.net.wsDown = true
	p.startGraceLocked()
	p.net.mu.Unlock()
	p.settle()
}

// mediaDown marks the participant's media as interrupted; failed says ICE
// gave up, so only a restart brings it back.
func (p *Participant) mediaLost(failed bool) {
	p.net.mu.Lock()
	p.net.mediaDown = true
	p.startGraceLocked()
	p.net.mu.Unlock()
	if failed {
		p.restartICE()
	}
	p.settle()
}

// restartICE asks the peer for an ICE restart offer; while the socket is
// down the resume sends one instead.
func (p *Participant) restartICE() {
	if r, ok := p.peer.(media.Restarter); ok {
		if err := r.RestartICE(); err != nil {
			p.srv.log.Debug("ice restart failed", "participant", p.id, "err", err)
		}
	}
}

// startGraceLocked starts the grace once per interruption; p.net.mu must be
// held.
func (p *Participant) startGraceLocked() {
	if p.net.grace != nil {
		return
	}
	p.net.since = p.srv.now()
	p.net.grace = time.AfterFunc(p.srv.grace(), func() {
		p.net.mu.Lock()
		reason := proto.ReasonLeft
		if !p.net.wsDown && p.net.mediaDown {
			reason = proto.ReasonMediaFailed
		}
		p.net.mu.Unlock()
		p.srv.goTracked(func() { p.close(reason) })
	})
}

// settle stops the grace once nothing is waited for any more and tells the
// others when the participant's presence changed.
func (p *Participant) settle() {
	p.net.mu.Lock()
	state := proto.PresenceConnected
	if p.net.wsDown || p.net.mediaDown {
		state = proto.PresenceReconnecting
	} else if p.net.grace != nil {
		p.net.grace.Stop()
		p.net.grace = nil
		p.net.since = time.Time{}
	}
	changed := p.net.announced != state && !(p.net.announced == "" && state == proto.PresenceConnected)
	p.net.announced = state
	p.net.mu.Unlock()
	if !changed {
		return
	}
	self := p.info()
	for _, o := range p.sess.others(p) {
		o.client.Send(proto.Signal{Type: proto.TypePresence, Participant: &self, State: state})
	}
}

// presence is the participant's state as the others see it.
func (p *Participant) presence() string {
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	if p.net.wsDown || p.net.mediaDown {
		return proto.PresenceReconnecting
	}
	return ""
}

// netClosed ends the seat's hold when the participant leaves: the grace
// stops and the resume secret is kept a while only to say why a resume is
// refused.
func (p *Participant) netClosed(reason string) {
	p.net.mu.Lock()
	if p.net.grace != nil {
		p.net.grace.Stop()
		p.net.grace = nil
	}
	p.net.closedReason = reason
	rid := p.net.resumeID
	sum, measured := p.summaryLocked(), p.net.worst.samples > 0 || p.net.reconnects > 0
	p.net.mu.Unlock()
	s := p.srv
	if qe, ok := s.cfg.Events.(QualityEvents); ok && measured {
		p.mu.Lock()
		announced := p.announced
		p.mu.Unlock()
		if announced {
			qe.Quality(p.sid, p.id, sum, s.now())
		}
	}
	if rid == "" {
		return
	}
	time.AfterFunc(s.grace(), func() {
		s.mu.Lock()
		if s.resumes[rid] == p {
			delete(s.resumes, rid)
		}
		s.mu.Unlock()
	})
}

// holdSeat is the relay's answer to a media failure: once the participant
// had media, the seat is held and ICE restarted instead of leaving.
func (p *Participant) holdSeat() bool {
	if p.srv.grace() <= 0 {
		return false
	}
	// A participant on its way out (closing its tracks renegotiates, which
	// may fail) has no seat left to hold, and its close is already running.
	p.mu.Lock()
	leaving := p.closed
	p.mu.Unlock()
	if leaving {
		return true
	}
	p.net.mu.Lock()
	ever := p.net.everConnected
	p.net.mu.Unlock()
	if !ever {
		return false
	}
	p.mediaLost(true)
	return true
}

var _ media.StateEvents = peerEvents{}

// Disconnected marks media as interrupted: others see reconnecting at once.
func (e peerEvents) Disconnected() {
	if e.p.srv.grace() > 0 {
		e.p.mediaLost(false)
	}
}

// Connected marks media as flowing (again).
func (e peerEvents) Connected() {
	p := e.p
	p.net.mu.Lock()
	again := p.net.everConnected && p.net.mediaDown
	p.net.everConnected = true
	p.net.mediaDown = false
	p.net.mu.Unlock()
	if again {
		// Both ways a picture needs a key frame after a gap: the
		// participant's own camera, and what they watch.
		for _, pub := range p.ownPubs() {
			pub.track.RequestKeyframe()
		}
		for _, pub := range p.watched() {
			pub.track.RequestKeyframe()
		}
	}
	p.settle()
}

// watched returns the publications the participant is subscribed to.
func (p *Participant) watched() []*publication {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*publication, 0, len(p.subs))
	for pub := range p.subs {
		out = append(out, pub)
	}
	return out
}

// ownPubs returns the participant's publications.
func (p *Participant) ownPubs() []*publication {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*publication(nil), p.pubs...)
}

// releaseHeldSeats ends the seats waiting for a resume when the relay
// starts draining: a resume is refused from now on, so their holders join
// another relay with a new ticket, and the drain need not wait out the
// grace.
func (s *Server) releaseHeldSeats(all []*Participant) {
	for _, p := range all {
		p.net.mu.Lock()
		held := p.net.wsDown
		p.net.mu.Unlock()
		if held {
			s.goTracked(func() { p.close(proto.ReasonDraining) })
		}
	}
}

// leftAt is when the participant left: when the interruption began if the
// seat was given up after it, else now.
func (p *Participant) leftAt() time.Time {
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	if !p.net.since.IsZero() {
		return p.net.since
	}
	return p.srv.now()
}
