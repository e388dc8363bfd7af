package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// techKinds are the three technicians of each session in sessions mode.
var techKinds = []toolmatrix.Kind{toolmatrix.Primary, toolmatrix.Secondary, toolmatrix.Guest}

type sessionsResult struct {
	pps, usPerPacket, cpuPercent float64
	sessionsPerVCPU              float64
	rssPerSession, heapPerSess   float64
	lossPercent, genCPUPercent   float64
	kfP50, kfP99                 time.Duration
}

// runSessions is the sessions mode: for each S, S sessions of one customer
// publishing VP8 + Opus and three technicians receiving it, all at once.
func runSessions(o *options, api *client.API, priv ed25519.PrivateKey, ss []int) error {
	fmt.Printf("sessions mode: 1 customer (%d kbit/s VP8 + Opus) + %d technicians per session, window %s\n",
		o.bitrate/1000, len(techKinds), o.duration)
	fmt.Printf("nominal forwarded packets per session: %.0f/s (fwd/sess below it: the generator or the machine cannot keep up)\n",
		nominalPerSession(o.bitrate))
	fmt.Printf("%5s %10s %8s %8s %7s %12s %11s %12s %8s %9s %9s %8s\n",
		"S", "fwd pkt/s", "fwd/sess", "µs/pkt", "cpu %", "sess/vCPU@70", "RSS/sess KB", "heap/sess KB", "loss %", "kf p50 ms", "kf p99 ms", "gen cpu%")
	for _, s := range ss {
		r, err := measureSessions(o, api, priv, s)
		if err != nil {
			return fmt.Errorf("S=%d: %w", s, err)
		}
		fmt.Printf("%5d %10.0f %8.0f %8.2f %7.1f %12.1f %11.1f %12.1f %8.3f %9.0f %9.0f %8.1f\n",
			s, r.pps, r.pps/float64(s), r.usPerPacket, r.cpuPercent, r.sessionsPerVCPU, r.rssPerSession/1024, r.heapPerSess/1024,
			r.lossPercent, r.kfP50.Seconds()*1000, r.kfP99.Seconds()*1000, r.genCPUPercent)
	}
	return nil
}

// nominalPerSession is the packets per second the relay forwards for one
// session at full rate: the customer's video (30 frames/s of bitrate/8/30
// bytes in 1100-byte payloads, as rtc/client sends it) and Opus (50/s), to
// each technician.
func nominalPerSession(bitrate int) float64 {
	perFrame := math.Ceil(float64(bitrate) / 8 / 30 / 1100)
	return float64(len(techKinds)) * (30*perFrame + 50)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measureSessions(o *options, api *client.API, priv ed25519.PrivateKey, s int) (sessionsResult, error) {
	var r sessionsResult
	ctx, cancel := context.WithTimeout(context.Background(), o.joinTimeout+o.warmup+o.duration+time.Minute)
	defer cancel()
	base, err := fetchStats(o.statsURL, true)
	if err != nil {
		return r, err
	}
	run := time.Now().UnixNano()
	var (
		mu      sync.Mutex
		all     []*client.Client
		techs   []*client.Client
		firstEr error
	)
	defer func() {
		var cw sync.WaitGroup
		for _, c := range all {
			cw.Go(func() { _ = c.Close() })
		}
		cw.Wait()
		_ = waitParticipants(o.statsURL, 0)
	}()
	dial := func(kind toolmatrix.Kind, sid, pid string, publish bool) *client.Client {
		tk, err := ticket(priv, kind, sid, pid)
		if err == nil {
			var c *client.Client
			c, err = client.Dial(ctx, client.Options{URL: o.url, Ticket: tk, Publish: publish, VideoBitrate: o.bitrate, API: api})
			if err == nil {
				mu.Lock()
				all = append(all, c)
				mu.Unlock()
				if _, err = c.Joined(ctx); err == nil {
					return c
				}
			}
		}
		mu.Lock()
		if firstEr == nil {
			firstEr = fmt.Errorf("%s %s: %w", sid, pid, err)
		}
		mu.Unlock()
		return nil
	}
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i := range s {
		sid := fmt.Sprintf("sess-%d-%d", run, i)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if dial(toolmatrix.Customer, sid, "customer", true) == nil {
				return
			}
			for j, k := range techKinds {
				if c := dial(k, sid, fmt.Sprintf("t%d", j), false); c != nil {
					mu.Lock()
					techs = append(techs, c)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if firstEr != nil {
		return r, firstEr
	}
	deadline := time.Now().Add(o.joinTimeout)
	var kf []time.Duration
	for {
		kf = kf[:0]
		for _, c := range techs {
			for _, t := range c.Tracks() {
				if t.Kind == "video" && !t.FirstKeyframe.IsZero() {
					kf = append(kf, t.FirstKeyframe.Sub(c.Started()))
				}
			}
		}
		if len(kf) == len(techs) {
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("%d of %d technicians got a key frame", len(kf), len(techs))
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
	g0 := selfCPU()
	got0, exp0 := received(techs)
	time.Sleep(o.duration)
	s1, err := fetchStats(o.statsURL, false)
	if err != nil {
		return r, err
	}
	g1 := selfCPU()
	got1, exp1 := received(techs)
	mem, err := fetchStats(o.statsURL, true)
	if err != nil {
		return r, err
	}
	dt := s1.at.Sub(s0.at).Seconds()
	fwd := float64(s1.PacketsForwarded - s0.PacketsForwarded)
	cpu := float64((s1.CPUUserUs + s1.CPUSysUs) - (s0.CPUUserUs + s0.CPUSysUs))
	r.pps = fwd / dt
	if fwd > 0 {
		r.usPerPacket = cpu / fwd
	}
	r.cpuPercent = cpu / (dt * 1e6) * 100
	if exp := exp1 - exp0; exp > 0 {
		r.lossPercent = max(0, float64(int64(exp)-int64(got1-got0))) / float64(exp) * 100
	}
	// A session's CPU is its nominal packet rate at the measured cost per
	// packet: a generator that cannot keep up sends fewer packets, which
	// must not make a session look cheaper.
	if r.usPerPacket > 0 {
		r.sessionsPerVCPU = 0.7e6 / (r.usPerPacket * nominalPerSession(o.bitrate))
	}
	r.genCPUPercent = (g1 - g0).Seconds() / dt * 100
	r.rssPerSession = (float64(mem.RSS) - float64(base.RSS)) / float64(s)
	r.heapPerSess = (float64(mem.HeapInuse) - float64(base.HeapInuse)) / float64(s)
	return r, nil
}
