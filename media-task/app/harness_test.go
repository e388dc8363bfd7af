package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// wait is the generous timeout of every wait on an event in these tests.
const wait = 20 * time.Second

// harness runs a relay App behind an httptest server, with an events sink.
type harness struct {
	t      *testing.T
	priv   ed25519.PrivateKey
	app    *App
	srv    *httptest.Server
	events *eventSink
	api    *client.API
	url    string

	mu      sync.Mutex
	clients map[*client.Client]bool // closed at cleanup unless forgotten
}

// forget drops a client the test closed itself, so the harness does not keep
// it alive (the join/leave cycles measure what the relay retains).
func (h *harness) forget(c *client.Client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

type eventSink struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    []events.Event
	bad    int
}

func newEventSink(secret string) *eventSink {
	s := &eventSink{secret: secret}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Header.Get(events.SignatureHeader) != events.Sign(s.secret, body) {
			s.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev events.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			s.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.got = append(s.got, ev)
	}))
	return s
}

func (s *eventSink) has(typ, sid, pid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.got {
		if e.Type == typ && e.SessionID == sid && e.ParticipantID == pid {
			return true
		}
	}
	return false
}

func quietLogger() *slog.Logger {
	if os.Getenv("RELAY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith is newHarness with the configuration and options changed
// by mod before the App is built.
func newHarnessWith(t *testing.T, mod func(*config.Config, *Options)) *harness {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sink := newEventSink("test-secret")
	cfg := config.Defaults()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.UDPIP = "127.0.0.1"
	cfg.UDPPort = 0
	cfg.TicketPublicKey = pub
	cfg.EventsURL = sink.srv.URL
	cfg.EventsSecret = sink.secret
	cfg.Registry = "none"
	cfg.DrainTimeout = 3 * time.Second
	opts := Options{Logger: quietLogger()}
	if mod != nil {
		mod(&cfg, &opts)
	}
	a, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	api, err := client.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, priv: priv, app: a, srv: srv, events: sink, api: api,
		url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/signal"}
	t.Cleanup(h.close)
	return h
}

var closeOnce sync.Map

func (h *harness) close() {
	if _, done := closeOnce.LoadOrStore(h, true); done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.app.Close(ctx)
	h.srv.Close()
	h.events.srv.Close()
}

type ticketOpts struct {
	kind  toolmatrix.Kind
	sid   string
	pid   string
	jti   string
	until time.Time
	ttl   time.Duration
	// tools are the tools claim; nil means the kind's full set.
	tools []toolmatrix.Tool
	seat  string
}

func (h *harness) ticket(o ticketOpts) string {
	h.t.Helper()
	now := time.Now()
	if o.jti == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		o.jti = hex.EncodeToString(b)
	}
	if o.ttl == 0 {
		o.ttl = 60 * time.Second
	}
	if o.tools == nil {
		o.tools = toolmatrix.Tools(o.kind)
	}
	claims := jwt.MapClaims{
		"iss": "guestbridge-api", "aud": "guestbridge-relay",
		"sub": o.pid, "sid": o.sid, "kind": string(o.kind), "name": "N " + o.pid,
		"jti": o.jti, "iat": now.Unix(), "exp": now.Add(o.ttl).Unix(), "tools": o.tools,
	}
	if o.seat != "" {
		claims["seat"] = o.seat
	}
	if !o.until.IsZero() {
		claims["until"] = o.until.Unix()
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(h.priv)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// controlToken mints a control token for aud that names no call.
func (h *harness) controlToken(aud string) string {
	h.t.Helper()
	return h.boundControlToken(aud, "", nil)
}

// boundControlToken mints a control token for aud bound to a POST of body
// to path, as the API's relayctl does.
func (h *harness) boundControlToken(aud, path string, body []byte) string {
	h.t.Helper()
	now := time.Now()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "guestbridge-api", "aud": aud, "iat": now.Unix(), "exp": now.Add(30 * time.Second).Unix(),
		"jti": hex.EncodeToString(b), "htm": http.MethodPost, "htu": path, "bh": bodyHash(body),
	}).SignedString(h.priv)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// bodyHash is the bh claim: base64url(SHA-256(body)).
func bodyHash(body []byte) string {
	h := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// control POSTs a control call with a token bound to it and returns the
// status and decoded body.
func (h *harness) control(path string, body any) (int, map[string]any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	return h.controlRaw(h.boundControlToken("guestbridge-relay-control", path, b), path, b)
}

func (h *harness) controlWith(token, path string, body any) (int, map[string]any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	return h.controlRaw(token, path, b)
}

func (h *harness) controlRaw(token, path string, b []byte) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// join dials a client and waits until it has joined and its data channel is
// open.
func (h *harness) join(kind toolmatrix.Kind, sid, pid string, publish bool) *client.Client {
	h.t.Helper()
	c := h.dial(h.ticket(ticketOpts{kind: kind, sid: sid, pid: pid}), publish)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := c.Joined(ctx); err != nil {
		h.t.Fatalf("%s joined: %v", pid, err)
	}
	if err := c.WaitDataChannel(ctx); err != nil {
		h.t.Fatalf("%s data channel: %v", pid, err)
	}
	return c
}

func (h *harness) dial(ticket string, publish bool) *client.Client {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := client.Dial(ctx, client.Options{URL: h.url, Ticket: ticket, Publish: publish, API: h.api})
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	if h.clients == nil {
		h.clients = map[*client.Client]bool{}
		h.t.Cleanup(func() {
			h.mu.Lock()
			open := h.clients
			h.clients = nil
			h.mu.Unlock()
			for c := range open {
				_ = c.Close()
			}
		})
	}
	h.clients[c] = true
	h.mu.Unlock()
	return c
}

// waitFor polls cond until it holds or the wait expires.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// receivesMedia waits until c has received a key frame first on video and
// packets on audio.
func receivesMedia(t *testing.T, name string, c *client.Client) {
	t.Helper()
	waitFor(t, name+" media", func() bool {
		var video, audio bool
		for _, tr := range c.Tracks() {
			switch tr.Kind {
			case "video":
				video = tr.Packets > 10 && !tr.FirstKeyframe.IsZero()
			case "audio":
				audio = tr.Packets > 10
			}
		}
		return video && audio
	})
	for _, tr := range c.Tracks() {
		if tr.Kind == "video" && !tr.StartsWithKeyframe {
			t.Errorf("%s: first video packet was not a key frame", name)
		}
	}
}

// settleGoroutines waits until the goroutine count is at most want.
func settleGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines did not settle: %d > %d\n%s", n, want, buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
