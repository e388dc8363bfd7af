package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

const recBucket = "relay-recordings"

// recHarness is a relay recording into the S3 emulator.
func recHarness(t *testing.T) (*harness, *s3.Client) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe (Debian package ffmpeg) is not installed: `make system-tools` installs it; the recorded file cannot be checked without an independent reader")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{SESPort: -1, S3: true, S3Buckets: []string{recBucket}})
	if errors.Is(err, devstack.ErrToolsMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	api := s3.New(s3.Options{
		Region: "eu-central-1", BaseEndpoint: aws.String(st.S3Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(devstack.S3AccessKey, devstack.S3AccessKey, ""),
	})
	h := newHarnessWith(t, func(c *config.Config, o *Options) {
		c.RecordingsBucket = recBucket
		o.S3 = api
	})
	return h, api
}

// recordingSignal waits for c's next recording message.
func recordingSignal(t *testing.T, name string, c *client.Client) proto.RecordingNotice {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case s := <-c.Signals():
			if s.Type == proto.TypeRecording && s.Recording != nil {
				return *s.Recording
			}
		case <-timeout:
			t.Fatalf("%s: no recording message", name)
		}
	}
}

// recordingStarted waits for c's next recording started message.
func recordingStarted(t *testing.T, name string, c *client.Client) proto.RecordingNotice {
	t.Helper()
	for {
		if n := recordingSignal(t, name, c); n.State == proto.RecordingStarted {
			return n
		}
	}
}

