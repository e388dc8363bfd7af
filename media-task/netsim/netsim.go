// Package netsim runs the relay and pion clients on a virtual network
// (pion's vnet) with the impairments of real ones: loss, a long round
// trip, a narrow uplink and a blackout. It is deterministic enough for tests
// and needs no privileges (no network namespace, no tc). The relay's own
// packages run unchanged: the engine and the clients are only given vnet's
// Net in place of the host's sockets; signaling stays on loopback TCP.
package netsim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"

	"github.com/guestbridge/guestbridge/media-task/relay"
	"github.com/guestbridge/guestbridge/media-task/rtc"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/media-task/signal"
	"github.com/guestbridge/guestbridge/media-task/ticket"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Addresses on the virtual network.
const (
	relayIP    = "10.0.0.1"
	customerIP = "10.0.0.2"
	techIP     = "10.0.0.3"
)

// Network describes the impairments.
type Network struct {
	// LossPct drops this share of packets on every uplink to the relay and
	// on the technician's downlink.
	LossPct int
	// RTT is the round trip between each client and the relay.
	RTT time.Duration
	// UplinkBps shapes everything the relay receives (in this scenario:
	// the customer's camera) to this rate, queueing up to about a second
	// of it; zero means unshaped.
	UplinkBps int
}

// Options configure a Run.
type Options struct {
	Network Network
	// TWCC negotiates transport-wide congestion control and lets the
	// customer's camera follow pion's send-side estimate; without it the
	// camera sends CameraBps whatever happens.
	TWCC bool
	// CameraBps is the camera's highest bitrate; zero means 1 Mbit/s.
	CameraBps int
	// Warmup lets the stream and the estimate settle; zero means 4 s.
	Warmup time.Duration
	// Measure is the window of the delivered figures; zero means 6 s.
	Measure time.Duration
	// Blackout cuts the technician off for this long after the window;
	// zero skips it.
	Blackout time.Duration
	// Grace is the relay's reconnect grace; zero means 30 s.
	Grace time.Duration
	// RelayICEFailed shortens the relay's ICE timeouts (disconnected after
	// half of it, failed after it), so that a blackout makes the relay's
	// side of the connection fail; zero keeps the engine's 5 s and 15 s.
	RelayICEFailed time.Duration
}

// Result is what the technician received.
type Result struct {
	// VideoKbps and FrameRate are the video delivered in the window: its
	// bitrate, and frames whose every packet arrived, per second.
	VideoKbps float64
	FrameRate float64
	// AudioDelivered is the share of the customer's audio packets that
	// arrived in the window (50 a second are sent).
	AudioDelivered float64
	// VideoBack is the time from the end of the blackout until the next
	// key frame reached the technician: the video plays again.
	VideoBack time.Duration
	// SeatsKept is how many of the two participants were still seated
	// after the blackout, and Leaves how many leaves the relay reported.
	SeatsKept, Leaves int
}

func (r Result) String() string {
	s := fmt.Sprintf("video %.0f kbit/s, %.1f frames/s, audio %.0f %% delivered", r.VideoKbps, r.FrameRate, 100*r.AudioDelivered)
	if r.VideoBack > 0 {
		s += fmt.Sprintf("; after the blackout: video back in %d ms, %d of 2 seats kept, %d leaves", r.VideoBack.Milliseconds(), r.SeatsKept, r.Leaves)
	}
	return s
}

// leaves counts the relay's leave events.
type leaves struct{ n atomic.Int32 }

func (l *leaves) Joined(string, string, time.Time) {}
func (l *leaves) Left(string, string, time.Time)   { l.n.Add(1) }

