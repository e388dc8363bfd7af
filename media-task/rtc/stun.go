package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/pion/stun/v4"
)

// DiscoverOptions tune DiscoverPublicIP.
type DiscoverOptions struct {
	// LocalIP is the address the request is sent from; its family is the
	// family asked about. Empty means any IPv4 address, the family the
	// engine binds by default.
	LocalIP string
	// Attempts is how many times the binding request is sent; zero means 5.
	Attempts int
	// Timeout is how long the first request waits for its answer; each
	// retransmission waits twice as long as the one before, at most 3 s.
	// Zero means 500 ms (5 attempts span about 9.5 s).
	Timeout time.Duration
	// Logger logs failed attempts; nil means slog.Default().
	Logger *slog.Logger
}

// ErrNoSTUNAnswer is wrapped by DiscoverPublicIP when the server never gave
// a usable answer.
var ErrNoSTUNAnswer = errors.New("no answer from the STUN server")

// DiscoverPublicIP asks the STUN server at server (host:port) for this
// host's public address with a binding request (RFC 8489) sent from a UDP
// socket of LocalIP's family, and returns the XOR-MAPPED-ADDRESS of the
// answer. The request is retransmitted, and the server's name resolved
// again, until an answer or the attempts run out.
func DiscoverPublicIP(ctx context.Context, server string, o DiscoverOptions) (netip.Addr, error) {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Timeout <= 0 {
		o.Timeout = 500 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	host, _, err := net.SplitHostPort(server)
	if err != nil || host == "" {
		return netip.Addr{}, fmt.Errorf("%w: STUN server %q: want host:port", ErrConfig, server)
	}
	local := netip.IPv4Unspecified()
	if o.LocalIP != "" {
		if local, err = netip.ParseAddr(o.LocalIP); err != nil {
			return netip.Addr{}, fmt.Errorf("%w: UDP IP %q", ErrConfig, o.LocalIP)
		}
		local = local.Unmap()
	}
	network := "udp4"
	if local.Is6() {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("rtc: STUN socket: %w", err)
	}
	defer conn.Close()

	req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("rtc: STUN request: %w", err)
	}
	var last error
	wait := o.Timeout
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return netip.Addr{}, fmt.Errorf("rtc: STUN discovery via %s: %w", server, err)
		}
		ip, err := bindingOnce(ctx, conn, network, server, req, wait)
		if err == nil {
			return ip, nil
		}
		last = err
		o.Logger.Warn("STUN binding request failed", "server", server, "attempt", attempt, "of", o.Attempts, "err", err)
		wait = min(2*wait, 3*time.Second)
	}
	return netip.Addr{}, fmt.Errorf("rtc: %w %s after %d attempts (last: %w)", ErrNoSTUNAnswer, server, o.Attempts, last)
}

// bindingOnce resolves server, sends req and waits up to wait for its
// answer.
func bindingOnce(ctx context.Context, conn *net.UDPConn, network, server string, req *stun.Message, wait time.Duration) (netip.Addr, error) {
	deadline := time.Now().Add(wait)
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	dst, err := resolve(rctx, network, server)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolve: %w", err)
	}
	if _, err := conn.WriteToUDPAddrPort(req.Raw, dst); err != nil {
		return netip.Addr{}, fmt.Errorf("send: %w", err)
	}
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return netip.Addr{}, err
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return netip.Addr{}, fmt.Errorf("no answer within %s", wait)
			}
			return netip.Addr{}, fmt.Errorf("read: %w", err)
		}
		ip, ok, err := mappedAddress(buf[:n], req.TransactionID, network)
		if err != nil {
			return netip.Addr{}, err
		}
		if ok {
			return ip, nil
		}
		// Not an answer to this request (a late duplicate, garbage): keep
		// waiting.
	}
}

// resolve returns server's first address of network's family.
func resolve(ctx context.Context, network, server string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := net.DefaultResolver.LookupPort(ctx, network, port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	family := "ip4"
	if network == "udp6" {
		family = "ip6"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, family, host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("no %s address for %s", family, host)
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(p)), nil
}

// mappedAddress reads the XOR-MAPPED-ADDRESS of a binding success answer to
// transaction id. It reports false for datagrams that are not answers to it,
// and an error for an error answer or an unusable address.
func mappedAddress(b []byte, id [stun.TransactionIDSize]byte, network string) (netip.Addr, bool, error) {
	if !stun.IsMessage(b) {
		return netip.Addr{}, false, nil
	}
	m := &stun.Message{Raw: append([]byte(nil), b...)}
	if err := m.Decode(); err != nil || m.TransactionID != id {
		return netip.Addr{}, false, nil
	}
	if m.Type == stun.BindingError {
		var code stun.ErrorCodeAttribute
		_ = code.GetFrom(m)
		return netip.Addr{}, false, fmt.Errorf("error answer %d %s", code.Code, code.Reason)
	}
	if m.Type != stun.BindingSuccess {
		return netip.Addr{}, false, nil
	}
	var xor stun.XORMappedAddress
	if err := xor.GetFrom(m); err != nil {
		return netip.Addr{}, false, fmt.Errorf("answer without XOR-MAPPED-ADDRESS: %w", err)
	}
	ip, ok := netip.AddrFromSlice(xor.IP)
	if !ok {
		return netip.Addr{}, false, fmt.Errorf("answer with a malformed address %v", xor.IP)
	}
	ip = ip.Unmap()
	if (network == "udp4") != ip.Is4() || ip.IsUnspecified() || ip.IsMulticast() {
		return netip.Addr{}, false, fmt.Errorf("answer with an unusable address %s", ip)
	}
	return ip, true, nil
}
