package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	relayapp "github.com/guestbridge/guestbridge/media-task/app"
	relayconfig "github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// startRecordingRelay is startLiveRelay with recording on: the relay streams
// recordings into the env's bucket in the S3 emulator.
func startRecordingRelay(e *env) *liveRelay {
	e.t.Helper()
	keys, err := secret.Derive(e.app.Config.Secret)
	must(e.t, err)
	cfg := relayconfig.Defaults()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.UDPIP, cfg.UDPPort = "127.0.0.1", 0
	cfg.TicketPublicKey = e.app.Minter.PublicKey()
	cfg.EventsURL = e.srv.URL + "/v1/internal/relay/events"
	cfg.EventsSecret = string(app.RelayEventsKey(e.app.Config, keys))
	cfg.Registry = "none"
	cfg.TaskID = "task-rec"
	cfg.DrainTimeout = 3 * time.Second
	cfg.RecordingsBucket = testBucket
	var logTo io.Writer = io.Discard
	if os.Getenv("GB_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	a, err := relayapp.New(cfg, relayapp.Options{Logger: slog.New(slog.NewTextHandler(logTo, nil)), S3: s3Client()})
	must(e.t, err)
	api, err := client.NewAPI()
	if err != nil {
		a.Close(context.Background())
		e.t.Fatal(err)
	}
	r := &liveRelay{app: a, srv: httptest.NewServer(a.Handler()), api: api}
	r.signalURL = "ws" + strings.TrimPrefix(r.srv.URL, "http") + "/signal"
	e.t.Cleanup(r.close)
	return r
}

// recordingNotice waits for c's recording message in state.
func recordingNotice(t *testing.T, c *client.Client, state string) proto.RecordingNotice {
	t.Helper()
	timeout := time.After(liveWait)
	for {
		select {
		case s := <-c.Signals():
			if s.Type == proto.TypeRecording && s.Recording != nil && s.Recording.State == state {
				return *s.Recording
			}
		case <-timeout:
			t.Fatalf("no recording %s message", state)
		}
	}
}

// TestRecordingFlowThroughTheAPI: a real relay records a session the API
// started: the primary's record start and stop over the relay leave a
// recording attachment on the case (size, duration, who started it), the
// audit log has the start and the stop, and the short-lived URL the API
// gives a member downloads the WebM the relay wrote, with the customer's
// video and audio in it.
func TestRecordingFlowThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	syncClock := func() { e.clock.Set(time.Now()) }
	syncClock()
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	relay := startRecordingRelay(e)
	e.registerRelay("task-1", e.relay.signalURL(), 1000)
	e.registerRelay("task-rec", relay.signalURL, 0)
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}})
	sid := st.str("session", "id")
	prim := relay.joinPeer(t, "primary", st.str("primary", "relayUrl"), st.str("primary", "ticket"), false)
	_, custToken, _ := strings.Cut(st.str("customerLink"), "#")
	syncClock()
	cj := e.call("POST", "/v1/session-invites/"+custToken+"/join", "", nil)
	e.expect(cj, 200, "")
	cust := relay.joinPeer(t, "customer", cj.str("relayUrl"), cj.str("ticket"), true)
	waitUntil(t, "the customer's video at the primary", func() bool {
		for _, tr := range prim.Tracks() {
			if tr.Kind == "video" && tr.Packets > 30 {
				return true
			}
		}
		return false
	})

	must(t, prim.SendTool([]byte(`{"tool":"record","state":"start"}`)))
	n := recordingNotice(t, cust, proto.RecordingStarted)
	time.Sleep(2500 * time.Millisecond) // the length of the recording
	syncClock()
	must(t, prim.SendTool([]byte(`{"tool":"record","state":"stop"}`)))
	recordingNotice(t, cust, proto.RecordingStopped)

	var att map[string]any
	waitUntil(t, "the recording on the case", func() bool {
		list := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", admin, nil)
		e.expect(list, 200, "")
		for _, a := range list.Body["attachments"].([]any) {
			if m := a.(map[string]any); m["kind"] == "recording" {
				att = m
				return true
			}
		}
		return false
	})
	dur, _ := att["durationMs"].(float64)
	size, _ := att["size"].(float64)
	if att["contentType"] != "video/webm" || att["sessionId"] != sid || att["createdByName"] != "Tim Tech" || size <= 0 || dur < 2000 || dur > 3600 {
		t.Fatalf("recording attachment %v", att)
	}
	got := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments/"+att["id"].(string), tech, nil)
	e.expect(got, 200, "")
	status, body, ct := fetch(t, "GET", got.str("download", "url"), nil, nil)
	if status != 200 || ct != "video/webm" || float64(len(body)) != size || !bytes.HasPrefix(body, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Fatalf("download: %d %q, %d bytes of %v, starts % x", status, ct, len(body), size, body[:min(4, len(body))])
	}
	if !strings.Contains(got.str("download", "url"), n.ID) {
		t.Fatalf("the download is not the relay's recording %s", n.ID)
	}
	if _, err := exec.LookPath("ffprobe"); err == nil {
		path := filepath.Join(t.TempDir(), "r.webm")
		must(t, os.WriteFile(path, body, 0o644))
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", path).Output()
		must(t, err)
		var p struct {
			Streams []struct {
				CodecName string `json:"codec_name"`
			} `json:"streams"`
		}
		must(t, json.Unmarshal(out, &p))
		if len(p.Streams) != 2 || p.Streams[0].CodecName != "vp8" || p.Streams[1].CodecName != "opus" {
			t.Fatalf("streams %+v, want the customer's vp8 and opus", p.Streams)
		}
	} else {
		t.Log("ffprobe (Debian package ffmpeg) not installed: the file's tracks are not checked")
	}

	count := map[string]int{}
	for _, x := range e.auditEntries(admin, "") {
		if x["target"] == sid {
			count[x["action"].(string)]++
		}
	}
	if count["session.recording_started"] != 1 || count["session.recording_stopped"] != 1 {
		t.Fatalf("recording audit entries: %v", count)
	}
}

// waitUntil polls cond until it holds or liveWait passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(liveWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
