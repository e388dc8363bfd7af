package rtc

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
)

// Peer errors.
var (
	// ErrNoOfferPending is returned for an answer when no offer was sent.
	ErrNoOfferPending = media.ErrNoOffer
	// ErrDataNotOpen is returned by SendData before the channel opens.
	ErrDataNotOpen = errors.New("rtc: data channel not open")
	// ErrDataBackedUp is returned by SendData when the receiver lags.
	ErrDataBackedUp = errors.New("rtc: data channel backed up")
)

const (
	// maxDataBuffered is how much unsent data channel data a peer may
	// have before further messages to it are dropped.
	maxDataBuffered = 1 << 20
	// maxPendingCandidates bounds candidates queued before the answer.
	maxPendingCandidates = 64
	// dataChannelLabel is the label of the tool message channel.
	dataChannelLabel = "tools"
)

// Peer is one participant's peer connection.
type Peer struct {
	e   *Engine
	cfg media.PeerConfig
	ev  media.PeerEvents
	pc  *webrtc.PeerConnection

	dc     *webrtc.DataChannel
	raw    atomic.Pointer[datachannel.ReadWriteCloser]
	dcOpen atomic.Bool

	// negMu serialises negotiation: the relay always offers, one offer at
	// a time.
	negMu          sync.Mutex
	started        bool
	awaitingAnswer bool
	needNeg        bool
	// restartNext makes the next offer an ICE restart (restart.go).
	restartNext  bool
	remoteSet    bool
	pendingCands []webrtc.ICECandidateInit

	// candMu holds local candidates back until the first offer is sent.
	candMu    sync.Mutex
	offerSent bool
	candQueue []proto.Candidate

	mu        sync.Mutex
	timer     *time.Timer
	closed    bool
	wg        sync.WaitGroup
	failed    atomic.Bool
	connected atomic.Bool
	// q gathers the figures Stats reports (quality.go).
	q peerQuality
}

var _ media.Peer = (*Peer)(nil)

// NewPeer creates a peer connection with receive transceivers for what the
// participant may publish.
func (e *Engine) NewPeer(cfg media.PeerConfig, ev media.PeerEvents) (media.Peer, error) {
	api := e.lean
	if cfg.PublishVideo {
		api = e.api
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, fmt.Errorf("rtc: new peer connection: %w", err)
	}
	p := &Peer{e: e, cfg: cfg, ev: ev, pc: pc}
	recv := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	if cfg.PublishVideo {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recv); err != nil {
			_ = pc.Close()
			return nil, fmt.Errorf("rtc: video transceiver: %w", err)
		}
	}
	if cfg.PublishAudio {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recv); err != nil {
			_ = pc.Close()
			return nil, fmt.Errorf("rtc: audio transceiver: %w", err)
		}
	}
	pc.OnICECandidate(p.onICECandidate)
	pc.OnTrack(p.onTrack)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.connected.Store(true)
			// A failure after an ICE restart brought the peer back is a
			// new one, reported again.
			p.failed.Store(false)
			if se, ok := ev.(media.StateEvents); ok {
				se.Connected()
			}
		case webrtc.PeerConnectionStateDisconnected:
			if se, ok := ev.(media.StateEvents); ok && p.connected.Load() {
				se.Disconnected()
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			p.fail(fmt.Errorf("rtc: connection %s", s))
		}
	})
	e.stats.peers.Add(1)
	return p, nil
}

// begin registers a goroutine of the peer; it reports false once the peer
// is closed.
func (p *Peer) begin() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *Peer) fail(err error) {
	if p.isClosed() || !p.failed.CompareAndSwap(false, true) {
		return
	}
	p.ev.Failed(err)
}

func (p *Peer) onICECandidate(c *webrtc.ICECandidate) {
	if c == nil {
		return
	}
	init := c.ToJSON()
	pc := proto.Candidate{
		Candidate:        init.Candidate,
		SDPMid:           init.SDPMid,
		SDPMLineIndex:    init.SDPMLineIndex,
		UsernameFragment: init.UsernameFragment,
	}
	p.candMu.Lock()
	if !p.offerSent {
		p.candQueue = append(p.candQueue, pc)
		p.candMu.Unlock()
		return
	}
	p.candMu.Unlock()
	p.ev.Candidate(pc)
}

