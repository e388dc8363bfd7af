package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	relayapp "github.com/guestbridge/guestbridge/media-task/app"
	relayconfig "github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/session"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// liveWait is the generous timeout of every wait on an event in the live
// session test.
const liveWait = 20 * time.Second

// liveRelay is the real relay (media-task/app) run in-process against an
// env: it verifies the API's tickets, obeys its control calls and posts its
// joined/left events to the env's API server.
type liveRelay struct {
	app       *relayapp.App
	srv       *httptest.Server
	signalURL string
	api       *client.API
	once      sync.Once
}

func startLiveRelay(e *env) *liveRelay {
	e.t.Helper()
	keys, err := secret.Derive(e.app.Config.Secret)
	must(e.t, err)
	cfg := relayconfig.Defaults()
	cfg.HTTPAddr = "127.0.0.1:0" // served by the httptest server below
	cfg.UDPIP, cfg.UDPPort = "127.0.0.1", 0
	cfg.TicketPublicKey = e.app.Minter.PublicKey()
	cfg.EventsURL = e.srv.URL + "/v1/internal/relay/events"
	cfg.EventsSecret = string(app.RelayEventsKey(e.app.Config, keys))
	cfg.Registry = "none"
	cfg.TaskID = "task-e2e"
	cfg.DrainTimeout = 3 * time.Second
	var logTo io.Writer = io.Discard
	if os.Getenv("GB_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	a, err := relayapp.New(cfg, relayapp.Options{Logger: slog.New(slog.NewTextHandler(logTo, nil))})
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

// close disconnects everyone, flushes the events and stops the relay.
func (r *liveRelay) close() {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.app.Close(ctx)
		r.srv.Close()
	})
}

// dial connects a pion peer with a ticket; the test closes it.
func (r *liveRelay) dial(t *testing.T, relayURL, ticket string, publish bool) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveWait)
	defer cancel()
	c, err := client.Dial(ctx, client.Options{URL: relayURL, Ticket: ticket, Publish: publish, API: r.api})
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// joinPeer dials and waits until the relay has admitted the peer and its
// tools channel is open.
func (r *liveRelay) joinPeer(t *testing.T, name, relayURL, ticket string, publish bool) *client.Client {
	t.Helper()
	c := r.dial(t, relayURL, ticket, publish)
	ctx, cancel := context.WithTimeout(context.Background(), liveWait)
	defer cancel()
	if _, err := c.Joined(ctx); err != nil {
		t.Fatalf("%s not admitted by the relay: %v (close reason %q)", name, err, c.CloseReason())
	}
	if err := c.WaitDataChannel(ctx); err != nil {
		t.Fatalf("%s data channel: %v", name, err)
	}
	return c
}

// refusedWith waits until the relay closes c and checks the reason.
func refusedWith(t *testing.T, what string, c *client.Client, reason string) {
	t.Helper()
	select {
	case <-c.Closed():
	case <-time.After(liveWait):
		t.Fatalf("%s: not disconnected", what)
	}
	if r := c.CloseReason(); r != reason {
		t.Fatalf("%s: close reason %q, want %q", what, r, reason)
	}
}

// videoPackets counts the video packets c received, and whether the first
// was a key frame.
func videoPackets(c *client.Client) (uint64, bool) {
	for _, tr := range c.Tracks() {
		if tr.Kind == "video" {
			return tr.Packets, tr.StartsWithKeyframe
		}
	}
	return 0, false
}

// eventually polls cond until it holds or liveWait passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(liveWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// participantView finds a participant in a session details answer.
func participantView(r resp, id string) map[string]any {
	sess, _ := r.Body["participants"].([]any)
	for _, p := range sess {
		if m, _ := p.(map[string]any); m["id"] == id {
			return m
		}
	}
	return nil
}

// relayGoroutines returns the stacks of goroutines of the relay or of pion.
func relayGoroutines() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "guestbridge/media-task/") || strings.Contains(g, "github.com/pion/") {
			out = append(out, g)
		}
	}
	return out
}

