package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	relayapp "github.com/guestbridge/guestbridge/media-task/app"
	relayconfig "github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/revocation"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// trustRelay is the real relay (media-task/app) in-process against an env,
// on a fixed address so the test can restart it where the session was
// placed, with its control endpoint behind a switch that loses calls, and
// with the periodic check reading the env's table.
type trustRelay struct {
	e         *env
	addr      string
	check     time.Duration
	dropCtl   atomic.Bool
	app       *relayapp.App
	srv       *httptest.Server
	stop      context.CancelFunc
	done      chan struct{}
	signalURL string
	api       *client.API
}

// startTrustRelay starts a relay; check is the period of its revocation
// check (zero: off).
func startTrustRelay(e *env, check time.Duration) *trustRelay {
	e.t.Helper()
	api, err := client.NewAPI()
	must(e.t, err)
	r := &trustRelay{e: e, addr: "127.0.0.1:0", check: check, api: api}
	r.start()
	e.t.Cleanup(r.close)
	return r
}

func (r *trustRelay) start() {
	e := r.e
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
	cfg.TaskID = "task-trust"
	cfg.DrainTimeout = 3 * time.Second
	cfg.RevocationInterval = r.check
	var logTo io.Writer = io.Discard
	if os.Getenv("GB_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	opts := relayapp.Options{Logger: slog.New(slog.NewTextHandler(logTo, nil))}
	if r.check > 0 {
		opts.Sessions = revocation.NewDynamoReader(e.db, e.table)
	}
	a, err := relayapp.New(cfg, opts)
	must(e.t, err)
	ln, err := net.Listen("tcp", r.addr)
	must(e.t, err)
	r.addr = ln.Addr().String()
	h := a.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/control/") && r.dropCtl.Load() {
			// A lost control call: the API's retries fail and it gives up.
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, req)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	r.app, r.srv, r.stop, r.done = a, srv, cancel, make(chan struct{})
	go func() { defer close(r.done); a.RunRevocationCheck(ctx) }()
	r.signalURL = "ws://" + r.addr + "/signal"
}

// close stops the relay: everyone is disconnected, its memory is gone.
func (r *trustRelay) close() {
	if r.app == nil {
		return
	}
	r.stop()
	<-r.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.app.Close(ctx)
	r.srv.Close()
	r.app = nil
}

// restart stops the relay and starts a new one on the same address.
func (r *trustRelay) restart() {
	r.close()
	r.start()
}

func (r *trustRelay) dial(t *testing.T, ticket string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveWait)
	defer cancel()
	c, err := client.Dial(ctx, client.Options{URL: r.signalURL, Ticket: ticket, API: r.api})
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// joined dials and waits for the relay's joined message.
func (r *trustRelay) joined(t *testing.T, name, ticket string) (*client.Client, proto.Signal) {
	t.Helper()
	c := r.dial(t, ticket)
	ctx, cancel := context.WithTimeout(context.Background(), liveWait)
	defer cancel()
	s, err := c.Joined(ctx)
	if err != nil {
		t.Fatalf("%s not admitted: %v (close reason %q)", name, err, c.CloseReason())
	}
	return c, s
}

// trustSession starts a session on the trust relay and returns its id, the
// primary's token and the customer link's token.
func trustSession(e *env, r *trustRelay) (sid, tech, custToken string) {
	e.t.Helper()
	e.clock.Set(time.Now())
	tech = e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	e.registerRelay("task-1", e.relay.signalURL(), 1000)
	e.registerRelay("task-trust", r.signalURL, 0)
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}})
	if st.str("primary", "relayUrl") != r.signalURL {
		e.t.Fatalf("session placed on %q, want %q", st.str("primary", "relayUrl"), r.signalURL)
	}
	_, custToken, _ = strings.Cut(st.str("customerLink"), "#")
	return st.str("session", "id"), tech, custToken
}

func toolsOf(v []toolmatrix.Tool) []string {
	out := make([]string, len(v))
	for i, t := range v {
		out[i] = string(t)
	}
	return out
}

