package rtc

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// videoCacheSize is how many packets of a video track are kept for NACKs:
// about five seconds of a 1 Mbit/s stream.
const videoCacheSize = 512

// UpTrack is a track published by a peer and forwarded to subscribers.
type UpTrack struct {
	peer   *Peer
	remote *webrtc.TrackRemote
	kind   media.Kind
	id     string
	ssrc   uint32
	mime   string
	cache  *packetCache
	// sendPLI writes a PLI to the publisher.
	sendPLI func()

	enabled atomic.Bool
	lastPLI atomic.Int64

	// downMu guards ended and the copy-on-write updates of downs; the
	// forwarding loop reads downs without locking.
	downMu sync.Mutex
	ended  bool
	downs  atomic.Pointer[[]*DownTrack]
	// taps are copy-on-write like downs; nil when there is none, so the
	// forwarding loop pays one atomic load for them.
	taps atomic.Pointer[[]*tapEntry]
}

// tapEntry wraps a tap so that the same tap added twice is removed once.
type tapEntry struct{ t media.Tap }

var _ media.Tappable = (*UpTrack)(nil)

// AddTap copies every packet the track forwards to t until the returned
// func is called.
func (u *UpTrack) AddTap(t media.Tap) func() {
	e := &tapEntry{t: t}
	u.downMu.Lock()
	var old []*tapEntry
	if p := u.taps.Load(); p != nil {
		old = *p
	}
	next := append(append(make([]*tapEntry, 0, len(old)+1), old...), e)
	u.taps.Store(&next)
	u.downMu.Unlock()
	return func() {
		u.downMu.Lock()
		defer u.downMu.Unlock()
		p := u.taps.Load()
		if p == nil {
			return
		}
		next := make([]*tapEntry, 0, len(*p))
		for _, x := range *p {
			if x != e {
				next = append(next, x)
			}
		}
		if len(next) == 0 {
			u.taps.Store(nil)
			return
		}
		u.taps.Store(&next)
	}
}

var _ media.Track = (*UpTrack)(nil)

func newUpTrack(p *Peer, remote *webrtc.TrackRemote, kind media.Kind, id string) *UpTrack {
	u := &UpTrack{
		peer:   p,
		remote: remote,
		kind:   kind,
		id:     id,
		ssrc:   uint32(remote.SSRC()),
		mime:   remote.Codec().MimeType,
	}
	if kind == media.Video {
		u.cache = newPacketCache(videoCacheSize)
	}
	u.sendPLI = func() { p.sendPLI(u.ssrc) }
	u.enabled.Store(true)
	empty := []*DownTrack{}
	u.downs.Store(&empty)
	return u
}

// ID returns the track's id.
func (u *UpTrack) ID() string { return u.id }

// Kind returns the track's media kind.
func (u *UpTrack) Kind() media.Kind { return u.kind }

// StreamID groups the publisher's tracks into one stream for subscribers.
func (u *UpTrack) StreamID() string { return u.peer.cfg.ID }

// SetEnabled switches forwarding of the track on or off. Switching video on
// again waits for a key frame at every subscriber.
func (u *UpTrack) SetEnabled(on bool) {
	if u.enabled.Swap(on) == on {
		return
	}
	if on {
		for _, d := range *u.downs.Load() {
			d.needKey.Store(true)
		}
		u.RequestKeyframe()
	}
}

// RequestKeyframe sends the publisher a PLI unless one was sent within the
// engine's keyframe interval.
func (u *UpTrack) RequestKeyframe() {
	if u.kind != media.Video {
		return
	}
	now := time.Now().UnixNano()
	last := u.lastPLI.Load()
	if now-last < int64(u.peer.e.cfg.KeyframeInterval) || !u.lastPLI.CompareAndSwap(last, now) {
		return
	}
	u.sendPLI()
}

// addDown adds a subscriber; it reports false once the track has ended.
func (u *UpTrack) addDown(d *DownTrack) bool {
	u.downMu.Lock()
	defer u.downMu.Unlock()
	if u.ended {
		return false
	}
	old := *u.downs.Load()
	next := make([]*DownTrack, len(old), len(old)+1)
	copy(next, old)
	next = append(next, d)
	u.downs.Store(&next)
	return true
}

func (u *UpTrack) removeDown(d *DownTrack) {
	u.downMu.Lock()
	defer u.downMu.Unlock()
	old := *u.downs.Load()
	next := make([]*DownTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			next = append(next, x)
		}
	}
	u.downs.Store(&next)
}

func (u *UpTrack) end() {
	u.downMu.Lock()
	u.ended = true
	empty := []*DownTrack{}
	u.downs.Store(&empty)
	u.downMu.Unlock()
}

// forward reads the track and writes every packet to every subscriber. It
// runs on one goroutine per track and allocates nothing per packet: the
// packet is read into one buffer, its header parsed once into one struct,
// and each subscriber rewrites its own copy of that header.
func (u *UpTrack) forward() {
	buf := make([]byte, 1500)
	var h rtp.Header
	e := u.peer.e
	st := &e.stats
	video := u.kind == media.Video
	rx := &u.peer.q.rx[u.kind]
	for {
		n, _, err := u.remote.Read(buf)
		if err != nil {
			return
		}
		pkt := buf[:n]
		hl, err := h.Unmarshal(pkt)
		if err != nil {
			continue
		}
		end := n
		h.PaddingSize = 0
		if h.Padding {
			pad := int(pkt[n-1])
			if pad == 0 || hl+pad > n {
				continue
			}
			h.PaddingSize = byte(pad)
			end = n - pad
		}
		payload := pkt[hl:end]
		st.packetsIn.Add(1)
		rx.add(h.SequenceNumber, n)
		keyframe := false
		if video {
			u.cache.store(h.SequenceNumber, pkt)
			keyframe = vp8Keyframe(payload)
		}
		downs := *u.downs.Load()
		if !u.enabled.Load() {
			for _, d := range downs {
				d.skip(&h)
			}
			continue
		}
		if taps := u.taps.Load(); taps != nil {
			at := time.Now()
			for _, t := range *taps {
				t.t.RTP(pkt, at)
			}
		}
		var sent, bytes uint64
		e.hold()
		for _, d := range downs {
			if d.write(&h, payload, keyframe) {
				sent++
				bytes += uint64(n)
			}
		}
		e.release()
		if sent > 0 {
			st.packetsForwarded.Add(sent)
			st.bytesForwarded.Add(bytes)
		}
	}
}