// TestLiveSessionGuestTechnician runs a whole live session across the API
// and the real relay, with real pion peers: a technician starts a session,
// the customer joins from the link and publishes video, the primary invites
// a guest technician by email, the guest redeems the link once and receives
// the customer's video; then the admin ends the guest's account and the
// relay disconnects the guest at once, for good, and reports it to the API.
func TestLiveSessionGuestTechnician(t *testing.T) {
	e := newEnv(t)
	// Tickets are minted with the env's manual clock and checked by the
	// relay with the wall clock (they live 60 s): keep the two together.
	syncClock := func() { e.clock.Set(time.Now()) }
	syncClock()
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Pump 7 leaks")
	caseGuest := e.invite(admin, "gail", "", cid, 14)

	relay := startLiveRelay(e)
	// The env's stand-in relay (task-1) is busier, so the API places the
	// session on the real one.
	e.registerRelay("task-1", e.relay.signalURL(), 1000)
	e.registerRelay("task-e2e", relay.signalURL, 0)

	// The technician starts a session and becomes its primary.
	st := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}})
	sid := st.str("session", "id")
	if url := st.str("primary", "relayUrl"); url != relay.signalURL {
		t.Fatalf("session placed on %q, want the live relay %q", url, relay.signalURL)
	}
	prim := relay.joinPeer(t, "primary", st.str("primary", "relayUrl"), st.str("primary", "ticket"), false)

	// The customer opens their link and publishes the camera.
	_, custToken, ok := strings.Cut(st.str("customerLink"), "#")
	if !ok {
		t.Fatalf("customer link %q", st.str("customerLink"))
	}
	syncClock()
	cj := e.call("POST", "/v1/session-invites/"+custToken+"/join", "", nil)
	e.expect(cj, 200, "")
	if k := claimsOf(t, e.app.Minter.PublicKey(), cj.str("ticket"))["kind"]; k != "customer" {
		t.Fatalf("customer ticket kind %v", k)
	}
	cust := relay.joinPeer(t, "customer", cj.str("relayUrl"), cj.str("ticket"), true)

	// The primary invites the case guest's email as a guest technician.
	inv := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gail"), "name": "Gail"})
	e.expect(inv, 201, "")
	gid := inv.str("id")
	link := e.joinLink(e.email("gail"))
	const desktop = "Mozilla/5.0 (X11; Linux x86_64)"
	syncClock()
	gj := e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "web", desktop, nil)
	e.expect(gj, 200, "")
	if c := claimsOf(t, e.app.Minter.PublicKey(), gj.str("ticket")); c["kind"] != "guest" || c["sub"] != gid || c["sid"] != sid {
		t.Fatalf("guest ticket claims %v", c)
	}
	guest := relay.joinPeer(t, "guest", gj.str("relayUrl"), gj.str("ticket"), false)
	eventually(t, "the guest to receive the customer's video from a key frame", func() bool {
		n, _ := videoPackets(guest)
		return n > 10
	})
	if _, key := videoPackets(guest); !key {
		t.Error("the guest's video did not start at a key frame")
	}
	eventually(t, "the primary to receive the customer's video", func() bool {
		n, _ := videoPackets(prim)
		return n > 10
	})

	// The same link again, from another browser: 410, and the guest stays.
	again := e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "web", "Mozilla/5.0 (Macintosh)", nil)
	e.expect(again, 410, "link_expired")
	if !strings.Contains(again.Raw, "Your link has expired.") {
		t.Fatalf("410 message: %s", again.Raw)
	}
	before, _ := videoPackets(guest)
	eventually(t, "the guest's video to go on after the refused redemption", func() bool {
		n, _ := videoPackets(guest)
		return n > before+10
	})
	select {
	case <-guest.Closed():
		t.Fatalf("the refused redemption disconnected the guest (%s)", guest.CloseReason())
	default:
	}
	eventually(t, "the relay's joined event for the guest", func() bool {
		d := e.call("GET", "/v1/sessions/"+sid, tech, nil)
		p := participantView(d, gid)
		return d.Status == 200 && p != nil && p["joinedAt"] != nil
	})

	// The admin ends the guest's account: the relay disconnects the guest
	// within a second of the call returning.
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+caseGuest.str("id")+"/end", admin, nil), 200, "")
	ended := time.Now()
	select {
	case <-guest.Closed():
	case <-time.After(liveWait):
		t.Fatal("the guest was not disconnected")
	}
	if el := time.Since(ended); el > time.Second {
		t.Errorf("the guest was disconnected %s after the account ended, want within a second", el)
	}
	if r := guest.CloseReason(); r != proto.ReasonAccountEnded {
		t.Fatalf("guest close reason %q, want %q", r, proto.ReasonAccountEnded)
	}

	// The guest cannot come back: the link is refused by the API, and a
	// ticket minted before the account ended is refused by the relay.
	e.expect(e.callAs("POST", "/v1/session-invites/"+link+"/join", "", "web", desktop, nil), 410, "link_expired")
	syncClock()
	stale, _, err := e.app.Minter.Ticket(session.Participant{ID: gid, SessionID: sid, Kind: toolmatrix.Guest, Name: "Gail"}, time.Time{}, "")
	must(t, err)
	rejoin := relay.dial(t, relay.signalURL, stale, false)
	refusedWith(t, "the guest's rejoin", rejoin, proto.ReasonRemoved)
	for name, c := range map[string]*client.Client{"customer": cust, "primary": prim} {
		select {
		case <-c.Closed():
			t.Fatalf("the %s was disconnected with the guest (%s)", name, c.CloseReason())
		default:
		}
	}

	// The relay's joined and left events reached the API.
	var d resp
	eventually(t, "the guest's joinedAt and leftAt", func() bool {
		d = e.call("GET", "/v1/sessions/"+sid, tech, nil)
		p := participantView(d, gid)
		return d.Status == 200 && p != nil && p["joinedAt"] != nil && p["leftAt"] != nil
	})
	if p := participantView(d, gid); p["removed"] != true || p["removedReason"] != "account_ended" {
		t.Fatalf("guest after the account ended: %v", p)
	}
	eventually(t, "the relay's left event in the audit log", func() bool {
		a := e.call("GET", "/v1/orgs/acme/audit?limit=200", admin, nil)
		entries, _ := a.Body["entries"].([]any)
		var joined, left bool
		for _, x := range entries {
			m, _ := x.(map[string]any)
			if m["target"] == gid && m["actor"] == "relay" {
				joined = joined || m["action"] == "session.participant_joined"
				left = left || m["action"] == "session.participant_left"
			}
		}
		return joined && left
	})

	// Everything closes and leaves no relay or pion goroutine behind.
	for _, c := range []*client.Client{rejoin, guest, cust, prim} {
		_ = c.Close()
	}
	relay.close()
	deadline := time.Now().Add(liveWait)
	for {
		left := relayGoroutines()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d relay or pion goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
