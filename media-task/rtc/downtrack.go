package rtc

import (
	"encoding/binary"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// rtxPerSecond is the most retransmissions one subscriber gets per second,
// about half the packet rate of a 1 Mbit/s video stream.
const rtxPerSecond = 60

// binding is what negotiation decided for a DownTrack.
type binding struct {
	ssrc uint32
	pt   uint8
	w    webrtc.TrackLocalWriter
}

// DownTrack forwards one UpTrack to one subscriber peer. It implements
// webrtc.TrackLocal so that each subscriber gets its own SSRC and payload
// type, and media.Subscription for the relay.
type DownTrack struct {
	up     *UpTrack
	peer   *Peer
	sender *webrtc.RTPSender

	bound   atomic.Pointer[binding]
	enabled atomic.Bool
	needKey atomic.Bool
	closed  atomic.Bool
	// seqMap packs the sequence number offset (high 16 bits) and the first
	// incoming sequence number it applies to (low 16 bits).
	seqMap atomic.Uint32

	// Forwarding state, touched only by the UpTrack's goroutine.
	hdr     rtp.Header
	started bool
	waiting bool

	// Retransmission state, touched only by the RTCP goroutine.
	rtxHdr rtp.Header
	rtxBuf []byte
	// rtxBudget limits retransmissions to rtxPerSecond, refilled each
	// second, so that a subscriber on a lossy path (or one NACKing
	// everything) cannot make the relay resend more than a fraction of the
	// stream.
	rtxBudget int
	rtxSince  time.Time
}

var (
	_ webrtc.TrackLocal  = (*DownTrack)(nil)
	_ media.Subscription = (*DownTrack)(nil)
)

func newDownTrack(up *UpTrack, p *Peer) *DownTrack {
	d := &DownTrack{up: up, peer: p}
	d.enabled.Store(true)
	d.needKey.Store(up.kind == media.Video)
	return d
}

// Bind is called by pion when negotiation has chosen the codec.
func (d *DownTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, d.up.mime) {
			d.bound.Store(&binding{ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), w: ctx.WriteStream()})
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind is called by pion when the track stops being sent.
func (d *DownTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(nil)
	return nil
}

// ID returns the published track's id.
func (d *DownTrack) ID() string { return d.up.id }

// RID returns "": there is no simulcast.
func (d *DownTrack) RID() string { return "" }

// StreamID groups the publisher's tracks.
func (d *DownTrack) StreamID() string { return d.up.StreamID() }

// Kind returns the pion codec type.
func (d *DownTrack) Kind() webrtc.RTPCodecType {
	if d.up.kind == media.Video {
		return webrtc.RTPCodecTypeVideo
	}
	return webrtc.RTPCodecTypeAudio
}

// SetEnabled switches forwarding to this subscriber on or off.
func (d *DownTrack) SetEnabled(on bool) {
	if d.enabled.Swap(on) == on {
		return
	}
	if on && d.up.kind == media.Video {
		d.needKey.Store(true)
		d.up.RequestKeyframe()
	}
}

// Close stops forwarding and removes the track from the subscriber.
func (d *DownTrack) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.up.removeDown(d)
	if d.peer.isClosed() {
		return nil
	}
	if err := d.peer.pc.RemoveTrack(d.sender); err != nil {
		return nil
	}
	d.peer.negotiate()
	return nil
}

// skip accounts for a packet this subscriber does not get, keeping its
// outgoing sequence numbers contiguous.
func (d *DownTrack) skip(h *rtp.Header) {
	if d.up.kind == media.Video {
		d.waiting = true
	}
	if !d.started {
		return
	}
	m := d.seqMap.Load()
	d.seqMap.Store((m>>16+1)<<16 | uint32(h.SequenceNumber+1))
}

