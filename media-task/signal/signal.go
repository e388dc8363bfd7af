// Package signal serves the relay's WebSocket signaling: a client opens the
// socket, sends {"type":"join","ticket":...} and then exchanges offers,
// answers and trickled candidates as JSON messages (see package proto) until
// either side closes with a reason.
package signal

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/relay"
)

// Timing of a connection.
const (
	// JoinTimeout is how long a client has to send its join message.
	JoinTimeout = 10 * time.Second
	// writeTimeout bounds one message write.
	writeTimeout = 5 * time.Second
	// pingInterval keeps idle sockets alive through NATs.
	pingInterval = 25 * time.Second
	// sendQueue is how many messages may wait for a slow client before it
	// is disconnected.
	sendQueue = 128
	// maxBadMessages is how many undecodable messages a joined client may
	// send before it is disconnected.
	maxBadMessages = 8
)

// Relay is what the handler needs of the relay.
type Relay interface {
	Join(token string, c relay.Client) (*relay.Participant, error)
	// Resume puts a participant whose connection dropped back on its
	// seat.
	Resume(token string, c relay.Client) (*relay.Participant, error)
}

var _ Relay = (*relay.Server)(nil)

// DefaultMaxPending is how many connections one client address may hold
// open before their join is accepted, unless configured otherwise.
const DefaultMaxPending = 8

// Handler upgrades requests to signaling WebSockets.
type Handler struct {
	relay   Relay
	log     *slog.Logger
	options websocket.AcceptOptions
	// maxPending bounds each client address's connections that have not
	// joined yet: those cost a goroutine and a socket for up to JoinTimeout
	// without any credential.
	maxPending int
	pending    map[netip.Addr]int

	forward    Forwarder
	forwarding atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// NewHandler returns a Handler. origins are the accepted Origin host
// patterns; "*" accepts any origin (the ticket is the credential).
// maxPending bounds each client address's connections that have not joined
// yet (zero means DefaultMaxPending); beyond it a request is answered 429.
func NewHandler(r Relay, origins []string, maxPending int, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{relay: r, log: log, ctx: ctx, cancel: cancel, maxPending: maxPending, pending: map[netip.Addr]int{}}
	if slices.Contains(origins, "*") {
		h.options.InsecureSkipVerify = true
	} else {
		h.options.OriginPatterns = origins
	}
	return h
}

// Close ends every connection still waiting for its join and waits for all
// connection goroutines. Joined connections end when the relay closes their
// participants.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// begin registers a connection; it reports false once the handler closed.
func (h *Handler) begin() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// clientAddr is the address a request came from. The relay's load
// balancer preserves client addresses, so RemoteAddr is the client's.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// reserve counts a connection of addr that has not joined yet; it reports
// false when addr already holds maxPending.
func (h *Handler) reserve(addr netip.Addr) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending[addr] >= h.maxPending {
		return false
	}
	h.pending[addr]++
	return true
}

// release ends the count reserve began.
func (h *Handler) release(addr netip.Addr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending[addr]--; h.pending[addr] <= 0 {
		delete(h.pending, addr)
	}
}

// Pending returns how many connections have not joined yet, over all
// addresses.
func (h *Handler) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.pending {
		n += c
	}
	return n
}

