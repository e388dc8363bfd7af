package rtc

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/pion/ice/v4"
)

// tcpMux opens the ICE-TCP port: every peer shares one TCP listener, told
// apart by the ICE username of the first STUN request on each connection.
// The relay's candidates on it are passive; clients whose network blocks
// UDP connect to it (RFC 6544). It listens on cfg.UDPIP, or every address.
func tcpMux(cfg Config) (ice.TCPMux, error) {
	ip := netip.IPv4Unspecified()
	if cfg.UDPIP != "" {
		var err error
		if ip, err = netip.ParseAddr(cfg.UDPIP); err != nil {
			return nil, fmt.Errorf("%w: UDP IP %q", ErrConfig, cfg.UDPIP)
		}
	}
	ln, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(cfg.TCPPort))))
	if err != nil {
		return nil, fmt.Errorf("rtc: listen tcp: %w", err)
	}
	return ice.NewTCPMuxDefault(ice.TCPMuxParams{
		Listener:       ln,
		Logger:         pionLogs{cfg.Logger}.NewLogger("tcpmux"),
		ReadBufferSize: 64,
		// Writes are dropped rather than block the fan-out when one TCP
		// client's connection is backed up.
		WriteBufferSize: 4 << 20,
	}), nil
}

// TCPAddr returns the ICE-TCP listener's address; nil without one.
func (e *Engine) TCPAddr() net.Addr {
	if e.tcp == nil {
		return nil
	}
	if a, ok := e.tcp.(interface{ LocalAddr() net.Addr }); ok {
		return a.LocalAddr()
	}
	return nil
}
