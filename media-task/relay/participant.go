package relay

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Participant is one connected participant of a session.
type Participant struct {
	srv  *Server
	sess *Session
	id   string
	sid  string
	kind toolmatrix.Kind
	name string
	// seat names the device of a reusable link (ticket.Ticket.Seat).
	seat   string
	client Client
	peer   media.Peer
	expiry *time.Timer

	tools atomic.Pointer[[]toolmatrix.Tool]

	mu        sync.Mutex
	subs      map[*publication]media.Subscription
	pubs      []*publication
	closed    bool
	announced bool
	bucket    bucket
	// lastLimited is when a rate_limited error was last sent back.
	lastLimited time.Time

	closeOnce sync.Once
	// net holds the seat through network trouble (resume.go).
	net netState
}

// ID returns the participant id.
func (p *Participant) ID() string { return p.id }

// SessionID returns the session id.
func (p *Participant) SessionID() string { return p.sid }

// Kind returns the participant's kind.
func (p *Participant) Kind() toolmatrix.Kind { return p.kind }

// Tools returns the participant's effective tools.
func (p *Participant) Tools() []toolmatrix.Tool { return slices.Clone(*p.tools.Load()) }

func (p *Participant) info() proto.Participant {
	return proto.Participant{ID: p.id, Kind: p.kind, Name: p.name, State: p.presence()}
}

func (p *Participant) has(t toolmatrix.Tool) bool { return slices.Contains(*p.tools.Load(), t) }

// mayReceive applies the matrix to delivering a tool message to p: the kind
// must receive the tool, and a tool the kind uses must not be switched off
// for p.
func (p *Participant) mayReceive(t toolmatrix.Tool) bool {
	if !toolmatrix.Receives(p.kind, t) {
		return false
	}
	return !toolmatrix.Allowed(p.kind, t) || p.has(t)
}

// HandleSignal applies a message from the client.
func (p *Participant) HandleSignal(s proto.Signal) {
	switch s.Type {
	case proto.TypeAnswer:
		sdp, dropped := filterSDPCandidates(s.SDP, p.srv.cfg.RelayOnLoopback)
		if dropped > 0 {
			p.srv.log.Debug("answer candidates ignored", "participant", p.id, "dropped", dropped)
		}
		if err := p.peer.SetAnswer(sdp); errors.Is(err, media.ErrNoOffer) {
			// A late answer to an offer a resume replaced.
			p.srv.log.Debug("answer without an offer ignored", "participant", p.id)
		} else if err != nil {
			p.srv.log.Warn("answer refused", "participant", p.id, "err", err)
			p.Leave(proto.ReasonProtocolError)
		}
	case proto.TypeCandidate:
		if s.Candidate.Candidate == "" {
			return
		}
		if !candidateAllowed(s.Candidate.Candidate, p.srv.cfg.RelayOnLoopback) {
			p.srv.log.Debug("candidate ignored", "participant", p.id, "candidate", s.Candidate.Candidate)
			return
		}
		if err := p.peer.AddCandidate(*s.Candidate); err != nil {
			p.srv.log.Debug("candidate refused", "participant", p.id, "err", err)
		}
	case proto.TypeRestart:
		p.restartICE()
	case proto.TypeClose:
		p.Leave(proto.ReasonLeft)
	}
}

// Leave disconnects the participant with reason and waits until it is gone.
func (p *Participant) Leave(reason string) { p.close(reason) }