// recordingEvent waits for the recording event of id in state.
func (s *eventSink) recordingEvent(t *testing.T, id, state string) events.Event {
	t.Helper()
	var found events.Event
	waitFor(t, "recording event "+state, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.got {
			if e.Type == events.TypeRecording && e.Recording != nil && e.Recording.ID == id && e.Recording.State == state {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

func startRecording(t *testing.T, who *client.Client, msgID string) {
	t.Helper()
	if err := who.SendTool([]byte(fmt.Sprintf(`{"tool":"record","state":"start","id":%q}`, msgID))); err != nil {
		t.Fatal(err)
	}
}

// A recording through the relay: a secondary may not start one; the
// primary's start reaches every participant, the customer first among
// them; stop finishes a WebM in S3 with the customer's video and audio and
// the technician's audio, announced by a stopped event with its size and
// length; ending the session, removing the customer and draining the relay
// each finish a running recording with their reason.
func TestRecordingThroughRelay(t *testing.T) {
	h, api := recHarness(t)
	const sid = "recsess"
	cust := h.join(toolmatrix.Customer, sid, "cust", true)
	prim := h.join(toolmatrix.Primary, sid, "prim", false)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	sec, err := client.Dial(ctx, client.Options{URL: h.url, Ticket: h.ticket(ticketOpts{kind: toolmatrix.Secondary, sid: sid, pid: "sec"}), PublishAudioOnly: true, API: h.api})
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	if _, err := sec.Joined(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sec.WaitDataChannel(ctx); err != nil {
		t.Fatal(err)
	}
	receivesMedia(t, "primary", prim)
	waitFor(t, "the secondary's audio at the primary", func() bool {
		n := 0
		for _, tr := range prim.Tracks() {
			if tr.Kind == "audio" && tr.Packets > 10 {
				n++
			}
		}
		return n == 2
	})

	// The matrix: a secondary's record message is refused and starts
	// nothing.
	startRecording(t, sec, "sec-rec")
	refused := false
	for !refused {
		select {
		case b := <-sec.Messages():
			var m toolMsg
			_ = json.Unmarshal(b, &m)
			refused = m.Error != nil && m.Error.Code == proto.CodeToolForbidden
		case <-time.After(wait):
			t.Fatal("the secondary's record message was not refused")
		}
	}

	startRecording(t, prim, "rec-1")
	n := recordingSignal(t, "customer", cust)
	if n.State != proto.RecordingStarted || n.By != "prim" || len(n.ID) < 32 {
		t.Fatalf("customer notice %+v", n)
	}
	for name, c := range map[string]*client.Client{"primary": prim, "secondary": sec} {
		if m := recordingSignal(t, name, c); m.ID != n.ID || m.State != proto.RecordingStarted {
			t.Fatalf("%s notice %+v", name, m)
		}
	}
	started := h.events.recordingEvent(t, n.ID, "started")
	wantKey := "recordings/" + sid + "/" + n.ID + ".webm"
	if started.ParticipantID != "prim" || started.Recording.Key != wantKey {
		t.Fatalf("started event %+v %+v", started, started.Recording)
	}
	// A technician joining during the recording is told at once.
	late := h.join(toolmatrix.Guest, sid, "late", false)
	if m := recordingSignal(t, "late guest", late); m.ID != n.ID || m.State != proto.RecordingStarted {
		t.Fatalf("late notice %+v", m)
	}

	time.Sleep(3 * time.Second) // the length of the recording under test
	if err := prim.SendTool([]byte(`{"tool":"record","state":"stop"}`)); err != nil {
		t.Fatal(err)
	}
	if m := recordingSignal(t, "customer", cust); m.State != proto.RecordingStopped || m.Reason != "stopped" {
		t.Fatalf("customer stop notice %+v", m)
	}
	stopped := h.events.recordingEvent(t, n.ID, "stopped").Recording
	if stopped.Reason != "stopped" || stopped.Key != wantKey || stopped.Bytes <= 0 {
		t.Fatalf("stopped event %+v", stopped)
	}
	if stopped.DurationMs < 2500 || stopped.DurationMs > 3600 {
		t.Errorf("duration %d ms, want about 3000", stopped.DurationMs)
	}
	body := getObject(t, api, wantKey)
	if int64(len(body)) != stopped.Bytes {
		t.Fatalf("object has %d bytes, event says %d", len(body), stopped.Bytes)
	}
	p := ffprobeFile(t, body)
	var codecs []string
	for _, s := range p.Streams {
		codecs = append(codecs, s.CodecName)
	}
	if strings.Join(codecs, ",") != "vp8,opus,opus" {
		t.Fatalf("tracks %v, want the customer's video and audio and the secondary's audio", codecs)
	}
	last := map[int]float64{}
	for i, pk := range p.Packets {
		at, err := strconv.ParseFloat(pk.PTS, 64)
		if err != nil {
			t.Fatalf("pts %q", pk.PTS)
		}
		if prev, ok := last[pk.Stream]; ok && at <= prev {
			t.Fatalf("track %d: %v after %v", pk.Stream, at, prev)
		}
		if _, ok := last[pk.Stream]; !ok && pk.Stream == 0 && !strings.Contains(pk.Flags, "K") {
			t.Fatalf("video starts with %+v (packet %d), not a key frame", pk, i)
		}
		last[pk.Stream] = at
	}
	for s := range 3 {
		if last[s] < 2.0 {
			t.Errorf("track %d ends at %.2f s, want about 3 s", s, last[s])
		}
	}

	// Removing the customer finishes the recording.
	startRecording(t, prim, "rec-2")
	n2 := recordingStarted(t, "primary", prim)
	if status, _ := h.control("/control/sessions/"+sid+"/participants/cust/remove", map[string]string{"reason": "removed"}); status != http.StatusOK {
		t.Fatalf("remove: %d", status)
	}
	if r := h.events.recordingEvent(t, n2.ID, "stopped").Recording; r.Reason != "customer_removed" {
		t.Fatalf("after removal: %+v", r)
	}

	// Ending the session finishes a recording too.
	cust2 := h.join(toolmatrix.Customer, sid, "cust2", true)
	receivesMediaFrom(t, prim, 2)
	startRecording(t, prim, "rec-3")
	if m := recordingSignal(t, "new customer", cust2); m.State != proto.RecordingStarted {
		t.Fatalf("new customer notice %+v", m)
	}
	n3 := recordingStarted(t, "primary", prim)
	if status, _ := h.control("/control/sessions/"+sid+"/end", map[string]string{}); status != http.StatusOK {
		t.Fatalf("end: %d", status)
	}
	if r := h.events.recordingEvent(t, n3.ID, "stopped").Recording; r.Reason != "session_ended" {
		t.Fatalf("after end: %+v", r)
	}
	getObject(t, api, "recordings/"+sid+"/"+n3.ID+".webm")

	// Draining the relay finishes a running recording before it closes.
	c4 := h.join(toolmatrix.Customer, "drained", "c", true)
	p4 := h.join(toolmatrix.Primary, "drained", "p", false)
	receivesMedia(t, "primary", p4)
	startRecording(t, p4, "rec-4")
	n4 := recordingSignal(t, "customer", c4)
	go h.app.Drain(context.Background())
	if r := h.events.recordingEvent(t, n4.ID, "stopped").Recording; r.Reason != "drain" || r.Bytes == 0 {
		t.Fatalf("after drain: %+v", r)
	}
	getObject(t, api, "recordings/drained/"+n4.ID+".webm")
}

// receivesMediaFrom waits until c receives video from a new publisher: n
// video tracks seen in all.
func receivesMediaFrom(t *testing.T, c *client.Client, n int) {
	t.Helper()
	waitFor(t, "new video", func() bool {
		v := 0
		for _, tr := range c.Tracks() {
			if tr.Kind == "video" && tr.Packets > 10 {
				v++
			}
		}
		return v >= n
	})
}

func getObject(t *testing.T, api *s3.Client, key string) []byte {
	t.Helper()
	out, err := api.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(recBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type ffProbe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
	} `json:"streams"`
	Packets []struct {
		Stream int    `json:"stream_index"`
		PTS    string `json:"pts_time"`
		Flags  string `json:"flags"`
	} `json:"packets"`
}

func ffprobeFile(t *testing.T, body []byte) ffProbe {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.webm")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_packets",
		"-show_entries", "packet=stream_index,pts_time,flags", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p ffProbe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}
