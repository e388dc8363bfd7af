// Package client is a pion WebRTC client of the relay's signaling protocol,
// for the relay's end-to-end tests and its load generator. It joins with a
// ticket, answers the relay's offers, trickles candidates, can publish a
// synthetic VP8 + Opus camera, records what it receives (packets, loss, the
// first key frame) and sends and receives tool messages. It lives under rtc
// because, like rtc, it imports pion.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/proto"
)

// Errors returned by the client.
var (
	// ErrClosed is returned once the client is closed.
	ErrClosed = errors.New("client closed")
	// ErrNoDataChannel is returned by SendTool before the channel opens.
	ErrNoDataChannel = errors.New("data channel not open")
)

// Options configure a client.
type Options struct {
	// URL is the relay's signaling URL (ws://host:port/signal).
	URL string
	// Ticket is the join ticket.
	Ticket string
	// Publish makes the client publish synthetic VP8 video and Opus audio
	// on the relay's publish transceivers (the customer's role).
	Publish bool
	// PublishAudioOnly publishes Opus only (a technician's mic).
	PublishAudioOnly bool
	// VideoBitrate is the synthetic video bitrate in bit/s; zero means
	// 1 Mbit/s.
	VideoBitrate int
	// KeyframeInterval is the synthetic encoder's key frame period; zero
	// means 3 s.
	KeyframeInterval time.Duration
	// API lets many clients share one set of codecs and interceptors; nil
	// builds one.
	API *API
}

// API is a pion API configured for loopback clients, shared by clients.
type API struct {
	api *webrtc.API
	// est is set when the API adapts the camera to a bandwidth estimate
	// (NewAPIWith, GCC).
	est *estimators
}

// NewAPI returns an API suited to loopback clients: UDP4 on loopback only,
// no mDNS, a NACK generator and responder, RTCP reports.
func NewAPI() (*API, error) { return NewAPIOn(webrtc.NetworkTypeUDP4) }

// NewAPIOn is NewAPI gathering candidates of the given network types only:
// NetworkTypeTCP4 alone is a client whose network blocks UDP.
func NewAPIOn(networks ...webrtc.NetworkType) (*API, error) {
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	for _, mk := range []func() (interceptor.Factory, error){
		func() (interceptor.Factory, error) { return nack.NewGeneratorInterceptor() },
		func() (interceptor.Factory, error) { return nack.NewResponderInterceptor() },
		func() (interceptor.Factory, error) { return report.NewReceiverInterceptor() },
		func() (interceptor.Factory, error) { return report.NewSenderInterceptor() },
	} {
		f, err := mk()
		if err != nil {
			return nil, err
		}
		ir.Add(f)
	}
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled
	s := webrtc.SettingEngine{LoggerFactory: quiet}
	s.SetNetworkTypes(networks)
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return &API{api: webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s))}, nil
}

// TrackStats describes one received track.
type TrackStats struct {
	Kind    string
	Packets uint64
	Bytes   uint64
	// Expected is how many packets the sequence numbers span.
	Expected uint64
	// FirstKeyframe is when the first VP8 key frame arrived (video).
	FirstKeyframe time.Time
	// StartsWithKeyframe reports whether the lowest sequence number
	// received started a key frame: the stream began at a key frame.
	StartsWithKeyframe bool
	// LastKeyframe is when the latest VP8 key frame arrived (video).
	LastKeyframe time.Time
	// Frames counts frames whose every packet arrived (video).
	Frames uint64
}

type trackState struct {
	kind             string
	packets, bytes   atomic.Uint64
	mu               sync.Mutex
	baseSeq, highSeq uint32
	cycles           uint32
	started          bool
	lowest, keySeq   uint16
	firstKeyframe    time.Time
	lastKeyframe     time.Time
	// frames counts complete frames: a marker packet whose frame's
	// packets since the previous marker all arrived.
	frames      uint64
	markerSeq   uint16
	sinceMarker uint16
	markerSeen  bool
}

