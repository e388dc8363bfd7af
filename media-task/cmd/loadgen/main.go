// Command loadgen measures the relay's fan-out: one synthetic customer
// stream (~1 Mbit/s VP8 + Opus) forwarded to N subscribers, for each N of
// -n. By default it builds the relay and runs it as a separate process on
// loopback (so the relay's CPU time, read from the relay's own rusage, is
// not mixed with the load generator's); -url, -stats and -key-seed point it
// at a relay already running instead.
//
// With -record, for each N the same session is measured three times in a
// row: without a recording, with one recording of the customer's stream
// running (streamed to the local S3 emulator, which this command starts),
// and without again; the CPU per forwarded packet with the recording is
// compared with the mean of the two windows around it, so that drift of a
// shared machine cancels out.
//
// For each N it prints the relay's CPU µs per forwarded packet, forwarded
// packets per second, RSS and heap per subscriber, goroutines per
// subscriber, packet loss seen by the subscribers, and join-to-first-key-
// frame latency (p50/p99).
//
//	go run ./media-task/cmd/loadgen -n 1,10,100,500 -duration 10s
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

type options struct {
	ns          []int
	duration    time.Duration
	warmup      time.Duration
	parallel    int
	relayBin    string
	relayLog    string
	url         string
	statsURL    string
	keySeed     string
	bitrate     int
	joinTimeout time.Duration
	profile     string
	memprofile  string
	record      bool
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	var ns, sessions string
	flag.StringVar(&sessions, "sessions", "", "comma-separated session counts S: sessions mode (1 customer + 3 technicians each) instead of the fan-out")
	flag.StringVar(&ns, "n", "1,10,100,500", "comma-separated subscriber counts")
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "measurement window per N")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "wait after all subscribers have a key frame")
	flag.IntVar(&o.parallel, "parallel", 16, "concurrent joins")
	flag.StringVar(&o.relayBin, "relay", "", "relay binary to run (default: build ./media-task)")
	flag.StringVar(&o.relayLog, "relay-log", "", "file for the relay's log (default: discarded)")
	flag.StringVar(&o.url, "url", "", "signaling URL of a running relay (skips starting one)")
	flag.StringVar(&o.statsURL, "stats", "", "stats URL of the running relay (http://host:port/debug/stats)")
	flag.StringVar(&o.keySeed, "key-seed", "", "base64 Ed25519 seed whose public key the running relay trusts")
	flag.IntVar(&o.bitrate, "bitrate", 1_000_000, "synthetic video bitrate, bit/s")
	flag.DurationVar(&o.joinTimeout, "join-timeout", 60*time.Second, "time for all N subscribers to join")
	flag.StringVar(&o.profile, "profile", "", "write the relay's CPU profile of the last N's window to this file")
	flag.StringVar(&o.memprofile, "memprofile", "", "record every allocation; write the relay's heap profile after the last N to this file and its goroutines to file.goroutines")
	netMode := flag.Bool("net", false, "network mode: a camera through loss, delay, a narrow uplink and a blackout, with and without TWCC (net.go)")
	flag.BoolVar(&o.record, "record", false, "also measure each N with one recording running (starts the local S3 emulator)")
	flag.Parse()
	if *netMode {
		return runNet(o.duration)
	}
	if o.record && o.url != "" {
		return errors.New("-record starts its own relay: it cannot be combined with -url")
	}
	for _, f := range strings.Split(ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -n %q", ns)
		}
		o.ns = append(o.ns, n)
	}

	var priv ed25519.PrivateKey
	if o.url != "" {
		seed, err := base64.StdEncoding.DecodeString(o.keySeed)
		if err != nil || len(seed) != ed25519.SeedSize || o.statsURL == "" {
			return errors.New("-url needs -stats and -key-seed (base64 32-byte seed)")
		}
		priv = ed25519.NewKeyFromSeed(seed)
	} else {
		var err error
		_, priv, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		stop, err := startRelay(&o, priv.Public().(ed25519.PublicKey))
		if err != nil {
			return err
		}
		defer stop()
	}

	api, err := client.NewAPI()
	if err != nil {
		return err
	}
	floor, err := sendFloor(100, 100_000)
	if err != nil {
		return err
	}
	if sessions != "" {
		var ss []int
		for _, f := range strings.Split(sessions, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("bad -sessions %q", sessions)
			}
			ss = append(ss, n)
		}
		return runSessions(&o, api, priv, ss)
	}
	fmt.Printf("relay %s, stream %d kbit/s VP8 + Opus, window %s\n", o.url, o.bitrate/1000, o.duration)
	fmt.Printf("kernel floor on this machine: %.2f µs of CPU per 1200-byte loopback datagram sent with sendmmsg (no relay code)\n\n",
		float64(floor.Nanoseconds())/1000)
	fmt.Printf("%6s %10s %8s %7s %7s %8s %9s %7s %7s %10s %11s %8s %8s %9s %9s\n",
		"N", "fwd pkt/s", "µs/pkt", "usr µs", "sys µs", "net µs", "alloc/pkt", "cpu %", "idle %", "RSS/sub KB", "heap/sub KB", "gor/sub", "loss %", "kf p50 ms", "kf p99 ms")
	for _, n := range o.ns {
		r, err := measure(&o, api, priv, n, n == o.ns[len(o.ns)-1])
		if err != nil {
			return fmt.Errorf("N=%d: %w", n, err)
		}
		fmt.Printf("%6d %10.0f %8.2f %7.2f %7.2f %8.2f %9.3f %7.1f %7.1f %10.1f %11.1f %8.1f %8.3f %9.0f %9.0f\n",
			n, r.pps, r.usPerPacket, r.userUsPerPacket, r.sysUsPerPacket, r.netUsPerPacket, r.allocsPerPacket, r.cpuPercent, r.idlePercent, r.rssPerSub/1024, r.heapPerSub/1024, r.goroutinesPerSub,
			r.lossPercent, r.kfP50.Seconds()*1000, r.kfP99.Seconds()*1000)
		if o.record {
			fmt.Printf("       N=%d with one recording running: %.2f µs of CPU per forwarded packet (%.0f pkt/s), without: %.2f and %.2f (%.0f pkt/s): recording adds %+.1f %%\n",
				n, r.recUsPerPacket, r.recPPS, r.plainUs[0], r.plainUs[1], r.pps, (r.recUsPerPacket-r.usPerPacket)/r.usPerPacket*100)
		}
	}
	return nil
}

