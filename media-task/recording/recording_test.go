package recording

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/pion/rtp"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/shared/devstack"
)

// fakeTrack is a published track the test feeds by hand.
type fakeTrack struct {
	kind media.Kind
	mu   sync.Mutex
	taps []media.Tap
	keys atomic.Int64
}

func (f *fakeTrack) ID() string       { return f.kind.String() }
func (f *fakeTrack) Kind() media.Kind { return f.kind }
func (f *fakeTrack) SetEnabled(bool)  {}
func (f *fakeTrack) RequestKeyframe() { f.keys.Add(1) }
func (f *fakeTrack) send(b []byte, at time.Time) {
	f.mu.Lock()
	taps := append([]media.Tap(nil), f.taps...)
	f.mu.Unlock()
	for _, t := range taps {
		t.RTP(b, at)
	}
}

func (f *fakeTrack) AddTap(t media.Tap) func() {
	f.mu.Lock()
	f.taps = append(f.taps, t)
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.taps = nil
		f.mu.Unlock()
	}
}

// s3Stack starts the S3 emulator with one bucket, or skips where the local
// tools are not installed.
func s3Stack(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{SESPort: -1, S3: true, S3Buckets: []string{bucket}})
	if errors.Is(err, devstack.ErrToolsMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return s3.New(s3.Options{
		Region: "eu-central-1", BaseEndpoint: aws.String(st.S3Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(devstack.S3AccessKey, devstack.S3AccessKey, ""),
	})
}

// synthetic VP8 frames: the header a key frame needs (tag, start code,
// 640x480), then filler.
func vp8Frame(key bool, size int) []byte {
	f := make([]byte, size)
	for i := range f {
		f[i] = byte(i*7 + 3)
	}
	if key {
		copy(f, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
	} else {
		copy(f, []byte{0x11, 0x02, 0x00})
	}
	return f
}

// feedPacket is one RTP packet of the synthetic stream and when it arrives.
type feedPacket struct {
	track *fakeTrack
	b     []byte
	at    time.Time
}

// ffPacket is one packet as ffprobe reports it.
type ffPacket struct {
	Stream int    `json:"stream_index"`
	PTS    string `json:"pts_time"`
	Flags  string `json:"flags"`
}

type ffProbe struct {
	Streams []struct {
		Index     int    `json:"index"`
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Packets []ffPacket `json:"packets"`
}

// probe parses a file with ffprobe, the independent reader.
func probe(t *testing.T, path string) ffProbe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_packets",
		"-show_entries", "packet=stream_index,pts_time,flags", "-of", "json", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ffprobe: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("ffprobe: %v", err)
	}
	var p ffProbe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func needFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe (Debian package ffmpeg) is not installed: `make system-tools` installs it; the recorded file cannot be checked without an independent reader")
	}
}