// Client is one participant's connection to the relay.
type Client struct {
	opts    Options
	ws      *websocket.Conn
	pc      *webrtc.PeerConnection
	started time.Time

	writeMu sync.Mutex

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	joined      chan proto.Signal
	joinedOnce  sync.Once
	signals     chan proto.Signal
	messages    chan []byte
	dcOpen      chan struct{}
	dcOnce      sync.Once
	dc          atomic.Pointer[webrtc.DataChannel]
	closed      chan struct{}
	closedOnce  sync.Once
	closeReason atomic.Pointer[string]
	// closeMessage is what the relay's close message said to the person.
	closeMessage atomic.Pointer[string]

	mu          sync.Mutex
	remoteSet   bool
	attached    bool
	pending     []webrtc.ICECandidateInit
	tracks      []*trackState
	video       *webrtc.TrackLocalStaticRTP
	audio       *webrtc.TrackLocalStaticRTP
	keyframeReq atomic.Bool
	isClosed    bool

	offers atomic.Int64
	// Network resilience (resume.go): the seat's resume token, whether
	// the socket was dropped on purpose, transport-cc feedback received.
	resume       atomic.Pointer[string]
	dropped      atomic.Bool
	twccFeedback atomic.Int64
	// est sizes the synthetic camera when the API adapts it.
	est cc.BandwidthEstimator
}

// Dial connects and sends the join message. The relay's answer arrives
// asynchronously: see Joined and Closed.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	api := opts.API
	if api == nil {
		var err error
		if api, err = NewAPI(); err != nil {
			return nil, err
		}
	}
	if opts.VideoBitrate <= 0 {
		opts.VideoBitrate = 1_000_000
	}
	if opts.KeyframeInterval <= 0 {
		opts.KeyframeInterval = 3 * time.Second
	}
	var est cc.BandwidthEstimator
	pc, err := func() (*webrtc.PeerConnection, error) {
		if api.est == nil {
			return api.api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
		}
		api.est.dial.Lock()
		defer api.est.dial.Unlock()
		pc, err := api.api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
		est = api.est.take()
		return pc, err
	}()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts:     opts,
		pc:       pc,
		started:  time.Now(),
		ctx:      cctx,
		cancel:   cancel,
		joined:   make(chan proto.Signal, 1),
		signals:  make(chan proto.Signal, 256),
		messages: make(chan []byte, 4096),
		dcOpen:   make(chan struct{}),
		closed:   make(chan struct{}),
		est:      est,
	}
	if opts.Publish || opts.PublishAudioOnly {
		if opts.Publish {
			c.video, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "camera")
			if err != nil {
				_ = pc.Close()
				cancel()
				return nil, err
			}
		}
		c.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "camera")
		if err != nil {
			_ = pc.Close()
			cancel()
			return nil, err
		}
	}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		j := cand.ToJSON()
		_ = c.send(proto.Signal{Type: proto.TypeCandidate, Candidate: &proto.Candidate{
			Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex, UsernameFragment: j.UsernameFragment,
		}})
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnOpen(func() {
			c.dc.Store(dc)
			c.dcOnce.Do(func() { close(c.dcOpen) })
		})
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			b := append([]byte(nil), m.Data...)
			select {
			case c.messages <- b:
			default:
			}
		})
	})
	pc.OnTrack(c.onTrack)

	ws, _, err := websocket.Dial(ctx, opts.URL, nil)
	if err != nil {
		_ = pc.Close()
		cancel()
		return nil, fmt.Errorf("dial %s: %w", opts.URL, err)
	}
	ws.SetReadLimit(1 << 20)
	c.ws = ws
	if err := c.send(proto.Signal{Type: proto.TypeJoin, Ticket: opts.Ticket}); err != nil {
		_ = ws.CloseNow()
		_ = pc.Close()
		cancel()
		return nil, err
	}
	c.wg.Add(1)
	go c.readLoop(ws)
	return c, nil
}

func (c *Client) send(s proto.Signal) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *Client) finish(reason string) {
	c.closedOnce.Do(func() {
		c.closeReason.Store(&reason)
		close(c.closed)
	})
}

