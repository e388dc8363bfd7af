// Package app wires the relay together from its configuration: the WebRTC
// engine, ticket verification, the session domain, signaling, control calls,
// events and the registry heartbeat; and runs the drain and shutdown order.
// The program in media-task and the tests build the same App.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/control"
	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/proxy"
	"github.com/guestbridge/guestbridge/media-task/recording"
	"github.com/guestbridge/guestbridge/media-task/registry"
	"github.com/guestbridge/guestbridge/media-task/relay"
	"github.com/guestbridge/guestbridge/media-task/rtc"
	"github.com/guestbridge/guestbridge/media-task/signal"
	"github.com/guestbridge/guestbridge/media-task/ticket"
)

// Options are the App's collaborators that do not come from configuration.
type Options struct {
	// Store is the registry store; nil writes no registry item.
	Store registry.Store
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of ticket checks and events; nil means time.Now.
	Now func() time.Time
	// Sessions reads the hosted sessions' stored revocation state for the
	// periodic check every cfg.RevocationInterval; nil disables the check.
	Sessions relay.StateReader
	// Locator finds the task hosting a session, so joins of sessions other
	// tasks host are forwarded there; nil serves every join here.
	Locator proxy.Locator
	// Discovery tunes the STUN discovery of the public address
	// (cfg.PublicIPSTUN); its LocalIP is cfg.UDPIP.
	Discovery rtc.DiscoverOptions
	// S3 receives recordings in cfg.RecordingsBucket; nil (or no bucket)
	// turns recording off.
	S3 recording.S3API
}

// App is a wired relay.
type App struct {
	cfg       config.Config
	log       *slog.Logger
	engine    *rtc.Engine
	tickets   *ticket.Verifier
	relay     *relay.Server
	checker   *relay.Checker
	publicIPs []string
	events    *events.Poster
	heartbeat *registry.Heartbeat
	signal    *signal.Handler
	handler   http.Handler
}

// New builds the relay from cfg; it opens the UDP port. With
// cfg.PublicIPSTUN it first asks that STUN server for the public address,
// and fails when no answer comes.
func New(cfg config.Config, opts Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Store == nil {
		opts.Store = registry.Nop{}
	}
	tickets, err := ticket.NewVerifier(cfg.TicketPublicKey, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if cfg.PublicIPSTUN != "" {
		d := opts.Discovery
		d.LocalIP = cfg.UDPIP
		d.Logger = log.With("component", "stun")
		ip, err := rtc.DiscoverPublicIP(context.Background(), cfg.PublicIPSTUN, d)
		if err != nil {
			return nil, fmt.Errorf("app: public address from RELAY_PUBLIC_IPS=stun:%s: %w", cfg.PublicIPSTUN, err)
		}
		log.Info("public address discovered", "stun", cfg.PublicIPSTUN, "ip", ip.String())
		cfg.PublicIPs = []string{ip.String()}
	}
	engine, err := rtc.NewEngine(rtc.Config{
		UDPPort:   cfg.UDPPort,
		UDPIP:     cfg.UDPIP,
		PublicIPs: cfg.PublicIPs,
		TCP:       cfg.TCPPort > 0,
		TCPPort:   cfg.TCPPort,
		Logger:    log.With("component", "rtc"),
	})
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a := &App{cfg: cfg, log: log, engine: engine, tickets: tickets, publicIPs: cfg.PublicIPs}
	var ev relay.Events
	if cfg.EventsURL != "" {
		a.events = events.New(events.Config{URL: cfg.EventsURL, Secret: cfg.EventsSecret, Logger: log.With("component", "events")})
		ev = a.events
	} else {
		log.Warn("RELAY_EVENTS_URL is empty: participant events are not posted")
	}
	var recorder relay.Recorder
	if opts.S3 != nil && cfg.RecordingsBucket != "" {
		recorder = recorderAdapter{recording.NewManager(opts.S3, cfg.RecordingsBucket, log.With("component", "recording"))}
	} else {
		log.Warn("no recordings bucket: the record tool is refused")
	}
	a.relay, err = relay.NewServer(relay.Config{
		Recorder: recorder,
		Engine:   engine,
		Tickets:  tickets,
		Events:   ev,
		Logger:   log.With("component", "relay"),
		Now:      opts.Now,

		RelayOnLoopback: cfg.OnLoopback(),
		ReconnectGrace:  graceOf(cfg.ReconnectGrace),
	})
	if err != nil {
		_ = engine.Close()
		return nil, fmt.Errorf("app: %w", err)
	}
	if opts.Sessions != nil && cfg.RevocationInterval > 0 {
		a.checker, err = relay.NewChecker(a.relay, relay.CheckerConfig{
			Reader: opts.Sessions, Interval: cfg.RevocationInterval, Logger: log.With("component", "revocation"),
		})
		if err != nil {
			_ = engine.Close()
			return nil, fmt.Errorf("app: %w", err)
		}
	}
	a.heartbeat = registry.NewHeartbeat(opts.Store, cfg.TaskID, cfg.SignalURL, a.relay.Load, log.With("component", "registry"))
	a.signal = signal.NewHandler(a.relay, cfg.AllowedOrigins, cfg.MaxPendingPerAddr, log.With("component", "signal"))
	if opts.Locator != nil {
		a.signal.SetForwarder(proxy.New(proxy.Config{Self: cfg.TaskID, Tickets: tickets, Locator: opts.Locator,
			Logger: log.With("component", "proxy")}))
	}

	mux := http.NewServeMux()
	mux.Handle("GET /signal", a.signal)
	mux.Handle("GET /{$}", a.signal)
	var ctl http.Handler = control.NewHandler(tickets, a.relay, log.With("component", "control"))
	if opts.Locator != nil {
		ctl = proxy.Control(ctl, cfg.TaskID, opts.Locator, log.With("component", "proxy"))
	}
	mux.Handle("/control/", ctl)
	mux.HandleFunc("GET /healthz", a.healthz)
	a.handler = mux
	return a, nil
}

// Handler serves signaling (GET /signal and GET /), control calls
// (/control/...) and GET /healthz.
func (a *App) Handler() http.Handler { return a.handler }

// Relay returns the session domain.
func (a *App) Relay() *relay.Server { return a.relay }

// Engine returns the WebRTC engine.
func (a *App) Engine() *rtc.Engine { return a.engine }

// PublicIPs returns the addresses announced in host candidates: configured,
// or discovered with STUN.
func (a *App) PublicIPs() []string { return slices.Clone(a.publicIPs) }

func (a *App) healthz(w http.ResponseWriter, _ *http.Request) {
	draining := a.relay.Draining()
	status := http.StatusOK
	if draining {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status":       map[bool]string{false: "ok", true: "draining"}[draining],
		"participants": a.relay.Load(),
	})
}

