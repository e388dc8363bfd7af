// Package rtc is the relay's WebRTC side and the only package of the relay
// that imports pion. It runs every peer connection over one UDP port (an ICE
// UDP mux) announcing configured public addresses, and forwards RTP without
// decoding: each published track is read once, kept in one packet cache shared
// by all its subscribers (NACKs are answered from it), and written to every
// subscriber with only the SSRC, payload type and sequence number rewritten.
// Subscribers' PLIs and FIRs reach the publisher as rate-limited PLIs.
package rtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// Codec parameters the relay negotiates: VP8 video and Opus audio, no
// header extensions and no RTX, so packets can be forwarded as they are.
const (
	vp8PayloadType  = 96
	opusPayloadType = 111
)

// MaxDataMessage is the largest data channel message, announced in the SDP
// (a=max-message-size).
const MaxDataMessage = 16 << 10

// Config configures the Engine.
type Config struct {
	// UDPPort is the one UDP port of every peer; 0 picks a free port
	// (UDPIP must be set then).
	UDPPort int
	// UDPIP binds to one local address; empty binds every interface.
	UDPIP string
	// TCP opens an ICE-TCP port (TCPPort; 0 picks a free one) for clients
	// whose network blocks UDP.
	TCP     bool
	TCPPort int
	// PublicIPs replace the local addresses in host candidates (NAT 1:1).
	PublicIPs []string
	// Logger logs the engine's events; nil means slog.Default().
	Logger *slog.Logger
	// KeyframeInterval is the shortest time between two PLIs sent to a
	// publisher; zero means 300 ms.
	KeyframeInterval time.Duration
	// DisconnectedTimeout and FailedTimeout are ICE's; zero means 5 s and
	// 15 s.
	DisconnectedTimeout, FailedTimeout time.Duration
	// ConnectTimeout is how long a peer may take from its first offer to a
	// connected ICE and DTLS transport before it fails; zero means 30 s.
	ConnectTimeout time.Duration
	// DisableTWCC leaves transport-wide congestion feedback out of the
	// publishers' negotiation (twcc.go); only the bench's comparison run
	// sets it.
	DisableTWCC bool
	// Net replaces the host's network, for tests on a virtual network
	// (pion's vnet); nil means the host's sockets.
	Net transport.Net
}

// Stats are the engine's counters since start.
type Stats struct {
	PacketsIn        uint64 `json:"packetsIn"`
	PacketsForwarded uint64 `json:"packetsForwarded"`
	BytesForwarded   uint64 `json:"bytesForwarded"`
	Retransmitted    uint64 `json:"retransmitted"`
	KeyframeRequests uint64 `json:"keyframeRequests"`
	UnhandledUDP     uint64 `json:"unhandledUdp"`
	Peers            int64  `json:"peers"`
}

type counters struct {
	packetsIn, packetsForwarded, bytesForwarded atomic.Uint64
	retransmitted, keyframeRequests             atomic.Uint64
	unhandled                                   atomic.Uint64
	peers                                       atomic.Int64
}

// Engine creates peer connections sharing one UDP port.
type Engine struct {
	cfg Config
	log *slog.Logger
	// api serves peers that publish video; lean serves the others, without
	// the per-connection NACK generator loop they do not need.
	api    *webrtc.API
	lean   *webrtc.API
	mux    ice.UDPMux
	tcp    ice.TCPMux
	addrs  []net.Addr
	conns  []*batchConn
	stats  counters
	nextID atomic.Uint64
}

var _ media.Engine = (*Engine)(nil)

// ErrConfig is returned by NewEngine for an unusable configuration.
var ErrConfig = errors.New("rtc: invalid configuration")

// NewEngine opens the UDP port and prepares the WebRTC API.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.KeyframeInterval <= 0 {
		cfg.KeyframeInterval = 300 * time.Millisecond
	}
	if cfg.DisconnectedTimeout <= 0 {
		cfg.DisconnectedTimeout = 5 * time.Second
	}
	if cfg.FailedTimeout <= 0 {
		cfg.FailedTimeout = 15 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	e := &Engine{cfg: cfg, log: cfg.Logger}

	ips, loopback, err := listenIPs(cfg)
	if err != nil {
		return nil, err
	}
	var muxes []ice.UDPMux
	fail := func(err error) (*Engine, error) {
		for _, m := range muxes {
			_ = m.Close()
		}
		for _, c := range e.conns {
			_ = c.Close()
		}
		return nil, err
	}
	for _, ip := range ips {
		if cfg.Net != nil {
			vc, err := cfg.Net.ListenPacket("udp4", netip.AddrPortFrom(ip, uint16(cfg.UDPPort)).String())
			if err != nil {
				return fail(fmt.Errorf("rtc: listen udp: %w", err))
			}
			muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: vc, Net: cfg.Net, Logger: pionLogs{cfg.Logger}.NewLogger("udpmux")}))
			continue
		}
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(cfg.UDPPort))))
		if err != nil {
			return fail(fmt.Errorf("rtc: listen udp: %w", err))
		}
		_ = conn.SetReadBuffer(4 << 20)
		_ = conn.SetWriteBuffer(4 << 20)
		bc := newBatchConn(conn)
		e.conns = append(e.conns, bc)
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{
			UDPConn: bc,
			Logger:  pionLogs{cfg.Logger}.NewLogger("udpmux"),
			OnUnhandledPacket: func([]byte, netip.AddrPort) {
				e.stats.unhandled.Add(1)
			},
		}))
	}
	if len(muxes) == 1 {
		e.mux = muxes[0]
	} else {
		e.mux = ice.NewMultiUDPMuxDefault(muxes...)
	}
	e.addrs = e.mux.GetListenAddresses()
	if cfg.TCP {
		if e.tcp, err = tcpMux(cfg); err != nil {
			_ = e.Close()
			return nil, err
		}
	}

	if e.api, err = newAPI(cfg, e.mux, e.tcp, loopback, true); err != nil {
		_ = e.Close()
		return nil, err
	}
	if e.lean, err = newAPI(cfg, e.mux, e.tcp, loopback, false); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