func (c *Client) readLoop(ws *websocket.Conn) {
	defer c.wg.Done()
	for {
		_, data, err := ws.Read(c.ctx)
		if err != nil {
			if c.dropped.Load() {
				return
			}
			c.finish("")
			return
		}
		var s proto.Signal
		if err := json.Unmarshal(data, &s); err != nil {
			continue
		}
		if s.Resume != "" {
			tok := s.Resume
			c.resume.Store(&tok)
		}
		switch s.Type {
		case proto.TypeJoined:
			c.joinedOnce.Do(func() { c.joined <- s })
		case proto.TypeOffer:
			if err := c.answer(s.SDP); err != nil {
				c.finish("answer: " + err.Error())
				_ = ws.CloseNow()
				return
			}
		case proto.TypeCandidate:
			if s.Candidate == nil || s.Candidate.Candidate == "" {
				continue
			}
			init := webrtc.ICECandidateInit{Candidate: s.Candidate.Candidate, SDPMid: s.Candidate.SDPMid, SDPMLineIndex: s.Candidate.SDPMLineIndex}
			c.mu.Lock()
			if !c.remoteSet {
				c.pending = append(c.pending, init)
				c.mu.Unlock()
				continue
			}
			c.mu.Unlock()
			_ = c.pc.AddICECandidate(init)
		case proto.TypeClose:
			msg := s.Message
			c.closeMessage.Store(&msg)
			c.finish(s.Reason)
		}
		select {
		case c.signals <- s:
		default:
		}
	}
}

func (c *Client) answer(sdp string) error {
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return err
	}
	c.offers.Add(1)
	c.mu.Lock()
	attach := !c.attached
	c.attached = true
	pending := c.pending
	c.pending = nil
	c.remoteSet = true
	c.mu.Unlock()
	if attach {
		for _, t := range []*webrtc.TrackLocalStaticRTP{c.video, c.audio} {
			if t == nil {
				continue
			}
			sender, err := c.pc.AddTrack(t)
			if err != nil {
				return err
			}
			c.wg.Add(1)
			go c.readSenderRTCP(sender)
		}
		if c.video != nil || c.audio != nil {
			c.wg.Add(1)
			go c.generate()
		}
	}
	ans, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	if err := c.pc.SetLocalDescription(ans); err != nil {
		return err
	}
	if err := c.send(proto.Signal{Type: proto.TypeAnswer, SDP: ans.SDP}); err != nil {
		return err
	}
	for _, p := range pending {
		_ = c.pc.AddICECandidate(p)
	}
	return nil
}

func (c *Client) readSenderRTCP(s *webrtc.RTPSender) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.keyframeReq.Store(true)
			case *rtcp.TransportLayerCC:
				c.twccFeedback.Add(1)
			}
		}
	}
}

func (c *Client) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return
	}
	c.wg.Add(2)
	st := &trackState{kind: t.Kind().String()}
	c.tracks = append(c.tracks, st)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := r.Read(buf); err != nil {
				return
			}
		}
	}()
	defer c.wg.Done()
	buf := make([]byte, 1500)
	var h rtp.Header
	video := t.Kind() == webrtc.RTPCodecTypeVideo
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		hl, err := h.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		st.packets.Add(1)
		st.bytes.Add(uint64(n))
		key := video && isKeyframe(buf[hl:n])
		st.mu.Lock()
		seq := uint32(h.SequenceNumber)
		if !st.started {
			st.started = true
			st.baseSeq, st.highSeq = seq, seq
			st.lowest = h.SequenceNumber
		} else if d := uint16(seq - st.highSeq); d != 0 && d < 0x8000 {
			if seq < st.highSeq {
				st.cycles++
			}
			st.highSeq = seq
		}
		if int16(h.SequenceNumber-st.lowest) < 0 {
			st.lowest = h.SequenceNumber
		}
		if key && st.firstKeyframe.IsZero() {
			st.firstKeyframe = time.Now()
			st.keySeq = h.SequenceNumber
		}
		if key {
			st.lastKeyframe = time.Now()
		}
		gap := false
		if video {
			st.sinceMarker++
			if h.Marker {
				if st.markerSeen && h.SequenceNumber-st.markerSeq == st.sinceMarker {
					st.frames++
				}
				gap = st.markerSeen && h.SequenceNumber-st.markerSeq > 100
				st.markerSeq, st.sinceMarker, st.markerSeen = h.SequenceNumber, 0, true
			}
		}
		st.mu.Unlock()
		if gap {
			// A gap no retransmission fills: ask for a key frame, as a
			// browser's decoder does.
			_ = c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
		}
	}
}