// ServeHTTP serves one signaling connection for its whole life.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.begin() {
		http.Error(w, "relay shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	addr := clientAddr(r)
	if !h.reserve(addr) {
		h.log.Warn("connection refused: too many unauthenticated connections", "addr", addr.String())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", strconv.Itoa(int(JoinTimeout/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"too_many_connections","message":"Too many connections from this address are waiting to join; try again shortly."}}` + "\n"))
		return
	}
	reserved := true
	unreserve := func() {
		if reserved {
			reserved = false
			h.release(addr)
		}
	}
	defer unreserve()
	conn, err := websocket.Accept(w, r, &h.options)
	if err != nil {
		return
	}
	conn.SetReadLimit(proto.MaxSignalSize)
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	c := newClient(ctx, conn, h.log)
	defer c.wait()

	jctx, jcancel := context.WithTimeout(ctx, JoinTimeout)
	_, data, err := conn.Read(jctx)
	jcancel()
	if err != nil {
		c.Close(proto.ReasonProtocolError)
		return
	}
	msg, err := proto.DecodeSignal(data)
	if err != nil || (msg.Type != proto.TypeJoin && msg.Type != proto.TypeResume) {
		c.Close(proto.ReasonProtocolError)
		return
	}
	var p *relay.Participant
	if msg.Type == proto.TypeResume {
		// A resume is taken by the task that holds the seat; through another
		// task it is refused and the page joins again.
		p, err = h.relay.Resume(msg.Resume, c)
	} else {
		if h.forward != nil {
			up, err := h.forward.Route(ctx, msg.Ticket)
			if err != nil {
				unreserve()
				reason := relay.Reason(err)
				var rr interface{ Reason() string }
				if errors.As(err, &rr) {
					reason = rr.Reason()
				}
				h.log.Info("join refused", "reason", reason, "err", err)
				c.Close(reason)
				return
			}
			if up != nil {
				// The ticket's signature was checked: the connection is no
				// longer anonymous, and it is carried to the hosting task.
				unreserve()
				h.forwarding.Add(1)
				defer h.forwarding.Add(-1)
				up.Pipe(ctx, data, forwardConn{c})
				return
			}
		}
		p, err = h.relay.Join(msg.Ticket, c)
	}
	// From here the connection either holds a verified ticket or ends.
	unreserve()
	if err != nil {
		reason := relay.Reason(err)
		if reason == proto.ReasonInternal {
			h.log.Error("join failed", "err", err)
		} else {
			h.log.Info("join refused", "reason", reason, "err", err)
		}
		c.Close(reason)
		return
	}
	bad := 0
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			// Without a close message this is a drop, not a leave: the
			// seat waits for a resume (relay/resume.go).
			p.Dropped(c)
			return
		}
		msg, err := proto.DecodeSignal(data)
		if err != nil {
			bad++
			if bad > maxBadMessages {
				p.Leave(proto.ReasonProtocolError)
				return
			}
			c.Send(proto.Signal{Type: "error", Error: &proto.Error{Code: "bad_message", Message: "message refused"}})
			continue
		}
		if msg.Type == proto.TypeJoin || msg.Type == proto.TypeResume {
			continue
		}
		p.HandleSignal(msg)
	}
}

// Forwarder sends joins of sessions another relay task hosts to that task.
type Forwarder interface {
	// Route returns nil when this task hosts the ticket's session, or the
	// connection to the hosting task; an error refuses the join with
	// relay.Reason(err).
	Route(ctx context.Context, ticket string) (Upstream, error)
}

// Upstream is a connection to the task hosting a session.
type Upstream interface {
	// Pipe sends join and then carries messages both ways until either
	// side ends; it closes down with the hosting task's reason.
	Pipe(ctx context.Context, join []byte, down Conn)
}

// Conn is the client's side of a forwarded connection.
type Conn interface {
	Read(ctx context.Context) ([]byte, error)
	Send(s proto.Signal)
	CloseWith(reason, message string)
}

// SetForwarder makes the handler forward joins of sessions hosted by other
// tasks; set it before serving.
func (h *Handler) SetForwarder(f Forwarder) { h.forward = f }

// Forwarding returns how many connections are being carried to other
// tasks.
func (h *Handler) Forwarding() int { return int(h.forwarding.Load()) }

type forwardConn struct{ *client }

func (f forwardConn) Read(ctx context.Context) ([]byte, error) {
	_, b, err := f.conn.Read(ctx)
	return b, err
}

// client is one connection's writer side; it implements relay.Client.
type client struct {
	conn *websocket.Conn
	log  *slog.Logger
	out  chan []byte
	// presence coalesces participant_joined/left apart from out.
	presence *presence
	// writeFn writes one message; the socket's writer unless a test
	// stands in for a client that does not read.
	writeFn func(ctx context.Context, b []byte) error

	mu      sync.Mutex
	closed  bool
	reason  string
	message string
	closing chan struct{}
	done    chan struct{}
}