// startRelay builds (unless -relay) and starts the relay on loopback.
func startRelay(o *options, pub ed25519.PublicKey) (func(), error) {
	dir, err := os.MkdirTemp("", "loadgen")
	if err != nil {
		return nil, err
	}
	bin := o.relayBin
	if bin == "" {
		bin = filepath.Join(dir, "media-task")
		build := exec.Command("go", "build", "-o", bin, "github.com/guestbridge/guestbridge/media-task")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build relay: %w", err)
		}
	}
	httpPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	statsPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	udpPort, err := freePort("udp")
	if err != nil {
		return nil, err
	}
	o.url = fmt.Sprintf("ws://127.0.0.1:%d/signal", httpPort)
	o.statsURL = fmt.Sprintf("http://127.0.0.1:%d/debug/stats", statsPort)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("RELAY_HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("RELAY_STATS_ADDR=127.0.0.1:%d", statsPort),
		"RELAY_UDP_IP=127.0.0.1",
		fmt.Sprintf("RELAY_UDP_PORT=%d", udpPort),
		"RELAY_TICKET_PUBLIC_KEY="+base64.StdEncoding.EncodeToString(pub),
		"RELAY_REGISTRY=none",
		"RELAY_EVENTS_URL=",
		"RELAY_TASK_ID=loadgen",
		"RELAY_SIGNAL_URL="+o.url,
		"RELAY_DRAIN_TIMEOUT=2s",
		// Every subscriber comes from this one address; the relay's
		// per-address bound on unjoined connections is not what is measured.
		"RELAY_MAX_PENDING_PER_ADDR=1000",
	)
	if o.memprofile != "" {
		cmd.Env = append(cmd.Env, "RELAY_MEMPROFILE_RATE=1")
	}
	var stack *devstack.Stack
	if o.record {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		stack, err = devstack.Start(ctx, devstack.Options{SESPort: -1, S3: true, S3Buckets: []string{"loadgen-recordings"}})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("S3 emulator for -record: %w", err)
		}
		cmd.Env = append(cmd.Env, "GB_ATTACHMENTS_BUCKET=loadgen-recordings", "AWS_ENDPOINT_URL_S3="+stack.S3Endpoint, "AWS_REGION=eu-central-1")
	}
	var logw io.Writer = io.Discard
	if o.relayLog != "" {
		f, err := os.Create(o.relayLog)
		if err != nil {
			return nil, err
		}
		logw = f
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start relay: %w", err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(logw, bufio.NewReader(stdout))
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			_ = cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		<-copied
		if stack != nil {
			_ = stack.Close()
		}
		_ = os.RemoveAll(dir)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := fetchStats(o.statsURL, false); err == nil {
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("relay did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type relayStats struct {
	PacketsForwarded uint64 `json:"packetsForwarded"`
	Participants     int    `json:"participants"`
	Goroutines       int    `json:"goroutines"`
	HeapInuse        uint64 `json:"heapInuse"`
	RSS              uint64 `json:"rss"`
	CPUUserUs        int64  `json:"cpuUserUs"`
	CPUSysUs         int64  `json:"cpuSysUs"`
	Mallocs          uint64 `json:"mallocs"`
	at               time.Time
}

func fetchStats(url string, gc bool) (relayStats, error) {
	if gc {
		url += "?gc=1"
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return relayStats{}, err
	}
	defer resp.Body.Close()
	var s relayStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return relayStats{}, err
	}
	s.at = time.Now()
	return s, nil
}

type result struct {
	pps, usPerPacket, cpuPercent    float64
	idlePercent, netUsPerPacket     float64
	allocsPerPacket                 float64
	userUsPerPacket, sysUsPerPacket float64
	rssPerSub, heapPerSub           float64
	goroutinesPerSub, lossPercent   float64
	kfP50, kfP99                    time.Duration
	// With -record: CPU per forwarded packet and packets per second with
	// one recording running, and the two windows without around it.
	recUsPerPacket, recPPS float64
	plainUs                [2]float64
}

func ticket(priv ed25519.PrivateKey, kind toolmatrix.Kind, sid, pid string) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	now := time.Now()
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "guestbridge-api", "aud": "guestbridge-relay", "sub": pid, "sid": sid,
		"kind": string(kind), "name": pid, "jti": hex.EncodeToString(b),
		"iat": now.Unix(), "exp": now.Add(60 * time.Second).Unix(), "tools": toolmatrix.Tools(kind),
	}).SignedString(priv)
}

