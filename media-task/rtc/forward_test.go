package rtc

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/guestbridge/guestbridge/media-task/media"
)

var vp8Key = []byte{0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}

func TestVP8Keyframe(t *testing.T) {
	cases := []struct {
		name string
		p    []byte
		want bool
	}{
		{"key frame", vp8Key, true},
		{"delta frame", []byte{0x10, 0x11, 0x02, 0x00, 0, 0, 0, 0}, false},
		{"continuation", []byte{0x00, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, false},
		{"other partition", []byte{0x11, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, false},
		{"extended with 15-bit picture id", []byte{0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, true},
		{"extended with 7-bit picture id, tl0, tid", []byte{0x90, 0xe0, 0x12, 0x01, 0x40, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, true},
		{"no start code", []byte{0x10, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00}, false},
		{"truncated", []byte{0x90}, false},
		{"empty", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := vp8Keyframe(tc.p); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestPacketCache(t *testing.T) {
	c := newPacketCache(4)
	c.store(10, []byte{1, 2, 3})
	c.store(11, []byte{4})
	dst := make([]byte, maxPacketSize)
	if n := c.get(10, dst); n != 3 || dst[2] != 3 {
		t.Fatalf("get 10: %d", n)
	}
	c.store(14, []byte{9}) // evicts 10
	if n := c.get(10, dst); n != 0 {
		t.Fatal("evicted packet returned")
	}
	if n := c.get(99, dst); n != 0 {
		t.Fatal("unknown packet returned")
	}
}

type written struct {
	h       rtp.Header
	payload []byte
}

type fakeWriter struct{ got []written }

func (f *fakeWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	f.got = append(f.got, written{h: *h, payload: append([]byte(nil), p...)})
	return len(p), nil
}

func (f *fakeWriter) Write(b []byte) (int, error) { return len(b), nil }

func newTestDown(t *testing.T) (*UpTrack, *DownTrack, *fakeWriter) {
	t.Helper()
	e := &Engine{cfg: Config{KeyframeInterval: time.Hour}}
	p := &Peer{e: e}
	p.connected.Store(true)
	up := &UpTrack{peer: p, kind: media.Video, cache: newPacketCache(64), mime: "video/VP8", sendPLI: func() {}}
	up.lastPLI.Store(time.Now().UnixNano())
	up.enabled.Store(true)
	d := newDownTrack(up, p)
	w := &fakeWriter{}
	d.bound.Store(&binding{ssrc: 777, pt: 100, w: w})
	return up, d, w
}

func packet(up *UpTrack, seq uint16, payload []byte) (*rtp.Header, []byte) {
	h := &rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 1234, PayloadType: 96, Timestamp: uint32(seq) * 10}
	if err := h.SetExtension(3, []byte{1}); err != nil {
		panic(err)
	}
	raw, _ := (&rtp.Packet{Header: *h, Payload: payload}).Marshal()
	up.cache.store(seq, raw)
	return h, payload
}

func TestDownTrackStartsAtKeyframeAndRewrites(t *testing.T) {
	up, d, w := newTestDown(t)
	delta := []byte{0x10, 0x11, 0x02, 0x00, 0, 0, 0}
	for seq, pl := range map[uint16][]byte{100: delta} {
		h, p := packet(up, seq, pl)
		if d.write(h, p, vp8Keyframe(p)) {
			t.Fatal("delta frame forwarded before the first key frame")
		}
	}
	h, p := packet(up, 101, vp8Key)
	if !d.write(h, p, true) {
		t.Fatal("key frame not forwarded")
	}
	h, p = packet(up, 102, delta)
	d.write(h, p, false)
	if len(w.got) != 2 {
		t.Fatalf("%d written", len(w.got))
	}
	g := w.got[0].h
	if g.SSRC != 777 || g.PayloadType != 100 || g.SequenceNumber != 101 || g.Extension || len(g.Extensions) != 0 || g.Timestamp != 1010 {
		t.Fatalf("rewritten header %+v", g)
	}
}

func TestDownTrackSkipKeepsSequenceContiguous(t *testing.T) {
	up, d, w := newTestDown(t)
	delta := []byte{0x10, 0x11, 0x02, 0x00, 0, 0, 0}
	seq := uint16(65530) // across the wrap
	send := func(pl []byte, key bool) {
		h, p := packet(up, seq, pl)
		d.write(h, p, key)
		seq++
	}
	send(vp8Key, true)
	send(delta, false)
	d.SetEnabled(false)
	send(delta, false)
	send(delta, false)
	send(delta, false)
	d.SetEnabled(true)
	send(delta, false) // waits for a key frame again
	send(vp8Key, true)
	send(delta, false)
	var seqs []uint16
	for _, g := range w.got {
		seqs = append(seqs, g.h.SequenceNumber)
	}
	want := []uint16{65530, 65531, 65532, 65533}
	if len(seqs) != len(want) {
		t.Fatalf("sent %v, want %v", seqs, want)
	}
	for i := range want {
		if seqs[i] != want[i] {
			t.Fatalf("sent %v, want %v", seqs, want)
		}
	}

	// A NACK for the subscriber's 65532 is served from the shared cache
	// with the incoming packet 65536 (mod 2^16) = 0 that it maps to.
	w.got = nil
	nack := &rtcp.TransportLayerNack{MediaSSRC: 777, Nacks: []rtcp.NackPair{{PacketID: 65532, LostPackets: 0b1}}}
	raw, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 1}, nack})
	d.handleRTCP(raw)
	if len(w.got) != 2 {
		t.Fatalf("retransmitted %d, want 2", len(w.got))
	}
	if w.got[0].h.SequenceNumber != 65532 || !vp8Keyframe(w.got[0].payload) || w.got[0].h.SSRC != 777 || w.got[0].h.Extension {
		t.Fatalf("retransmission %+v", w.got[0].h)
	}
	if w.got[1].h.SequenceNumber != 65533 {
		t.Fatalf("second retransmission %d", w.got[1].h.SequenceNumber)
	}

	// A NACK for a packet from before the skip cannot be mapped and is
	// ignored rather than answered with the wrong packet.
	w.got = nil
	raw, _ = rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: 777, Nacks: []rtcp.NackPair{{PacketID: 65530}}}})
	d.handleRTCP(raw)
	if len(w.got) != 0 {
		t.Fatalf("answered an unmappable NACK: %+v", w.got)
	}
}