// Start creates the tool data channel and sends the first offer.
func (p *Peer) Start() error {
	ordered := true
	dc, err := p.pc.CreateDataChannel(dataChannelLabel, &webrtc.DataChannelInit{Ordered: &ordered})
	if err != nil {
		return fmt.Errorf("rtc: data channel: %w", err)
	}
	p.dc = dc
	dc.OnOpen(func() {
		raw, err := dc.Detach()
		if err != nil {
			p.fail(fmt.Errorf("rtc: detach data channel: %w", err))
			return
		}
		if !p.begin() {
			_ = raw.Close()
			return
		}
		p.raw.Store(&raw)
		p.dcOpen.Store(true)
		go func() {
			defer p.wg.Done()
			p.readData(raw)
		}()
	})

	p.mu.Lock()
	if !p.closed {
		p.timer = time.AfterFunc(p.e.cfg.ConnectTimeout, func() {
			if !p.connected.Load() {
				p.fail(errors.New("rtc: not connected in time"))
			}
		})
	}
	p.mu.Unlock()

	p.negMu.Lock()
	p.started = true
	err = p.negotiateLocked()
	p.negMu.Unlock()
	return err
}

// negotiate sends a new offer now, or after the pending answer.
func (p *Peer) negotiate() {
	p.negMu.Lock()
	err := p.negotiateLocked()
	p.negMu.Unlock()
	// fail calls out to the participant, which may ask for an ICE restart
	// and so for negMu again: it runs after the lock is released.
	if err != nil && !p.isClosed() {
		p.e.log.Warn("renegotiation failed", "peer", p.cfg.ID, "err", err)
		p.fail(err)
	}
}