// A synthetic VP8 + Opus customer and a technician's Opus, with packets
// lost and reordered, recorded into S3: ffprobe finds three tracks, every
// track's timestamps rising, the file starting at a key frame, the gaps of
// lost audio kept at their length, video resuming only at a key frame after
// a loss, and the duration of the media sent. The file is larger than one
// part, so it went up as a multipart upload.
func TestRecordingSyntheticStreamWithLoss(t *testing.T) {
	needFFprobe(t)
	const bucket = "rec-test"
	api := s3Stack(t, bucket)

	video := &fakeTrack{kind: media.Video}
	audio := &fakeTrack{kind: media.Audio}
	tech := &fakeTrack{kind: media.Audio}
	m := NewManager(api, bucket, nil)
	rec, err := m.Start("recordings/s1/abc.webm", []Track{{video, "customer video"}, {audio, "customer audio"}, {tech, "technician audio"}})
	if err != nil {
		t.Fatal(err)
	}

	// 4 s of media. The first key frame is frame 9 (0.3 s): what comes
	// before it is not written. Key frames then every 30 frames. A packet of
	// frame 80 is lost, so frames 80..98 cannot be decoded and the file
	// resumes at the key frame 99. Audio loses 3 % of its packets at random
	// and a run of 10 packets (200 ms) at 2 s.
	base := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	var feed []feedPacket
	var vseq uint16
	const frames = 120
	const frameSize = 70_000
	for f := range frames {
		key := f >= 9 && (f-9)%30 == 0
		frame := vp8Frame(key, frameSize)
		at := base.Add(time.Duration(f) * time.Second / 30)
		var pkts []feedPacket
		for off := 0; off < len(frame); off += 1100 {
			end := min(off+1100, len(frame))
			desc := byte(0x00)
			if off == 0 {
				desc = 0x10
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: vseq, Timestamp: uint32(f * 3000), Marker: end == len(frame), SSRC: 1},
				Payload: append([]byte{desc}, frame[off:end]...)}
			vseq++
			b, _ := p.Marshal()
			if f == 80 && off == 2200 {
				continue // lost
			}
			pkts = append(pkts, feedPacket{video, b, at})
		}
		// Reordering: neighbours swapped within the frame.
		for i := 1; i+1 < len(pkts); i += 5 {
			pkts[i], pkts[i+1] = pkts[i+1], pkts[i]
		}
		feed = append(feed, pkts...)
	}
	for i := range 200 {
		at := base.Add(time.Duration(i) * 20 * time.Millisecond)
		for j, tr := range []*fakeTrack{audio, tech} {
			if tr == audio && ((i >= 100 && i < 110) || rng.Float64() < 0.03) {
				continue
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i + 1000*j), Timestamp: uint32(i*960 + 77777*j), SSRC: uint32(2 + j)},
				Payload: []byte{0xf8, 0xff, 0xfe}}
			b, _ := p.Marshal()
			feed = append(feed, feedPacket{tr, b, at})
		}
	}
	// Packets reach the relay in arrival order; audio packets arrive
	// between video packets of the same instant.
	sortFeed(feed)
	// One audio packet overtakes its predecessor.
	for i := range feed {
		if feed[i].track == tech && i > 400 {
			for k := i + 1; k < len(feed); k++ {
				if feed[k].track == tech {
					feed[i], feed[k] = feed[k], feed[i]
					break
				}
			}
			break
		}
	}
	for i, p := range feed {
		p.track.send(p.b, p.at)
		if i%64 == 0 {
			// The forwarding loop of a real relay spreads packets out;
			// here the queue is given time to drain so none is dropped.
			waitDrained(t, rec)
		}
	}
	res, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if res.Dropped != 0 {
		t.Fatalf("dropped %d packets", res.Dropped)
	}
	if video.keys.Load() == 0 {
		t.Error("no key frame was requested while the file waited for one")
	}
	if res.Bytes <= PartSize {
		t.Fatalf("file of %d bytes: the test wants more than one part", res.Bytes)
	}

	obj, err := api.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("recordings/s1/abc.webm")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if int64(len(body)) != res.Bytes {
		t.Fatalf("object has %d bytes, the recording reported %d", len(body), res.Bytes)
	}
	path := filepath.Join(t.TempDir(), "rec.webm")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	p := probe(t, path)
	if len(p.Streams) != 3 {
		t.Fatalf("want 3 tracks, got %d: %+v", len(p.Streams), p.Streams)
	}
	want := []string{"vp8", "opus", "opus"}
	for i, s := range p.Streams {
		if s.CodecName != want[i] {
			t.Errorf("track %d is %q, want %q", i, s.CodecName, want[i])
		}
	}
	if p.Streams[0].Width != 640 || p.Streams[0].Height != 480 {
		t.Errorf("video is %dx%d, want 640x480", p.Streams[0].Width, p.Streams[0].Height)
	}
	per := map[int][]ffPacket{}
	for _, pk := range p.Packets {
		per[pk.Stream] = append(per[pk.Stream], pk)
	}
	pts := func(pk ffPacket) float64 {
		v, err := strconv.ParseFloat(pk.PTS, 64)
		if err != nil {
			t.Fatalf("pts %q", pk.PTS)
		}
		return v
	}
	for s, pks := range per {
		for i := 1; i < len(pks); i++ {
			if pts(pks[i]) <= pts(pks[i-1]) {
				t.Fatalf("track %d: timestamp %v after %v", s, pks[i].PTS, pks[i-1].PTS)
			}
		}
	}
	v := per[0]
	if len(v) == 0 || !strings.Contains(v[0].Flags, "K") || pts(v[0]) != 0 {
		t.Fatalf("the file does not start with a key frame at 0: %+v", v[:min(1, len(v))])
	}
	// Frames 9..79 are written, 80..98 are not, 99..119 are: the frame
	// after 79 (2.333 s after the first key frame) is the key frame 99
	// (3.0 s).
	for i, pk := range v {
		if at := pts(pk); at > 2.34 && at < 2.99 {
			t.Fatalf("frame at %.3f s written while waiting for a key frame", at)
		}
		if i > 0 && pts(v[i-1]) < 2.34 && pts(pk) > 2.34 {
			if !strings.Contains(pk.Flags, "K") || pts(pk) < 2.95 || pts(pk) > 3.05 {
				t.Fatalf("after the loss the file resumes with %+v, want the key frame at 3.0 s", pk)
			}
		}
	}
	if n := len(v); n != (80-9)+(120-99) {
		t.Errorf("%d video frames written, want %d", n, (80-9)+(120-99))
	}
	last := pts(v[len(v)-1])
	if last < 3.6 || last > 3.75 {
		t.Errorf("last video frame at %.3f s, want 3.667 (the media's length after the first key frame)", last)
	}
	// The 200 ms of lost audio at 2.0 s (1.7 s into the file) stays a gap.
	gap := 0.0
	a := per[1]
	for i := 1; i < len(a); i++ {
		gap = max(gap, pts(a[i])-pts(a[i-1]))
	}
	if gap < 0.21 || gap > 0.3 {
		t.Errorf("largest audio gap %.3f s, want about 0.22 s (10 lost packets and their neighbour)", gap)
	}
	if len(per[2]) < 180 {
		t.Errorf("technician audio has %d frames, want about 185", len(per[2]))
	}
}

func sortFeed(f []feedPacket) {
	// A stable sort by arrival keeps each track's own order (and its
	// injected reordering).
	for i := 1; i < len(f); i++ {
		for j := i; j > 0 && f[j].at.Before(f[j-1].at); j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
}

// waitDrained waits until the recording's queue is empty.
func waitDrained(t *testing.T, r *Recording) {
	deadline := time.Now().Add(5 * time.Second)
	for len(r.queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("recording queue does not drain")
		}
		time.Sleep(time.Millisecond)
	}
}

// A recording whose upload fails reports the error instead of a file, and
// leaves no upload behind.
func TestRecordingUploadFailureIsReported(t *testing.T) {
	video := &fakeTrack{kind: media.Video}
	m := NewManager(failingS3{}, "b", nil)
	rec, err := m.Start("recordings/s/x.webm", []Track{{video, "v"}})
	if err != nil {
		t.Fatal(err)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 0, Marker: true}, Payload: append([]byte{0x10}, vp8Frame(true, 100)...)}
	b, _ := p.Marshal()
	video.send(b, time.Now())
	if _, err := rec.Stop(); err == nil {
		t.Fatal("a failed upload was reported as a recording")
	}
}

type failingS3 struct{ S3API }

func (failingS3) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return nil, errors.New("access denied")
}