func TestHandleRTCPKeyframeRequests(t *testing.T) {
	up, d, _ := newTestDown(t)
	plis := 0
	up.sendPLI = func() { plis++ }
	up.lastPLI.Store(0)
	up.peer.e.cfg.KeyframeInterval = time.Hour
	pli, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 777}})
	fir, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.FullIntraRequest{MediaSSRC: 777}})
	d.handleRTCP(pli)
	d.handleRTCP(fir)
	d.handleRTCP(pli)
	if plis != 1 {
		t.Fatalf("%d PLIs sent to the publisher, want 1 (rate limited)", plis)
	}
	up.peer.e.cfg.KeyframeInterval = time.Nanosecond
	time.Sleep(time.Millisecond)
	d.handleRTCP(fir)
	if plis != 2 {
		t.Fatalf("FIR after the interval: %d PLIs, want 2", plis)
	}
}

func TestHandleRTCPMalformed(t *testing.T) {
	_, d, w := newTestDown(t)
	for _, b := range [][]byte{
		{},
		{0x80},
		{0x81, 205, 0xff, 0xff},
		{0x40, 205, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0},
		binary.BigEndian.AppendUint16([]byte{0x81, 205}, 1),
	} {
		d.handleRTCP(b)
	}
	if len(w.got) != 0 {
		t.Fatal("malformed RTCP caused writes")
	}
}