// TestTrustToolSwitchSurvivesRelayRestart: a tool the primary switched off
// stays off when the relay restarts between the switch and the rejoin; the
// customer link holds one device at a time and lets the same device back.
func TestTrustToolSwitchSurvivesRelayRestart(t *testing.T) {
	e := newEnv(t)
	r := startTrustRelay(e, 0)
	sid, tech, link := trustSession(e, r)

	first := e.call("POST", "/v1/session-invites/"+link+"/join", "", nil)
	e.expect(first, 200, "")
	seat, pid := first.str("seat"), first.str("participantId")
	if seat == "" {
		t.Fatalf("no seat key for the customer's device: %s", first.Raw)
	}
	cust, js := r.joined(t, "customer", first.str("ticket"))
	if !slices.Contains(js.Tools, toolmatrix.Chat) {
		t.Fatalf("customer tools at join %v, want chat among them", js.Tools)
	}

	// A second device opens the same link: the relay refuses it while the
	// first is connected, and the first stays.
	other := e.call("POST", "/v1/session-invites/"+link+"/join", "", nil)
	e.expect(other, 200, "")
	if other.str("seat") == seat {
		t.Fatal("a second device got the first device's seat")
	}
	refusedWith(t, "the second device", r.dial(t, other.str("ticket")), proto.ReasonSeatTaken)
	select {
	case <-cust.Closed():
		t.Fatalf("the first device was disconnected (%s)", cust.CloseReason())
	default:
	}

	// The primary switches chat off for the customer.
	tl := e.call("PUT", "/v1/sessions/"+sid+"/participants/"+pid+"/tools", tech, map[string]any{"tools": []string{"video", "mic"}})
	e.expect(tl, 200, "")

	// The relay restarts: its memory of the switch is gone.
	r.restart()
	select {
	case <-cust.Closed():
	case <-time.After(liveWait):
		t.Fatal("the customer was not disconnected by the restart")
	}

	// The same device comes back with its seat: chat stays off.
	e.clock.Set(time.Now())
	back := e.call("POST", "/v1/session-invites/"+link+"/join", "", map[string]string{"seat": seat})
	e.expect(back, 200, "")
	if back.str("seat") != seat {
		t.Fatalf("the device's seat changed on reconnect: %s", back.Raw)
	}
	_, js = r.joined(t, "customer after the restart", back.str("ticket"))
	if want := []string{"video", "mic"}; !slices.Equal(toolsOf(js.Tools), want) {
		t.Fatalf("customer tools after the restart %v, want %v", js.Tools, want)
	}
	// A reconnect of the same device replaces its connection; a seat key
	// that is not one is refused by the API.
	again := e.call("POST", "/v1/session-invites/"+link+"/join", "", map[string]string{"seat": seat})
	e.expect(again, 200, "")
	if _, js := r.joined(t, "customer reconnect", again.str("ticket")); slices.Contains(js.Tools, toolmatrix.Chat) {
		t.Fatalf("reconnect tools %v", js.Tools)
	}
	bad := e.call("POST", "/v1/session-invites/"+link+"/join", "", map[string]string{"seat": "not-a-seat"})
	if bad.Status != http.StatusBadRequest || bad.field() != "seat" {
		t.Fatalf("bad seat: %d %s", bad.Status, bad.Raw)
	}
}

// TestTrustLostToolCallAppliedByCheck: when the tools call never reaches the
// relay, its periodic check reads the switch from the table and takes the
// tool away from the connected participant.
func TestTrustLostToolCallAppliedByCheck(t *testing.T) {
	e := newEnv(t)
	r := startTrustRelay(e, 200*time.Millisecond)
	sid, tech, link := trustSession(e, r)
	j := e.call("POST", "/v1/session-invites/"+link+"/join", "", nil)
	e.expect(j, 200, "")
	cust, js := r.joined(t, "customer", j.str("ticket"))
	if !slices.Contains(js.Tools, toolmatrix.Chat) {
		t.Fatalf("customer tools at join %v", js.Tools)
	}

	r.dropCtl.Store(true)
	e.expect(e.call("PUT", "/v1/sessions/"+sid+"/participants/"+j.str("participantId")+"/tools", tech,
		map[string]any{"tools": []string{"video"}}), 200, "")

	deadline := time.After(liveWait)
	for {
		select {
		case s := <-cust.Signals():
			if s.Type == proto.TypeTools {
				if want := []string{"video"}; !slices.Equal(toolsOf(s.Tools), want) {
					t.Fatalf("tools from the check %v, want %v", s.Tools, want)
				}
				return
			}
		case <-cust.Closed():
			t.Fatalf("customer disconnected: %s", cust.CloseReason())
		case <-deadline:
			t.Fatal("the periodic check did not take chat away")
		}
	}
}