var _ relay.Client = (*client)(nil)

func newClient(ctx context.Context, conn *websocket.Conn, log *slog.Logger) *client {
	c := &client{
		conn:     conn,
		log:      log,
		out:      make(chan []byte, sendQueue),
		presence: newPresence(),
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	go c.writeLoop(ctx)
	return c
}

// Send queues a message. Presence messages are coalesced per participant
// and never fill the queue; a client whose queue of other messages
// (offers, candidates) still overflows is closed with client_too_slow.
func (c *client) Send(s proto.Signal) {
	b, err := s.Encode()
	if err != nil {
		c.log.Error("encode signal", "err", err)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if isPresence(s) {
		c.presence.put(s.Participant.ID, b)
		c.mu.Unlock()
		return
	}
	select {
	case c.out <- b:
		c.mu.Unlock()
	default:
		c.mu.Unlock()
		c.log.Warn("signaling queue full: client too slow", "queued", sendQueue)
		c.CloseWith(proto.ReasonClientTooSlow, "")
	}
}

// writePresence writes the coalesced presence messages.
func (c *client) writePresence(ctx context.Context) error {
	for _, b := range c.presence.take() {
		if err := c.write(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// Close sends {"type":"close","reason":reason} after the queued messages and
// closes the socket. Only the first call counts.
func (c *client) Close(reason string) { c.CloseWith(reason, "") }

// CloseWith is Close with a message for the person, sent in the close
// message.
func (c *client) CloseWith(reason, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.reason, c.message = reason, message
	close(c.closing)
}

// wait closes the connection if nobody did and waits for the writer.
func (c *client) wait() {
	c.Close(proto.ReasonLeft)
	<-c.done
}

func (c *client) write(ctx context.Context, b []byte) error {
	if c.writeFn != nil {
		return c.writeFn(ctx, b)
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return c.conn.Write(wctx, websocket.MessageText, b)
}

func (c *client) writeLoop(ctx context.Context) {
	defer close(c.done)
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	fail := func() {
		_ = c.conn.CloseNow()
		c.Close(proto.ReasonLeft)
		<-c.closing
	}
	for {
		// Queued messages go first, so a presence change is never written
		// before a message queued ahead of it (the joined welcome).
		select {
		case b := <-c.out:
			if err := c.write(ctx, b); err != nil {
				fail()
				return
			}
			continue
		default:
		}
		select {
		case b := <-c.out:
			if err := c.write(ctx, b); err != nil {
				fail()
				return
			}
		case <-c.presence.pending:
			if err := c.writePresence(ctx); err != nil {
				fail()
				return
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.conn.Ping(pctx)
			cancel()
			if err != nil && !errors.Is(err, context.Canceled) {
				_ = c.conn.CloseNow()
				c.Close(proto.ReasonLeft)
			}
		case <-c.closing:
			c.finish(ctx)
			return
		case <-ctx.Done():
			c.Close(proto.ReasonShutdown)
			c.finish(context.Background())
			return
		}
	}
}

// finish flushes queued messages, sends the close message and closes the
// socket.
func (c *client) finish(ctx context.Context) {
	c.mu.Lock()
	reason, message := c.reason, c.message
	c.mu.Unlock()
	for {
		select {
		case b := <-c.out:
			if err := c.write(ctx, b); err != nil {
				_ = c.conn.CloseNow()
				return
			}
			continue
		default:
		}
		break
	}
	if err := c.writePresence(ctx); err != nil {
		_ = c.conn.CloseNow()
		return
	}
	if b, err := (proto.Signal{Type: proto.TypeClose, Reason: reason, Message: message}).Encode(); err == nil {
		_ = c.write(ctx, b)
	}
	status := websocket.StatusNormalClosure
	if reason == proto.ReasonProtocolError {
		status = websocket.StatusPolicyViolation
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.conn.Close(status, reason)
	}()
	select {
	case <-done:
	case <-cctx.Done():
		_ = c.conn.CloseNow()
		<-done
	}
}