// SetPrivateAddr sets the address other tasks forward joins to, written to
// the registry item; call it before RunHeartbeat.
func (a *App) SetPrivateAddr(addr string) { a.heartbeat.SetPrivateAddr(addr) }

// RunHeartbeat writes the registry item until ctx ends.
func (a *App) RunHeartbeat(ctx context.Context) { a.heartbeat.Run(ctx) }

// RunRevocationCheck applies the hosted sessions' stored revocation state
// every RevocationInterval until ctx ends, the fallback for control calls
// that did not arrive. It returns at once when the check is off (no
// Options.Sessions, or a zero interval).
func (a *App) RunRevocationCheck(ctx context.Context) {
	if a.checker == nil {
		return
	}
	a.checker.Run(ctx)
}

// graceOf maps the configured grace to relay.Config's: there zero means the
// default, and holding no seat is negative.
func graceOf(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// RunQuality sends the participants' connection figures every
// QualityInterval until ctx ends.
func (a *App) RunQuality(ctx context.Context) { a.relay.RunQuality(ctx, a.cfg.QualityInterval) }

// Drain marks the relay draining in the registry, refuses new joins, tells
// the clients and waits for them to leave until the drain timeout, when the
// rest are disconnected; it also waits, until the same deadline, for the
// connections it forwards to other tasks to end.
func (a *App) Drain(ctx context.Context) {
	a.log.Info("draining", "timeout", a.cfg.DrainTimeout, "participants", a.relay.Load())
	_ = a.heartbeat.SetDraining(ctx)
	deadline := time.Now().Add(a.cfg.DrainTimeout)
	a.relay.Drain(deadline)
	// Connections carried to other tasks belong to sessions that live on:
	// they are kept until the deadline too, not cut as soon as this task's
	// own participants have left.
	for a.signal.Forwarding() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
}

// Close disconnects everyone, flushes events until ctx ends, deletes the
// registry item and closes the UDP port.
func (a *App) Close(ctx context.Context) {
	a.relay.Close()
	a.signal.Close()
	if a.events != nil {
		a.events.Close(ctx)
	}
	if err := a.heartbeat.Remove(ctx); err != nil {
		a.log.Warn("registry item not deleted", "err", err)
	}
	_ = a.engine.Close()
}

// Stats is the relay's resource and traffic snapshot.
type Stats struct {
	rtc.Stats
	Participants int     `json:"participants"`
	Goroutines   int     `json:"goroutines"`
	HeapAlloc    uint64  `json:"heapAlloc"`
	HeapInuse    uint64  `json:"heapInuse"`
	Sys          uint64  `json:"sys"`
	Mallocs      uint64  `json:"mallocs"`
	NumGC        uint32  `json:"numGC"`
	RSS          uint64  `json:"rss"`
	CPUUserUs    int64   `json:"cpuUserUs"`
	CPUSysUs     int64   `json:"cpuSysUs"`
	UptimeS      float64 `json:"uptimeS"`
}

var started = time.Now()

// Stats returns a snapshot; it stops the world briefly to read the heap.
func (a *App) Stats() Stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return Stats{
		Stats:        a.engine.Stats(),
		Participants: a.relay.Load(),
		Goroutines:   runtime.NumGoroutine(),
		HeapAlloc:    ms.HeapAlloc,
		HeapInuse:    ms.HeapInuse,
		Sys:          ms.Sys,
		Mallocs:      ms.Mallocs,
		NumGC:        ms.NumGC,
		RSS:          rss(),
		CPUUserUs:    ru.Utime.Sec*1e6 + int64(ru.Utime.Usec),
		CPUSysUs:     ru.Stime.Sec*1e6 + int64(ru.Stime.Usec),
		UptimeS:      time.Since(started).Seconds(),
	}
}

// rss reads the resident set size from /proc; 0 where there is none.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// StatsHandler serves GET /debug/stats (?gc=1 collects garbage first) and
// pprof, for an internal address only.
func (a *App) StatsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(a.Stats())
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// recorderAdapter gives the relay recording.Manager's recordings.
type recorderAdapter struct{ m *recording.Manager }

func (r recorderAdapter) Start(key string, tracks []relay.RecordTrack) (relay.Recording, error) {
	ts := make([]recording.Track, len(tracks))
	for i, t := range tracks {
		ts[i] = recording.Track{Track: t.Track, Name: t.Name}
	}
	rec, err := r.m.Start(key, ts)
	if err != nil {
		return nil, err
	}
	return recordingAdapter{rec}, nil
}

type recordingAdapter struct{ r *recording.Recording }

func (r recordingAdapter) Stop() (int64, time.Duration, error) {
	res, err := r.r.Stop()
	return res.Bytes, res.Duration, err
}
