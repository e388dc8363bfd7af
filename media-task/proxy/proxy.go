// Package proxy makes the relay tasks one fleet behind one load balancer:
// whichever task accepts a signaling WebSocket reads the join ticket, finds
// the task hosting the ticket's session (the session's relayTaskId, and that
// task's privateAddr in the registry) and carries the connection there over
// the VPC. Media does not pass through: the hosting task's offer carries its
// own public address, so ICE goes straight to it.
package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/signal"
	"github.com/guestbridge/guestbridge/media-task/ticket"
)

// Target is the task hosting a session.
type Target struct {
	TaskID string
	// Addr is host:port of its signaling server in the VPC.
	Addr string
}

// Errors of a Locator.
var (
	// ErrNotPlaced: the table holds no placement for the session (local
	// runs, tests); the accepting task serves it.
	ErrNotPlaced = errors.New("session not placed")
	// ErrUnavailable: the hosting task has no live registry item.
	ErrUnavailable = unavailable{}
)

type unavailable struct{}

func (unavailable) Error() string  { return "hosting relay unavailable" }
func (unavailable) Reason() string { return proto.ReasonRelayUnavailable }

// Locator finds the task hosting a session.
type Locator interface {
	Host(ctx context.Context, sid string) (Target, error)
}

// Tickets parses join tickets without using them up: the hosting task
// uses the ticket.
type Tickets interface {
	Parse(token string) (ticket.Ticket, error)
}

// Config configures a Forwarder.
type Config struct {
	// Self is this task's registry ID.
	Self    string
	Tickets Tickets
	Locator Locator
	Logger  *slog.Logger
	// LookupTimeout bounds the placement lookup; zero means 3 s.
	LookupTimeout time.Duration
	// DialTimeout bounds the connection to the hosting task; zero means 5 s.
	DialTimeout time.Duration
}

// Forwarder implements signal.Forwarder.
type Forwarder struct{ cfg Config }

var _ signal.Forwarder = (*Forwarder)(nil)

// New returns a Forwarder.
func New(cfg Config) *Forwarder {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = 3 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	return &Forwarder{cfg: cfg}
}

// Route checks the ticket's signature and lifetime (so nobody without a
// ticket makes this task dial anywhere) and looks up the hosting task.
func (f *Forwarder) Route(ctx context.Context, tok string) (signal.Upstream, error) {
	t, err := f.cfg.Tickets.Parse(tok)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, f.cfg.LookupTimeout)
	defer cancel()
	tgt, err := f.cfg.Locator.Host(lctx, t.SessionID)
	switch {
	case tgt.TaskID != "" && tgt.TaskID == f.cfg.Self:
		return nil, nil
	case errors.Is(err, ErrNotPlaced):
		return nil, nil
	case err != nil:
		f.cfg.Logger.Warn("session host lookup failed", "session", t.SessionID, "err", err)
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case tgt.Addr == "":
		return nil, fmt.Errorf("%w: task %s has no private address", ErrUnavailable, tgt.TaskID)
	}
	return &upstream{f: f, tgt: tgt, sid: t.SessionID}, nil
}

type upstream struct {
	f   *Forwarder
	tgt Target
	sid string
}

// maxUpstreamMessage bounds one message from the hosting task (offers and
// tool history are larger than what clients may send).
const maxUpstreamMessage = 4 << 20

// Pipe implements signal.Upstream.
func (u *upstream) Pipe(ctx context.Context, join []byte, down signal.Conn) {
	log := u.f.cfg.Logger.With("session", u.sid, "host", u.tgt.TaskID)
	dctx, cancel := context.WithTimeout(ctx, u.f.cfg.DialTimeout)
	up, _, err := websocket.Dial(dctx, "ws://"+u.tgt.Addr+"/signal", nil)
	cancel()
	if err != nil {
		log.Warn("hosting relay unreachable", "addr", u.tgt.Addr, "err", err)
		down.CloseWith(proto.ReasonRelayUnavailable, "")
		return
	}
	up.SetReadLimit(maxUpstreamMessage)
	defer func() { _ = up.CloseNow() }()
	if err := up.Write(ctx, websocket.MessageText, join); err != nil {
		down.CloseWith(proto.ReasonRelayUnavailable, "")
		return
	}
	log.Debug("join forwarded")

	pctx, stop := context.WithCancel(ctx)
	defer stop()
	fromClient := make(chan struct{})
	go func() {
		defer close(fromClient)
		defer stop()
		for {
			b, err := down.Read(pctx)
			if err != nil {
				// The client left: the hosting task sees its socket close
				// and the participant leave.
				_ = up.Close(websocket.StatusNormalClosure, proto.ReasonLeft)
				return
			}
			if err := up.Write(pctx, websocket.MessageText, b); err != nil {
				return
			}
		}
	}()
	reason := proto.ReasonShutdown
	message := ""
	for {
		_, b, err := up.Read(pctx)
		if err != nil {
			break
		}
		var s proto.Signal
		if err := json.Unmarshal(b, &s); err != nil {
			log.Warn("undecodable message from hosting relay", "err", err)
			continue
		}
		if s.Type == proto.TypeClose {
			reason, message = s.Reason, s.Message
			break
		}
		down.Send(s)
	}
	if ctx.Err() != nil {
		reason = proto.ReasonShutdown
	}
	down.CloseWith(reason, message)
	stop()
	_ = up.CloseNow()
	<-fromClient
}

// PrivateAddr resolves the RELAY_PRIVATE_ADDR setting: "auto" is the first
// IPv4 address of an interface that is up and not loopback (the task's ENI
// in awsvpc mode) with the port of listen; anything else is used as is.
func PrivateAddr(setting string, listen net.Addr) (string, error) {
	if setting != "auto" {
		return setting, nil
	}
	tcp, ok := listen.(*net.TCPAddr)
	if !ok {
		return "", fmt.Errorf("proxy: listen address %v is not TCP", listen)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("proxy: interfaces: %w", err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if ok && ip.Unmap().Is4() && !ip.IsLinkLocalUnicast() {
				return net.JoinHostPort(ip.Unmap().String(), strconv.Itoa(tcp.Port)), nil
			}
		}
	}
	return "", errors.New("proxy: no IPv4 interface address for RELAY_PRIVATE_ADDR=auto")
}
