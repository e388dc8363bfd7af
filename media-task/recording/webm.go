package recording

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/guestbridge/guestbridge/media-task/media"
)

// How long a sample builder waits for a late or retransmitted packet before
// it gives the frame up: in packets, and in media time.
const (
	videoMaxLate   = 256
	audioMaxLate   = 25
	maxLateTime    = 500 * time.Millisecond
	sorterDelay    = 160
	videoClockRate = 90000
	opusClockRate  = 48000
)

// TrackSpec describes one track of a recording.
type TrackSpec struct {
	Kind media.Kind
	// Name is the track's name in the file (who it is).
	Name string
}

// webmWriter turns the RTP packets of a recording's tracks into frames with
// pion's sample builders and writes them, as they come, into a WebM file
// with ebml-go: nothing is decoded or encoded.
//
// Timestamps: a track's first frame is placed at its arrival time after the
// recording's start, and each later frame at that plus its RTP timestamp's
// distance from the first, so lost packets leave gaps of the right length and
// tracks stay in step. The file starts at the first video key frame; after
// video packets are lost, frames are dropped until the next key frame, since
// they would not decode.
type webmWriter struct {
	out        io.WriteCloser
	specs      []TrackSpec
	tracks     []*trackState
	requestKey func(track int)
	video      int // index of the video track, -1 when there is none

	started bool
	start   time.Time
	blocks  []webm.BlockWriteCloser
	mu      sync.Mutex
	// err is the first error of the WebM writer.
	err error
	// durationMs is the latest timestamp written.
	durationMs int64
	frames     int
}

type trackState struct {
	sb       *samplebuilder.SampleBuilder
	video    bool
	clock    int64
	anchored bool
	anchorMs int64
	lastRTP  uint32
	ext      int64
	lastTs   int64
	written  bool
	waitKey  bool
	frames   int
}

func newWebmWriter(out io.WriteCloser, specs []TrackSpec, requestKey func(int)) *webmWriter {
	w := &webmWriter{out: out, specs: specs, requestKey: requestKey, video: -1}
	for i, s := range specs {
		t := &trackState{video: s.Kind == media.Video}
		if t.video {
			t.clock = videoClockRate
			t.sb = samplebuilder.New(videoMaxLate, &codecs.VP8Packet{}, videoClockRate, samplebuilder.WithMaxTimeDelay(maxLateTime))
			if w.video < 0 {
				w.video = i
			}
		} else {
			t.clock = opusClockRate
			t.sb = samplebuilder.New(audioMaxLate, &codecs.OpusPacket{}, opusClockRate, samplebuilder.WithMaxTimeDelay(maxLateTime))
		}
		w.tracks = append(w.tracks, t)
	}
	return w
}

// push adds one RTP packet of track i, arrived at at, and writes the frames
// it completes.
func (w *webmWriter) push(i int, pkt []byte, at time.Time) {
	t := w.tracks[i]
	var p rtp.Packet
	if err := p.Unmarshal(pkt); err != nil {
		return
	}
	t.sb.Push(&p)
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		w.sample(i, s, at)
	}
}

// vp8Key reports whether a VP8 frame is a key frame (RFC 6386 9.1) and its
// size.
func vp8Key(f []byte) (key bool, width, height uint64) {
	if len(f) < 10 || f[0]&0x01 != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
		return false, 0, 0
	}
	return true, uint64(binary.LittleEndian.Uint16(f[6:8]) & 0x3fff), uint64(binary.LittleEndian.Uint16(f[8:10]) & 0x3fff)
}