// Run sets up the network, the relay, a publishing customer and a watching
// technician, and measures.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.CameraBps <= 0 {
		o.CameraBps = 1_000_000
	}
	if o.Warmup <= 0 {
		o.Warmup = 4 * time.Second
	}
	if o.Measure <= 0 {
		o.Measure = 6 * time.Second
	}
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: quiet})
	if err != nil {
		return Result{}, err
	}
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	var dark atomic.Bool
	wan.AddChunkFilter(func(c vnet.Chunk) bool {
		if !dark.Load() {
			return true
		}
		return !strings.HasPrefix(c.SourceAddr().String(), techIP+":") && !strings.HasPrefix(c.DestinationAddr().String(), techIP+":")
	})
	nw := o.Network
	relayNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{relayIP}})
	if err != nil {
		return Result{}, err
	}
	relayNIC, err := impair(relayNet, nw.LossPct, nw.RTT/2, nw.UplinkBps, &cleanups)
	if err != nil {
		return Result{}, err
	}
	custNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{customerIP}})
	if err != nil {
		return Result{}, err
	}
	custNIC, err := impair(custNet, 0, nw.RTT/2, 0, &cleanups)
	if err != nil {
		return Result{}, err
	}
	techNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{techIP}})
	if err != nil {
		return Result{}, err
	}
	techNIC, err := impair(techNet, nw.LossPct, nw.RTT/2, 0, &cleanups)
	if err != nil {
		return Result{}, err
	}
	for _, n := range []vnet.NIC{relayNIC, custNIC, techNIC} {
		if err := wan.AddNet(n); err != nil {
			return Result{}, err
		}
	}
	if err := wan.Start(); err != nil {
		return Result{}, err
	}
	cleanups = append(cleanups, func() { _ = wan.Stop() })

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine, err := rtc.NewEngine(rtc.Config{UDPIP: relayIP, UDPPort: 3478, Net: relayNet, Logger: log, DisableTWCC: !o.TWCC,
		DisconnectedTimeout: o.RelayICEFailed / 2, FailedTimeout: o.RelayICEFailed})
	if err != nil {
		return Result{}, err
	}
	cleanups = append(cleanups, func() { _ = engine.Close() })
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Result{}, err
	}
	verifier, err := ticket.NewVerifier(pub, nil)
	if err != nil {
		return Result{}, err
	}
	ev := &leaves{}
	srv, err := relay.NewServer(relay.Config{Engine: engine, Tickets: verifier, Events: ev, Logger: log, ReconnectGrace: o.Grace})
	if err != nil {
		return Result{}, err
	}
	cleanups = append(cleanups, srv.Close)
	sig := signal.NewHandler(srv, []string{"*"}, 0, log)
	hs := httptest.NewServer(sig)
	cleanups = append(cleanups, func() { hs.Close(); sig.Close() })
	url := "ws" + strings.TrimPrefix(hs.URL, "http")

	custAPI, err := client.NewAPIWith(client.APIOptions{GCC: o.TWCC, Net: custNet})
	if err != nil {
		return Result{}, err
	}
	techAPI, err := client.NewAPIWith(client.APIOptions{Net: techNet})
	if err != nil {
		return Result{}, err
	}
	dial := func(api *client.API, kind toolmatrix.Kind, pid string, publish bool) (*client.Client, error) {
		tk, err := mint(priv, kind, pid)
		if err != nil {
			return nil, err
		}
		c, err := client.Dial(ctx, client.Options{URL: url, Ticket: tk, Publish: publish, API: api, VideoBitrate: o.CameraBps})
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() { _ = c.Close() })
		if _, err := c.Joined(ctx); err != nil {
			return nil, err
		}
		return c, nil
	}
	if _, err := dial(custAPI, toolmatrix.Customer, "customer", true); err != nil {
		return Result{}, fmt.Errorf("customer: %w", err)
	}
	tech, err := dial(techAPI, toolmatrix.Guest, "tech", false)
	if err != nil {
		return Result{}, fmt.Errorf("technician: %w", err)
	}
	if err := until(ctx, 30*time.Second, func() bool { v, _ := tracks(tech); return !v.FirstKeyframe.IsZero() }); err != nil {
		return Result{}, fmt.Errorf("technician never got video: %w", err)
	}
	if err := sleep(ctx, o.Warmup); err != nil {
		return Result{}, err
	}
	v0, a0 := tracks(tech)
	start := time.Now()
	if err := sleep(ctx, o.Measure); err != nil {
		return Result{}, err
	}
	v1, a1 := tracks(tech)
	el := time.Since(start).Seconds()
	res := Result{
		VideoKbps:      float64(v1.Bytes-v0.Bytes) * 8 / 1000 / el,
		FrameRate:      float64(v1.Frames-v0.Frames) / el,
		AudioDelivered: min(1, float64(a1.Packets-a0.Packets)/(50*el)),
	}
	if o.Blackout <= 0 {
		return res, nil
	}
	dark.Store(true)
	if err := sleep(ctx, o.Blackout); err != nil {
		return Result{}, err
	}
	dark.Store(false)
	lifted := time.Now()
	if err := until(ctx, 30*time.Second, func() bool { v, _ := tracks(tech); return v.LastKeyframe.After(lifted) }); err != nil {
		return res, fmt.Errorf("video did not come back after the blackout: %w", err)
	}
	v, _ := tracks(tech)
	res.VideoBack = v.LastKeyframe.Sub(lifted)
	res.SeatsKept = srv.Load()
	res.Leaves = int(ev.n.Load())
	return res, nil
}

// impair wraps n in the filters of one link: loss, one-way delay and a
// token bucket with about a second of queue.
func impair(n *vnet.Net, lossPct int, delay time.Duration, bps int, cleanups *[]func()) (vnet.NIC, error) {
	var nic vnet.NIC = n
	if bps > 0 {
		q, err := vnet.NewQueue(nic, vnet.NewTBFQueue(bps, 3000, int64(bps/8)))
		if err != nil {
			return nil, err
		}
		*cleanups = append(*cleanups, func() { _ = q.Close() })
		nic = q
	}
	if delay > 0 {
		d, err := vnet.NewDelayFilter(nic, vnet.WithDelay(delay))
		if err != nil {
			return nil, err
		}
		go d.Run(context.Background())
		*cleanups = append(*cleanups, func() { _ = d.Close() })
		nic = d
	}
	if lossPct > 0 {
		l, err := vnet.NewLossFilter(nic, lossPct, vnet.WithLossSeed(13))
		if err != nil {
			return nil, err
		}
		nic = l
	}
	return nic, nil
}

func tracks(c *client.Client) (video, audio client.TrackStats) {
	for _, t := range c.Tracks() {
		switch t.Kind {
		case "video":
			video = t
		case "audio":
			audio = t
		}
	}
	return video, audio
}

func mint(priv ed25519.PrivateKey, kind toolmatrix.Kind, pid string) (string, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	now := time.Now()
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "guestbridge-api", "aud": "guestbridge-relay", "sub": pid, "sid": "netsim", "kind": string(kind),
		"name": pid, "jti": hex.EncodeToString(b), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"tools": toolmatrix.Tools(kind),
	}).SignedString(priv)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

var errTimeout = errors.New("timed out")

func until(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return errTimeout
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