// waitParticipants waits until the relay counts want participants.
func waitParticipants(url string, want int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := fetchStats(url, false)
		if err == nil && s.Participants == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("relay has %d participants, want %d", s.Participants, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func measure(o *options, api *client.API, priv ed25519.PrivateKey, n int, last bool) (result, error) {
	var r result
	sid := fmt.Sprintf("bench-%d-%d", n, time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), o.joinTimeout+o.warmup+o.duration+time.Minute)
	defer cancel()

	tk, err := ticket(priv, toolmatrix.Customer, sid, "customer")
	if err != nil {
		return r, err
	}
	pub, err := client.Dial(ctx, client.Options{URL: o.url, Ticket: tk, Publish: true, VideoBitrate: o.bitrate, API: api})
	if err != nil {
		return r, err
	}
	defer pub.Close()
	if _, err := pub.Joined(ctx); err != nil {
		return r, err
	}
	if err := waitParticipants(o.statsURL, 1); err != nil {
		return r, err
	}
	time.Sleep(500 * time.Millisecond)
	base, err := fetchStats(o.statsURL, true)
	if err != nil {
		return r, err
	}

	subs := make([]*client.Client, n)
	errs := make([]error, n)
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i := range n {
		kind := toolmatrix.Secondary
		switch {
		case i == 0:
			kind = toolmatrix.Primary
		case i%2 == 0:
			kind = toolmatrix.Guest
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tk, err := ticket(priv, kind, sid, fmt.Sprintf("t%d", i))
			if err != nil {
				errs[i] = err
				return
			}
			c, err := client.Dial(ctx, client.Options{URL: o.url, Ticket: tk, API: api})
			if err != nil {
				errs[i] = err
				return
			}
			subs[i] = c
			if _, err := c.Joined(ctx); err != nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	defer func() {
		var cw sync.WaitGroup
		for _, c := range subs {
			if c != nil {
				cw.Go(func() { _ = c.Close() })
			}
		}
		cw.Wait()
		_ = waitParticipants(o.statsURL, 0)
	}()
	for _, err := range errs {
		if err != nil {
			return r, err
		}
	}

	// Join-to-first-key-frame for every subscriber.
	deadline := time.Now().Add(o.joinTimeout)
	var kf []time.Duration
	for {
		kf = kf[:0]
		for _, c := range subs {
			for _, t := range c.Tracks() {
				if t.Kind == "video" && !t.FirstKeyframe.IsZero() {
					kf = append(kf, t.FirstKeyframe.Sub(c.Started()))
				}
			}
		}
		if len(kf) == n {
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("%d of %d subscribers got a key frame", len(kf), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(kf)
	r.kfP50 = kf[len(kf)*50/100]
	r.kfP99 = kf[min(len(kf)-1, len(kf)*99/100)]

	time.Sleep(o.warmup)
	s0, err := fetchStats(o.statsURL, false)
	if err != nil {
		return r, err
	}
	got0, exp0 := received(subs)
	if last && o.profile != "" {
		if err := profile(o, o.duration); err != nil {
			return r, err
		}
	} else {
		time.Sleep(o.duration)
	}
	s1, err := fetchStats(o.statsURL, false)
	if err != nil {
		return r, err
	}
	got1, exp1 := received(subs)
	if o.record {
		if err := recordWindows(ctx, o, subs[0], &r, s0, s1); err != nil {
			return r, err
		}
		if s1, err = fetchStats(o.statsURL, false); err != nil {
			return r, err
		}
	}
	mem, err := fetchStats(o.statsURL, true)
	rssPeak := mem.RSS
	if err != nil {
		return r, err
	}
	if last && o.memprofile != "" {
		if err := save(strings.Replace(o.statsURL, "/debug/stats", "/debug/pprof/heap", 1), o.memprofile); err != nil {
			return r, err
		}
		if err := save(strings.Replace(o.statsURL, "/debug/stats", "/debug/pprof/goroutine?debug=1", 1), o.memprofile+".goroutines"); err != nil {
			return r, err
		}
	}

	// The same subscribers with the publisher gone: the relay's cost of
	// keeping N idle connections (ICE keepalives, RTCP, timers), so that
	// the cost of forwarding itself can be told apart.
	_ = pub.Close()
	if err := waitParticipants(o.statsURL, n); err != nil {
		return r, err
	}
	time.Sleep(time.Second)
	i0, err := fetchStats(o.statsURL, false)
	if err != nil {
		return r, err
	}
	time.Sleep(min(o.duration, 5*time.Second))
	i1, err := fetchStats(o.statsURL, false)
	if err != nil {
		return r, err
	}
	idle := float64((i1.CPUUserUs+i1.CPUSysUs)-(i0.CPUUserUs+i0.CPUSysUs)) / i1.at.Sub(i0.at).Seconds()
	r.idlePercent = idle / 1e6 * 100

	dt := s1.at.Sub(s0.at).Seconds()
	fwd := float64(s1.PacketsForwarded - s0.PacketsForwarded)
	cpu := float64((s1.CPUUserUs + s1.CPUSysUs) - (s0.CPUUserUs + s0.CPUSysUs))
	r.pps = fwd / dt
	if fwd > 0 {
		r.usPerPacket = cpu / fwd
		r.netUsPerPacket = max(0, cpu-idle*dt) / fwd
		r.allocsPerPacket = float64(s1.Mallocs-s0.Mallocs) / fwd
		r.userUsPerPacket = float64(s1.CPUUserUs-s0.CPUUserUs) / fwd
		r.sysUsPerPacket = float64(s1.CPUSysUs-s0.CPUSysUs) / fwd
	}
	if o.record {
		r.usPerPacket = (r.plainUs[0] + r.plainUs[1]) / 2
	}
	r.cpuPercent = cpu / (dt * 1e6) * 100
	r.rssPerSub = (float64(rssPeak) - float64(base.RSS)) / float64(n)
	r.heapPerSub = (float64(mem.HeapInuse) - float64(base.HeapInuse)) / float64(n)
	r.goroutinesPerSub = float64(mem.Goroutines-base.Goroutines) / float64(n)
	if exp := exp1 - exp0; exp > 0 {
		r.lossPercent = max(0, float64(int64(exp)-int64(got1-got0))) / float64(exp) * 100
	}
	return r, nil
}

// recordWindows follows the window s0..s1 without a recording with one
// with the primary (rec) recording the customer and one without again.
func recordWindows(ctx context.Context, o *options, rec *client.Client, r *result, s0, s1 relayStats) error {
	perPacket := func(a, b relayStats) (float64, float64) {
		fwd := float64(b.PacketsForwarded - a.PacketsForwarded)
		if fwd == 0 {
			return 0, 0
		}
		return float64((b.CPUUserUs+b.CPUSysUs)-(a.CPUUserUs+a.CPUSysUs)) / fwd, fwd / b.at.Sub(a.at).Seconds()
	}
	r.plainUs[0], _ = perPacket(s0, s1)
	if err := rec.WaitDataChannel(ctx); err != nil {
		return err
	}
	if err := rec.SendTool([]byte(`{"tool":"record","state":"start"}`)); err != nil {
		return err
	}
	if !recordingState(ctx, rec, proto.RecordingStarted) {
		return errors.New("the recording did not start")
	}
	time.Sleep(time.Second) // its first key frame
	w0, err := fetchStats(o.statsURL, false)
	if err != nil {
		return err
	}
	time.Sleep(o.duration)
	w1, err := fetchStats(o.statsURL, false)
	if err != nil {
		return err
	}
	r.recUsPerPacket, r.recPPS = perPacket(w0, w1)
	if err := rec.SendTool([]byte(`{"tool":"record","state":"stop"}`)); err != nil {
		return err
	}
	if !recordingState(ctx, rec, proto.RecordingStopped) {
		return errors.New("the recording did not stop")
	}
	time.Sleep(time.Second)
	p0, err := fetchStats(o.statsURL, false)
	if err != nil {
		return err
	}
	time.Sleep(o.duration)
	p1, err := fetchStats(o.statsURL, false)
	if err != nil {
		return err
	}
	r.plainUs[1], _ = perPacket(p0, p1)
	return nil
}

// recordingState waits for the relay's recording message in state at c.
func recordingState(ctx context.Context, c *client.Client, state string) bool {
	for {
		select {
		case s := <-c.Signals():
			if s.Type == proto.TypeRecording && s.Recording != nil && s.Recording.State == state {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// received sums packets received and expected over every subscriber track.
func received(subs []*client.Client) (got, expected uint64) {
	for _, c := range subs {
		for _, t := range c.Tracks() {
			got += t.Packets
			expected += t.Expected
		}
	}
	return got, expected
}

// profile saves the relay's CPU profile over d.
func profile(o *options, d time.Duration) error {
	url := strings.Replace(o.statsURL, "/debug/stats", "/debug/pprof/profile", 1) + fmt.Sprintf("?seconds=%d", int(d.Seconds()))
	return save(url, o.profile)
}

// save writes what url answers to file.
func save(url, file string) error {
	c := &http.Client{Timeout: 2 * time.Minute}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}