// isKeyframe reports whether a VP8 RTP payload starts a key frame.
func isKeyframe(p []byte) bool {
	if len(p) < 1 || p[0]&0x10 == 0 || p[0]&0x07 != 0 {
		return false
	}
	i := 1
	if p[0]&0x80 != 0 {
		if len(p) < 2 {
			return false
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 {
			if len(p) > i && p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 {
			i++
		}
		if x&0x30 != 0 {
			i++
		}
	}
	return len(p) >= i+6 && p[i]&0x01 == 0 && p[i+3] == 0x9d && p[i+4] == 0x01 && p[i+5] == 0x2a
}

// Joined waits for the relay's joined message.
func (c *Client) Joined(ctx context.Context) (proto.Signal, error) {
	select {
	case s := <-c.joined:
		c.joined <- s
		return s, nil
	case <-c.closed:
		return proto.Signal{}, fmt.Errorf("%w: %s", ErrClosed, c.CloseReason())
	case <-ctx.Done():
		return proto.Signal{}, ctx.Err()
	}
}

// WaitDataChannel waits until the tool channel is open.
func (c *Client) WaitDataChannel(ctx context.Context) error {
	select {
	case <-c.dcOpen:
		return nil
	case <-c.closed:
		return fmt.Errorf("%w: %s", ErrClosed, c.CloseReason())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SendTool sends a tool message on the data channel.
func (c *Client) SendTool(msg []byte) error {
	dc := c.dc.Load()
	if dc == nil {
		return ErrNoDataChannel
	}
	return dc.SendText(string(msg))
}

// Messages delivers the tool messages received.
func (c *Client) Messages() <-chan []byte { return c.messages }

// Signals delivers the signaling messages received (after handling).
func (c *Client) Signals() <-chan proto.Signal { return c.signals }

// Closed is closed when the relay closed the connection.
func (c *Client) Closed() <-chan struct{} { return c.closed }

// CloseMessage is the message of the relay's close message, once Closed.
func (c *Client) CloseMessage() string {
	if m := c.closeMessage.Load(); m != nil {
		return *m
	}
	return ""
}

// CloseReason is the reason of the relay's close message, once Closed.
func (c *Client) CloseReason() string {
	if r := c.closeReason.Load(); r != nil {
		return *r
	}
	return ""
}

// Offers returns how many offers the client answered.
func (c *Client) Offers() int64 { return c.offers.Load() }

// Started returns when Dial began.
func (c *Client) Started() time.Time { return c.started }

// Tracks returns the received tracks' statistics.
func (c *Client) Tracks() []TrackStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]TrackStats, 0, len(c.tracks))
	for _, t := range c.tracks {
		t.mu.Lock()
		exp := uint64(0)
		if t.started {
			exp = uint64(t.cycles)<<16 + uint64(t.highSeq) - uint64(t.baseSeq) + 1
		}
		out = append(out, TrackStats{
			Kind: t.kind, Packets: t.packets.Load(), Bytes: t.bytes.Load(), Expected: exp,
			FirstKeyframe: t.firstKeyframe, StartsWithKeyframe: !t.firstKeyframe.IsZero() && t.keySeq == t.lowest,
			LastKeyframe: t.lastKeyframe, Frames: t.frames,
		})
		t.mu.Unlock()
	}
	return out
}

// Close leaves: it sends a close message, closes the socket and the peer
// connection and waits for the client's goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return nil
	}
	c.isClosed = true
	c.mu.Unlock()
	_ = c.send(proto.Signal{Type: proto.TypeClose, Reason: proto.ReasonLeft})
	_ = c.socket().Close(websocket.StatusNormalClosure, "left")
	c.cancel()
	err := c.pc.GracefulClose()
	c.wg.Wait()
	c.finish("")
	return err
}

// Abort drops the connection without a close message, like a crashed
// browser.
func (c *Client) Abort() {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return
	}
	c.isClosed = true
	c.mu.Unlock()
	_ = c.socket().CloseNow()
	c.cancel()
	_ = c.pc.GracefulClose()
	c.wg.Wait()
	c.finish("")
}
