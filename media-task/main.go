// Command media-task is the Guestbridge relay: it verifies the API's join
// tickets, forwards the customer's camera and audio to the technicians over
// WebRTC (one UDP port for all peers), relays the session tools on a data
// channel under the permission matrix, and obeys the API's control calls.
// It is configured from the environment (see package config) and drains
// gracefully on SIGTERM.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	ossignal "os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/guestbridge/guestbridge/media-task/app"
	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proxy"
	"github.com/guestbridge/guestbridge/media-task/registry"
	"github.com/guestbridge/guestbridge/media-task/revocation"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck())
	}
	os.Exit(run())
}

// healthcheck asks the running relay's /healthz, for container health
// checks in an image without a shell: exit 0 when it answers 200.
func healthcheck() int {
	addr := os.Getenv("RELAY_HTTP_ADDR")
	if addr == "" {
		addr = ":7880"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 1
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz")
	if err != nil {
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func run() int {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	// RELAY_MEMPROFILE_RATE is a profiling knob for the load generator:
	// 1 records every allocation in the heap profile.
	if v, err := strconv.Atoi(os.Getenv("RELAY_MEMPROFILE_RATE")); err == nil && v > 0 {
		runtime.MemProfileRate = v
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		return 2
	}
	ctx, stop := ossignal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	opts := app.Options{Store: registry.Nop{}, Logger: log}
	if cfg.Registry == "dynamodb" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			log.Error("aws configuration", "err", err)
			return 1
		}
		db := dynamodb.NewFromConfig(awsCfg)
		opts.Store = registry.NewDynamoStore(db, cfg.Table)
		opts.Sessions = revocation.NewDynamoReader(db, cfg.Table)
		if cfg.PrivateAddr != "" {
			opts.Locator = proxy.NewDynamoLocator(db, cfg.Table)
		}
	}
	if cfg.RecordingsBucket != "" {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			log.Error("aws configuration", "err", err)
			return 1
		}
		opts.S3 = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			if cfg.S3Endpoint == "" {
				return
			}
			// The local emulator: no per-bucket host names, and its own
			// key (devstack.S3AccessKey), whatever the DynamoDB key is.
			o.BaseEndpoint = aws.String(cfg.S3Endpoint)
			o.UsePathStyle = true
			o.Credentials = credentials.NewStaticCredentialsProvider("S3RVER", "S3RVER", "")
		})
	}
	a, err := app.New(cfg, opts)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		log.Error("listen", "err", err)
		a.Close(context.Background())
		return 1
	}
	if cfg.PrivateAddr != "" {
		addr, err := proxy.PrivateAddr(cfg.PrivateAddr, ln.Addr())
		if err != nil {
			log.Error("private address", "err", err)
			_ = ln.Close()
			a.Close(context.Background())
			return 1
		}
		a.SetPrivateAddr(addr)
		log.Info("joins of other tasks' sessions are forwarded", "privateAddr", addr)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { serveErr <- srv.Serve(ln) })

	var stats *http.Server
	if cfg.StatsAddr != "" {
		sln, err := net.Listen("tcp", cfg.StatsAddr)
		if err != nil {
			log.Error("listen stats", "err", err)
		} else {
			stats = &http.Server{Handler: a.StatsHandler(), ReadHeaderTimeout: 10 * time.Second}
			wg.Go(func() { serveErr <- stats.Serve(sln) })
		}
	}
	// The heartbeat and the revocation check run until the drain is over.
	hbCtx, hbCancel := context.WithCancel(context.Background())
	wg.Go(func() { a.RunHeartbeat(hbCtx) })
	wg.Go(func() { a.RunRevocationCheck(hbCtx) })
	wg.Go(func() { a.RunQuality(hbCtx) })
	revocationInterval := cfg.RevocationInterval
	if opts.Sessions == nil {
		revocationInterval = 0
	}
	log.Info("relay started", "http", ln.Addr().String(), "udp", cfg.UDPPort, "publicIps", a.PublicIPs(), "task", cfg.TaskID,
		"revocationCheck", revocationInterval.String())

	code := 0
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", "err", err)
			code = 1
		}
	}
	stop()

	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout+5*time.Second)
	defer cancel()
	a.Drain(drainCtx)
	hbCancel()

	shutCtx, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shutCtx)
	if stats != nil {
		_ = stats.Shutdown(shutCtx)
	}
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelClose()
	a.Close(closeCtx)
	wg.Wait()
	log.Info("relay stopped")
	return code
}