func (w *webmWriter) sample(i int, s *pmedia.Sample, at time.Time) {
	t := w.tracks[i]
	key := true
	if t.video {
		var width, height uint64
		key, width, height = vp8Key(s.Data)
		if s.PrevDroppedPackets > 0 && t.written {
			t.waitKey = true
		}
		if !w.started {
			if !key {
				w.requestKey(i)
				return
			}
			w.begin(at, width, height)
		}
		if t.waitKey {
			if !key {
				w.requestKey(i)
				return
			}
			t.waitKey = false
		}
	} else if !w.started {
		if w.video >= 0 {
			return
		}
		w.begin(at, 0, 0)
	}
	if w.failed() != nil || w.blocks == nil {
		return
	}
	if !t.anchored {
		t.anchored = true
		t.anchorMs = max(0, at.Sub(w.start).Milliseconds())
		t.lastRTP = s.PacketTimestamp
	}
	// RTP timestamps wrap at 32 bits; the signed distance from the previous
	// frame unwraps them.
	t.ext += int64(int32(s.PacketTimestamp - t.lastRTP))
	t.lastRTP = s.PacketTimestamp
	ts := t.anchorMs + t.ext*1000/t.clock
	if t.written && ts <= t.lastTs {
		ts = t.lastTs + 1
	}
	if _, err := w.blocks[i].Write(key, ts, s.Data); err != nil {
		w.setErr(err)
		return
	}
	t.lastTs, t.written = ts, true
	t.frames++
	w.durationMs = max(w.durationMs, ts)
	w.frames++
}

// opusHead is the Opus identification header WebM carries as CodecPrivate
// (RFC 7845 5.1): version 1, two channels, 312 samples pre-skip, 48 kHz.
var opusHead = []byte{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0}

// begin writes the file's header; the tracks' timestamps count from at.
func (w *webmWriter) begin(at time.Time, width, height uint64) {
	w.started, w.start = true, at
	entries := make([]webm.TrackEntry, 0, len(w.specs))
	for i, s := range w.specs {
		n := uint64(i + 1)
		e := webm.TrackEntry{Name: s.Name, TrackNumber: n, TrackUID: n}
		if s.Kind == media.Video {
			e.CodecID, e.TrackType = "V_VP8", 1
			e.Video = &webm.Video{PixelWidth: width, PixelHeight: height}
		} else {
			e.CodecID, e.TrackType = "A_OPUS", 2
			e.CodecPrivate = opusHead
			e.SeekPreRoll = 80_000_000
			e.Audio = &webm.Audio{SamplingFrequency: opusClockRate, Channels: 2}
		}
		entries = append(entries, e)
	}
	opts := []mkvcore.BlockWriterOption{
		// The tracks' frames are interleaved by time. A frame that comes
		// later than frames already written is dropped, so the sorter
		// holds about a second of frames: longer than a sample builder
		// waits for a lost packet.
		mkvcore.WithBlockInterceptor(mkvcore.MustBlockInterceptor(mkvcore.NewMultiTrackBlockSorter(
			mkvcore.WithMaxDelayedPackets(sorterDelay), mkvcore.WithSortRule(mkvcore.BlockSorterDropOutdated)))),
		// A frame too old for its cluster is dropped by ebml-go; that is
		// not worth failing the recording for.
		mkvcore.WithOnErrorHandler(func(error) {}),
		mkvcore.WithOnFatalHandler(func(err error) { w.setErr(err) }),
	}
	if w.video >= 0 {
		// A cluster begins at each key frame, where a player can start.
		opts = append(opts, mkvcore.WithMaxKeyframeInterval(uint64(w.video+1), 0x7fff))
	}
	blocks, err := webm.NewSimpleBlockWriter(w.out, entries, opts...)
	if err != nil {
		w.setErr(fmt.Errorf("recording: webm header: %w", err))
		return
	}
	w.blocks = blocks
}

// setErr keeps the first error; ebml-go reports from its own goroutine.
func (w *webmWriter) setErr(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *webmWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// close writes the frames still buffered and ends the file; the underlying
// writer is closed (the upload completed) when close returns.
func (w *webmWriter) close(at time.Time) error {
	for i, t := range w.tracks {
		t.sb.Flush()
		for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
			w.sample(i, s, at)
		}
	}
	if !w.started {
		// Nothing arrived: the file still gets its header, so that every
		// recording started leaves a file that opens.
		w.begin(at, 0, 0)
	}
	if w.blocks != nil {
		// ebml-go closes the output after the last block writer's Close.
		for _, b := range w.blocks {
			_ = b.Close()
		}
	}
	if err := w.out.Close(); err != nil {
		return err
	}
	return w.failed()
}

// perTrack is how many frames each track has written.
func (w *webmWriter) perTrack() []int {
	out := make([]int, len(w.tracks))
	for i, t := range w.tracks {
		out[i] = t.frames
	}
	return out
}