// close tears the participant down once: the client is told why, the
// session forgets it, its publications end for the others, and its peer is
// closed.
func (p *Participant) close(reason string) {
	p.closeOnce.Do(func() {
		s := p.srv
		p.netClosed(reason)
		p.client.Close(reason)
		p.leaveRecording(reason)

		p.mu.Lock()
		if p.expiry != nil {
			p.expiry.Stop()
		}
		p.closed = true
		announced := p.announced
		pubs := p.pubs
		p.pubs = nil
		subs := p.subs
		p.subs = map[*publication]media.Subscription{}
		p.mu.Unlock()

		s.mu.Lock()
		sess := p.sess
		current := sess.participants[p.id] == p
		if current {
			delete(sess.participants, p.id)
		}
		sess.pubs = slices.DeleteFunc(sess.pubs, func(pub *publication) bool { return pub.owner == p })
		others := sess.othersLocked(p)
		if len(sess.participants) == 0 && s.sessions[sess.id] == sess {
			delete(s.sessions, sess.id)
			s.emptied[sess.id] = s.now()
		}
		s.mu.Unlock()

		for _, pub := range pubs {
			for _, o := range others {
				o.unsubscribe(pub)
			}
		}
		for _, sub := range subs {
			_ = sub.Close()
		}
		_ = p.peer.Close()

		left := p.info()
		for _, o := range others {
			if o.id != p.id {
				o.client.Send(proto.Signal{Type: proto.TypeParticipantLeft, Participant: &left, Reason: reason})
			}
		}
		s.count.Add(-1)
		select {
		case s.left <- struct{}{}:
		default:
		}
		if announced {
			s.cfg.Events.Left(p.sid, p.id, p.leftAt())
		}
		s.log.Info("left", "session", p.sid, "participant", p.id, "reason", reason)

	})
}