func (p *Peer) negotiateLocked() error {
	if !p.started || p.isClosed() {
		return nil
	}
	if p.awaitingAnswer {
		p.needNeg = true
		return nil
	}
	p.needNeg = false
	var opts *webrtc.OfferOptions
	if p.restartNext {
		p.restartNext = false
		opts = &webrtc.OfferOptions{ICERestart: true}
	}
	offer, err := p.pc.CreateOffer(opts)
	if err != nil {
		return fmt.Errorf("rtc: create offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("rtc: set local description: %w", err)
	}
	p.awaitingAnswer = true
	p.ev.Offer(offer.SDP)

	p.candMu.Lock()
	q := p.candQueue
	p.candQueue = nil
	p.offerSent = true
	p.candMu.Unlock()
	for _, c := range q {
		p.ev.Candidate(c)
	}
	return nil
}

// SetAnswer applies the client's answer to the pending offer and sends the
// next offer if one became necessary meanwhile.
func (p *Peer) SetAnswer(sdp string) error {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if !p.awaitingAnswer {
		return ErrNoOfferPending
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("rtc: set remote description: %w", err)
	}
	p.awaitingAnswer = false
	if !p.remoteSet {
		p.remoteSet = true
		for _, c := range p.pendingCands {
			if err := p.pc.AddICECandidate(c); err != nil {
				p.e.log.Debug("candidate refused", "peer", p.cfg.ID, "err", err)
			}
		}
		p.pendingCands = nil
	}
	if p.needNeg {
		return p.negotiateLocked()
	}
	return nil
}

// AddCandidate applies a client candidate, queueing it until the first
// answer.
func (p *Peer) AddCandidate(c proto.Candidate) error {
	init := webrtc.ICECandidateInit{
		Candidate:        c.Candidate,
		SDPMid:           c.SDPMid,
		SDPMLineIndex:    c.SDPMLineIndex,
		UsernameFragment: c.UsernameFragment,
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if !p.remoteSet {
		if len(p.pendingCands) >= maxPendingCandidates {
			return errors.New("rtc: too many early candidates")
		}
		p.pendingCands = append(p.pendingCands, init)
		return nil
	}
	return p.pc.AddICECandidate(init)
}

// readData reads the detached data channel until it closes. Tool messages
// are mostly small: it reads into a small buffer, and a message that does
// not fit (SCTP then keeps it queued) is read again into a buffer of
// MaxDataMessage, or, larger still (which a compliant client does not
// send), read into a temporary buffer and dropped.
func (p *Peer) readData(raw datachannel.ReadWriteCloser) {
	defer p.dcOpen.Store(false)
	small := make([]byte, dataReadBuffer)
	for {
		n, _, err := raw.ReadDataChannel(small)
		if errors.Is(err, io.ErrShortBuffer) {
			big := make([]byte, MaxDataMessage)
			n, _, err = raw.ReadDataChannel(big)
			if errors.Is(err, io.ErrShortBuffer) {
				if _, _, err = raw.ReadDataChannel(make([]byte, sctpMaxMessage)); err != nil {
					p.fail(fmt.Errorf("rtc: data channel read: %w", err))
					return
				}
				p.ev.Data(nil)
				continue
			}
			if err != nil {
				return
			}
			p.ev.Data(big[:n])
			continue
		}
		if err != nil {
			return
		}
		p.ev.Data(small[:n])
	}
}

const (
	// dataReadBuffer is the data channel reader's standing buffer.
	dataReadBuffer = 2 << 10
	// sctpMaxMessage is the largest message pion's SCTP association
	// accepts.
	sctpMaxMessage = 256 << 10
)

// SendData sends a tool message as text.
func (p *Peer) SendData(msg []byte) error {
	raw := p.raw.Load()
	if raw == nil || !p.dcOpen.Load() {
		return ErrDataNotOpen
	}
	if p.dc.BufferedAmount() > maxDataBuffered {
		return ErrDataBackedUp
	}
	_, err := (*raw).WriteDataChannel(msg, true)
	return err
}

// Subscribe adds a send-only transceiver forwarding t.
func (p *Peer) Subscribe(t media.Track) (media.Subscription, error) {
	up, ok := t.(*UpTrack)
	if !ok || up.peer.e != p.e {
		return nil, media.ErrForeignTrack
	}
	if !p.begin() {
		return nil, media.ErrClosed
	}
	d := newDownTrack(up, p)
	tr, err := p.pc.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		p.wg.Done()
		return nil, fmt.Errorf("rtc: add track: %w", err)
	}
	d.sender = tr.Sender()
	if !up.addDown(d) {
		_ = p.pc.RemoveTrack(d.sender)
		p.wg.Done()
		return nil, media.ErrClosed
	}
	go func() {
		defer p.wg.Done()
		d.readRTCP()
	}()
	p.negotiate()
	return d, nil
}

// onTrack runs on pion's goroutine for a new incoming track; it reads the
// track until it ends.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	if !p.begin() {
		return
	}
	defer p.wg.Done()
	var kind media.Kind
	switch remote.Kind() {
	case webrtc.RTPCodecTypeVideo:
		kind = media.Video
	case webrtc.RTPCodecTypeAudio:
		kind = media.Audio
	default:
		return
	}
	up := newUpTrack(p, remote, kind, p.cfg.ID+"-"+kind.String()+"-"+strconv.FormatUint(p.e.nextID.Add(1), 10))
	if p.begin() {
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := receiver.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	p.ev.Track(up)
	up.forward()
	up.end()
	p.ev.TrackEnded(up)
}

// sendPLI asks the publisher for a key frame.
func (p *Peer) sendPLI(ssrc uint32) {
	if err := p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		p.e.log.Debug("pli failed", "peer", p.cfg.ID, "err", err)
		return
	}
	p.e.stats.keyframeRequests.Add(1)
}

// Close closes the peer connection and waits for the peer's goroutines.
func (p *Peer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	err := p.pc.GracefulClose()
	p.wg.Wait()
	p.e.stats.peers.Add(-1)
	return err
}