func newAPI(cfg Config, mux ice.UDPMux, tcp ice.TCPMux, loopback, nacks bool) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	videoFB := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFB},
		PayloadType:        vp8PayloadType,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("rtc: register vp8: %w", err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: opusPayloadType,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("rtc: register opus: %w", err)
	}

	// Interceptors: NACKs towards publishers and RTCP reports both ways.
	// There is deliberately no NACK responder: retransmissions come from
	// the one packet cache of each published track.
	ir := &interceptor.Registry{}
	if nacks {
		gen, err := nack.NewGeneratorInterceptor()
		if err != nil {
			return nil, fmt.Errorf("rtc: nack generator: %w", err)
		}
		ir.Add(gen)
	}
	if nacks && !cfg.DisableTWCC {
		if err := enableTWCC(m, ir); err != nil {
			return nil, err
		}
	}
	rr, err := report.NewReceiverInterceptor()
	if err != nil {
		return nil, fmt.Errorf("rtc: receiver reports: %w", err)
	}
	ir.Add(rr)
	sr, err := report.NewSenderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("rtc: sender reports: %w", err)
	}
	ir.Add(sr)

	s := webrtc.SettingEngine{LoggerFactory: pionLogs{cfg.Logger}}
	if cfg.Net != nil {
		s.SetNet(cfg.Net)
	}
	s.SetICEUDPMux(mux)
	s.DetachDataChannels()
	s.SetSCTPMaxMessageSize(MaxDataMessage)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	if tcp != nil {
		s.SetICETCPMux(tcp)
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4})
	}
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetIncludeLoopbackCandidate(loopback)
	s.SetICETimeouts(cfg.DisconnectedTimeout, cfg.FailedTimeout, 2*time.Second)
	s.SetSRTPProtectionProfiles(
		dtls.SRTP_AEAD_AES_128_GCM,
		dtls.SRTP_AEAD_AES_256_GCM,
		dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	)
	if len(cfg.PublicIPs) > 0 {
		if err := s.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, fmt.Errorf("rtc: public IPs: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s)), nil
}

// LocalAddrs returns the UDP addresses the engine listens on.
func (e *Engine) LocalAddrs() []net.Addr { return e.addrs }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{
		PacketsIn:        e.stats.packetsIn.Load(),
		PacketsForwarded: e.stats.packetsForwarded.Load(),
		BytesForwarded:   e.stats.bytesForwarded.Load(),
		Retransmitted:    e.stats.retransmitted.Load(),
		KeyframeRequests: e.stats.keyframeRequests.Load(),
		UnhandledUDP:     e.stats.unhandled.Load(),
		Peers:            e.stats.peers.Load(),
	}
}

// Close closes the UDP port. Peers must be closed first.
func (e *Engine) Close() error {
	err := e.mux.Close()
	if e.tcp != nil {
		_ = e.tcp.Close()
	}
	for _, c := range e.conns {
		_ = c.Close()
	}
	return err
}

// hold delays the UDP sends of a fan-out until release.
func (e *Engine) hold() {
	for _, c := range e.conns {
		c.hold()
	}
}

// release sends the fan-out's datagrams in batches.
func (e *Engine) release() {
	for _, c := range e.conns {
		c.release()
	}
}

// listenIPs returns the addresses to bind: the configured one, or every
// usable IPv4 address of the machine's interfaces.
func listenIPs(cfg Config) ([]netip.Addr, bool, error) {
	if cfg.UDPIP != "" {
		ip, err := netip.ParseAddr(cfg.UDPIP)
		if err != nil {
			return nil, false, fmt.Errorf("%w: UDP IP %q", ErrConfig, cfg.UDPIP)
		}
		return []netip.Addr{ip}, ip.IsLoopback(), nil
	}
	if cfg.UDPPort == 0 {
		return nil, false, fmt.Errorf("%w: a UDP port is required without a UDP IP", ErrConfig)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, false, fmt.Errorf("rtc: interfaces: %w", err)
	}
	var ips []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			if ip.Is4() && !ip.IsLinkLocalUnicast() {
				ips = append(ips, ip)
			}
		}
	}
	if len(ips) == 0 {
		return nil, false, fmt.Errorf("%w: no IPv4 interface address to bind; set RELAY_UDP_IP", ErrConfig)
	}
	return ips, false, nil
}