// subscribe forwards pub to p when the matrix lets p receive it.
func (p *Participant) subscribe(pub *publication) {
	if pub.owner == p || pub.owner.id == p.id {
		return
	}
	video := pub.track.Kind() == media.Video
	if video && !toolmatrix.Allowed(p.kind, toolmatrix.Video) {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	if _, dup := p.subs[pub]; dup {
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()

	sub, err := p.peer.Subscribe(pub.track)
	if err != nil {
		if !errors.Is(err, media.ErrClosed) {
			p.srv.log.Warn("subscribe failed", "participant", p.id, "track", pub.track.ID(), "err", err)
		}
		return
	}
	sub.SetEnabled(!video || p.has(toolmatrix.Video))

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = sub.Close()
		return
	}
	p.subs[pub] = sub
	p.mu.Unlock()
}

func (p *Participant) unsubscribe(pub *publication) {
	p.mu.Lock()
	sub := p.subs[pub]
	delete(p.subs, pub)
	p.mu.Unlock()
	if sub != nil {
		_ = sub.Close()
	}
}

// setTools applies a new effective tool set at once: media switched on or
// off, and the client told.
func (p *Participant) setTools(tools []toolmatrix.Tool) {
	p.tools.Store(&tools)
	if !p.has(toolmatrix.Record) {
		p.recordToolOff()
	}
	p.mu.Lock()
	pubs := slices.Clone(p.pubs)
	subs := make(map[*publication]media.Subscription, len(p.subs))
	for pub, sub := range p.subs {
		subs[pub] = sub
	}
	p.mu.Unlock()
	for _, pub := range pubs {
		pub.track.SetEnabled(p.publishEnabled(pub.track.Kind()))
	}
	for pub, sub := range subs {
		sub.SetEnabled(pub.track.Kind() != media.Video || p.has(toolmatrix.Video))
	}
	p.client.Send(proto.Signal{Type: proto.TypeTools, Tools: tools})
}

func (p *Participant) publishEnabled(k media.Kind) bool {
	if k == media.Video {
		return p.has(toolmatrix.Video)
	}
	return p.has(toolmatrix.Mic)
}

// publish makes a track the participant publishes available to the others.
func (p *Participant) publish(t media.Track) {
	t.SetEnabled(p.publishEnabled(t.Kind()))
	pub := &publication{owner: p, track: t}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.pubs = append(p.pubs, pub)
	p.mu.Unlock()

	s := p.srv
	s.mu.Lock()
	if s.sessions[p.sid] != p.sess || p.sess.participants[p.id] != p {
		s.mu.Unlock()
		return
	}
	p.sess.pubs = append(p.sess.pubs, pub)
	others := p.sess.othersLocked(p)
	s.mu.Unlock()
	for _, o := range others {
		o.subscribe(pub)
	}
	t.RequestKeyframe()
}

func (p *Participant) unpublish(t media.Track) {
	p.mu.Lock()
	var pub *publication
	p.pubs = slices.DeleteFunc(p.pubs, func(x *publication) bool {
		if x.track == t {
			pub = x
			return true
		}
		return false
	})
	p.mu.Unlock()
	if pub == nil {
		return
	}
	s := p.srv
	s.mu.Lock()
	p.sess.pubs = slices.DeleteFunc(p.sess.pubs, func(x *publication) bool { return x == pub })
	others := p.sess.othersLocked(p)
	s.mu.Unlock()
	for _, o := range others {
		o.unsubscribe(pub)
	}
}

// handleTool enforces the matrix on one data-channel message: a tool the
// sender may not use is refused with an error back to the sender and never
// forwarded; everyone else receives it only if they may see that tool.
func (p *Participant) handleTool(msg []byte) {
	m, err := proto.DecodeTool(msg)
	if err != nil {
		code := proto.CodeToolInvalid
		p.replyError(proto.ToolError{Code: code, Message: "invalid tool message", Tool: m.Tool, ID: m.ID})
		return
	}
	if p.handleCamera(m) {
		return
	}
	if !toolmatrix.Allowed(p.kind, m.Tool) || !p.has(m.Tool) {
		p.replyError(proto.ToolError{Code: proto.CodeToolForbidden, Message: "tool not allowed", Tool: m.Tool, ID: m.ID})
		return
	}
	now := p.srv.now()
	p.mu.Lock()
	ok := p.bucket.take(now)
	notify := !ok && now.Sub(p.lastLimited) >= time.Second
	if notify {
		p.lastLimited = now
	}
	p.mu.Unlock()
	if !ok {
		if notify {
			p.replyError(proto.ToolError{Code: proto.CodeRateLimited, Message: "too many tool messages", Tool: m.Tool, ID: m.ID})
		}
		return
	}
	out, err := m.Forward(p.info())
	if err != nil {
		p.replyError(proto.ToolError{Code: proto.CodeToolInvalid, Message: "invalid tool message", Tool: m.Tool, ID: m.ID})
		return
	}
	if m.Tool == toolmatrix.Record && !p.handleRecord(m) {
		return
	}
	// A request for a still and its upload slot are for the customer's page
	// alone, and only while they are fresh: never in the history.
	direct := toolmatrix.CustomerOnly(m.Tool, m.Step())
	if direct && !p.kind.Technician() {
		p.replyError(proto.ToolError{Code: proto.CodeToolForbidden, Message: "tool not allowed", Tool: m.Tool, ID: m.ID})
		return
	}
	if !direct {
		p.srv.remember(p.sid, m.Tool, out)
	}
	if te, ok := p.srv.cfg.Events.(ToolEvents); ok {
		te.Tool(p.sid, p.id, m.Tool, m.Text(), now)
	}
	for _, o := range p.sess.others(p) {
		if direct && o.kind != toolmatrix.Customer {
			continue
		}
		if o.mayReceive(m.Tool) {
			if err := o.peer.SendData(out); err != nil {
				p.srv.log.Debug("tool message dropped", "to", o.id, "err", err)
			}
		}
	}
}

func (p *Participant) replyError(e proto.ToolError) {
	_ = p.peer.SendData(proto.EncodeToolError(e))
}

// peerEvents adapts a Participant to media.PeerEvents.
type peerEvents struct{ p *Participant }

var _ media.PeerEvents = peerEvents{}

func (e peerEvents) Offer(sdp string) {
	e.p.client.Send(proto.Signal{Type: proto.TypeOffer, SDP: sdp})
}

func (e peerEvents) Candidate(c proto.Candidate) {
	e.p.client.Send(proto.Signal{Type: proto.TypeCandidate, Candidate: &c})
}

func (e peerEvents) Track(t media.Track) { e.p.publish(t) }

func (e peerEvents) TrackEnded(t media.Track) { e.p.unpublish(t) }

func (e peerEvents) Data(msg []byte) { e.p.handleTool(msg) }

// Failed closes the participant on a goroutine of its own: the engine's
// callback goroutine must not wait for the peer it belongs to.
func (e peerEvents) Failed(err error) {
	p := e.p
	p.srv.log.Info("media failed", "participant", p.id, "err", err)
	if p.holdSeat() {
		return
	}
	p.srv.goTracked(func() { p.close(proto.ReasonMediaFailed) })
}

// bucket is a token bucket limiting tool messages.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) take(now time.Time) bool {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(b.burst, b.tokens+el*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