// write forwards one packet; it reports whether it was sent.
func (d *DownTrack) write(h *rtp.Header, payload []byte, keyframe bool) bool {
	b := d.bound.Load()
	if b == nil || !d.peer.connected.Load() {
		// Packets written before DTLS is up would be dropped by pion, and
		// with them the key frame a new subscriber waits for.
		return false
	}
	if !d.enabled.Load() {
		d.skip(h)
		return false
	}
	if d.up.kind == media.Video {
		if d.needKey.Swap(false) {
			d.waiting = true
		}
		if d.waiting {
			if !keyframe {
				d.skip(h)
				d.up.RequestKeyframe()
				return false
			}
			d.waiting = false
		}
	}
	d.started = true
	d.hdr = *h
	d.hdr.SSRC = b.ssrc
	d.hdr.PayloadType = b.pt
	d.hdr.SequenceNumber = h.SequenceNumber - uint16(d.seqMap.Load()>>16)
	d.hdr.Extension = false
	d.hdr.Extensions = nil
	d.hdr.ExtensionProfile = 0
	_, err := b.w.WriteRTP(&d.hdr, payload)
	return err == nil
}

// readRTCP reads the subscriber's RTCP for this track until the sender
// stops: PLI and FIR become key frame requests to the publisher, NACKs are
// answered from the publisher's packet cache.
func (d *DownTrack) readRTCP() {
	buf := make([]byte, maxPacketSize)
	for {
		n, _, err := d.sender.Read(buf)
		if err != nil {
			return
		}
		d.handleRTCP(buf[:n])
	}
}

// handleRTCP walks a compound RTCP packet without allocating. The
// retransmissions a NACK asks for leave in one batch.
func (d *DownTrack) handleRTCP(b []byte) {
	e := d.peer.e
	e.hold()
	defer e.release()
	for len(b) >= 4 {
		if b[0]>>6 != 2 {
			return
		}
		format := b[0] & 0x1f
		pt := b[1]
		length := (int(binary.BigEndian.Uint16(b[2:4])) + 1) * 4
		if length > len(b) {
			return
		}
		pkt := b[:length]
		b = b[length:]
		switch pt {
		case 201: // receiver report: the subscriber's loss
			if rrBlocks(pt, pkt) {
				d.peer.q.noteRR(pkt)
			}
		case 206: // payload-specific feedback
			if format == 1 || format == 4 { // PLI, FIR
				d.up.RequestKeyframe()
			}
		case 205: // transport feedback
			if format == 1 && d.up.cache != nil { // generic NACK
				for i := 12; i+4 <= len(pkt); i += 4 {
					pid := binary.BigEndian.Uint16(pkt[i:])
					blp := binary.BigEndian.Uint16(pkt[i+2:])
					d.retransmit(pid)
					for j := range uint16(16) {
						if blp&(1<<j) != 0 {
							d.retransmit(pid + j + 1)
						}
					}
				}
			}
		}
	}
}

// retransmit resends the packet the subscriber knows as seq.
func (d *DownTrack) retransmit(seq uint16) {
	b := d.bound.Load()
	if b == nil || !d.enabled.Load() {
		return
	}
	m := d.seqMap.Load()
	offset, since := uint16(m>>16), uint16(m)
	in := seq + offset
	if offset != 0 && int16(in-since) < 0 {
		return
	}
	if d.rtxBuf == nil {
		d.rtxBuf = make([]byte, maxPacketSize)
	}
	if now := time.Now(); now.Sub(d.rtxSince) >= time.Second {
		d.rtxSince = now
		d.rtxBudget = rtxPerSecond
	}
	if d.rtxBudget <= 0 {
		return
	}
	n := d.up.cache.get(in, d.rtxBuf)
	if n == 0 {
		return
	}
	d.rtxBudget--
	pkt := d.rtxBuf[:n]
	hl, err := d.rtxHdr.Unmarshal(pkt)
	if err != nil {
		return
	}
	end := n
	d.rtxHdr.PaddingSize = 0
	if d.rtxHdr.Padding {
		pad := int(pkt[n-1])
		if pad == 0 || hl+pad > n {
			return
		}
		d.rtxHdr.PaddingSize = byte(pad)
		end = n - pad
	}
	d.rtxHdr.SSRC = b.ssrc
	d.rtxHdr.PayloadType = b.pt
	d.rtxHdr.SequenceNumber = seq
	d.rtxHdr.Extension = false
	d.rtxHdr.Extensions = nil
	d.rtxHdr.ExtensionProfile = 0
	if _, err := b.w.WriteRTP(&d.rtxHdr, pkt[hl:end]); err == nil {
		d.peer.e.stats.retransmitted.Add(1)
	}
}