// signedEvent posts a relay event signed with the env's events key.
func (e *env) signedEvent(ev map[string]any) resp {
	e.t.Helper()
	body, err := json.Marshal(ev)
	must(e.t, err)
	keys, err := secret.Derive(e.app.Config.Secret)
	must(e.t, err)
	mac := hmac.New(sha256.New, app.RelayEventsKey(e.app.Config, keys))
	mac.Write(body)
	req := e.request("POST", "/v1/internal/relay/events", "", string(body))
	req.Header.Set("X-Relay-Signature", hex.EncodeToString(mac.Sum(nil)))
	return e.do(req)
}

// TestTrustRelayEventsNotReplayable: a signed event is taken once, and only
// while fresh; the memory of its id is in the table, with a TTL, so every
// API instance shares it.
func TestTrustRelayEventsNotReplayable(t *testing.T) {
	e := newEnv(t)
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	e.registerRelay("task-1", e.relay.signalURL(), 0)
	st := e.startSession(tech, cid, nil)
	sid := st.str("session", "id")
	pid := st.str("primary", "participantId")
	now := e.clock.Now()
	id := strings.Repeat("5a", 16)
	ev := map[string]any{"type": "joined", "sessionId": sid, "participantId": pid, "at": now, "id": id, "sentAt": now}

	if r := e.signedEvent(ev); r.Status != http.StatusNoContent {
		t.Fatalf("fresh event: %d %s", r.Status, r.Raw)
	}
	item := e.item("RELAYEVENT#"+id, "META")
	if item == nil || item["ttl"] == nil {
		t.Fatalf("event id not remembered in the table with a TTL: %v", item)
	}
	// The same signed body again, and the same id with another time.
	e.expect(e.signedEvent(ev), 409, "event_replayed")
	later := maps(ev, "sentAt", now.Add(time.Second), "type", "left")
	e.expect(e.signedEvent(later), 409, "event_replayed")

	for name, sentAt := range map[string]time.Time{"stale": now.Add(-61 * time.Second), "future": now.Add(time.Minute)} {
		fresh := maps(ev, "type", "left", "id", strings.Repeat(name[:1]+"0", 16), "sentAt", sentAt)
		if r := e.signedEvent(fresh); r.Status != http.StatusUnauthorized || r.code() != "event_stale" {
			t.Fatalf("%s event: %d %s", name, r.Status, r.Raw)
		}
	}
	e.expect(e.signedEvent(maps(ev, "id", nil)), 400, "invalid_input")

	// None of the refused events left the primary: only the first counted.
	d := e.call("GET", "/v1/sessions/"+sid, tech, nil)
	if p := participantView(d, pid); p == nil || p["joinedAt"] == nil || p["leftAt"] != nil {
		t.Fatalf("primary after the refused events: %v", p)
	}
}

// maps returns a copy of m with the key/value pairs set (nil deletes).
func maps(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// TestTrustControlTokensBound: the relay accepts a control token of the API
// once, and only for the call it names.
func TestTrustControlTokensBound(t *testing.T) {
	e := newEnv(t)
	r := startTrustRelay(e, 0)
	base := "http://" + r.addr
	post := func(tok, path, body string) int {
		req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	e.clock.Set(time.Now())
	path, body := "/control/sessions/s1/participants/p1/tools", `{"tools":["chat"]}`
	tok, err := e.app.Minter.Control("POST", path, []byte(body))
	must(t, err)
	if s := post(tok, path, body); s != http.StatusOK {
		t.Fatalf("fresh token: %d", s)
	}
	if s := post(tok, path, body); s != http.StatusUnauthorized {
		t.Fatalf("replayed token: %d, want 401", s)
	}
	for name, c := range map[string][2]string{
		"another participant": {"/control/sessions/s1/participants/p2/tools", body},
		"another call":        {"/control/sessions/s1/participants/p1/remove", `{"reason":"removed"}`},
		"another session":     {"/control/sessions/s2/end", `{}`},
		"another body":        {path, `{"tools":["chat","video"]}`},
	} {
		tok, err := e.app.Minter.Control("POST", path, []byte(body))
		must(t, err)
		if s := post(tok, c[0], c[1]); s != http.StatusUnauthorized {
			t.Errorf("token used for %s: %d, want 401", name, s)
		}
	}
}
