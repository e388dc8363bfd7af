// Command local runs the whole of Guestbridge on this machine for `make dev`:
// DynamoDB Local and the SES emulator (via shared/devstack), an SMS capture
// that the real SNS client publishes to, the API and web client on one port,
// the outbox sender and the expiry sweep on timers standing in for the stream
// trigger and EventBridge. Ctrl-C stops everything.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/guestbridge/guestbridge/shared/allinone"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/httpapi"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/smscapture"
	"github.com/guestbridge/guestbridge/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "guestbridge dev:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func run(ctx context.Context) error {
	root, err := devstack.RepoRoot()
	if err != nil {
		return err
	}
	// GB_DATA_DIR lets a test run its own stack beside a running `make dev`
	// without sharing its tables, secret or demo password.
	dataDir := filepath.Join(root, ".local")
	if d := os.Getenv("GB_DATA_DIR"); d != "" {
		if dataDir, err = filepath.Abs(d); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	apiPort := envInt("GB_API_PORT", 8080)
	ddbPort := envInt("GB_DYNAMODB_PORT", 8000)
	sesPort := envInt("GB_SES_PORT", 8005)
	s3Port := envInt("GB_S3_PORT", 8006)
	bucket := os.Getenv("GB_ATTACHMENTS_BUCKET")
	if bucket == "" {
		bucket = "guestbridge-attachments"
		os.Setenv("GB_ATTACHMENTS_BUCKET", bucket)
	}
	base := fmt.Sprintf("http://localhost:%d", apiPort)

	// Take the API port first: a second `make dev` should fail before it
	// starts anything else.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", apiPort))
	if err != nil {
		return fmt.Errorf("port %d is taken (is another `make dev` running?): %w", apiPort, err)
	}

	fmt.Fprintln(os.Stderr, "starting the local AWS stand-ins (first start takes a few seconds) ...")
	stack, err := devstack.Start(ctx, devstack.Options{
		DynamoDBPort: ddbPort, SESPort: sesPort, DataDir: filepath.Join(dataDir, "dynamodb"), Progress: os.Stderr,
		S3: true, S3Port: s3Port, S3Buckets: []string{bucket}, S3Dir: filepath.Join(dataDir, "s3"),
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer stack.Close()

	secretB64, err := persistent(filepath.Join(dataDir, "secret"), func() string { return randomB64(32) })
	if err != nil {
		return err
	}
	demoPassword := os.Getenv("DEMO_PASSWORD")
	if demoPassword == "" {
		if demoPassword, err = persistent(filepath.Join(dataDir, "demo-password"), func() string { return "demo-" + randomB64(9) }); err != nil {
			return err
		}
	}
	setDefault := func(k, v string) {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	relayPort := envInt("GB_RELAY_PORT", 7880)
	setDefault("GB_RELAY_URLS", fmt.Sprintf("ws://localhost:%d", relayPort))
	setDefault("GB_SECRET", secretB64)
	setDefault("GB_PUBLIC_URL", base)
	setDefault("AWS_ENDPOINT_URL_DYNAMODB", stack.DynamoDBEndpoint)
	setDefault("AWS_ENDPOINT_URL_SESV2", stack.SESEndpoint)
	setDefault("AWS_ENDPOINT_URL_SNS", base+"/_local/sns")
	setDefault("AWS_ENDPOINT_URL_S3", stack.S3Endpoint)
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	a, err := allinone.New(ctx, cfg, clock.System{}, log)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "creating the table and the demo company ...")
	if err := store.CreateTable(ctx, a.Store.DB(), cfg.Table); err != nil {
		return err
	}
	if err := a.SeedDemo(ctx, demoPassword); err != nil {
		return err
	}

	keys, err := secret.Derive(cfg.Secret)
	if err != nil {
		return err
	}
	relay, err := startRelay(ctx, relayOptions{
		root: root, dataDir: dataDir, table: cfg.Table, dynamoDB: stack.DynamoDBEndpoint, apiBase: base,
		httpPort: relayPort, udpPort: envInt("GB_RELAY_UDP_PORT", 3478), ticketPublicKey: a.Minter.PublicKey(),
		eventsSecret: string(app.RelayEventsKey(cfg, keys)),
		s3Endpoint:   stack.S3Endpoint, bucket: bucket,
	})
	if err != nil {
		return err
	}
	defer relay.stop()

	sms := smscapture.New(time.Now)
	mux := http.NewServeMux()
	mux.Handle("/v1/", a.Handler())
	mux.Handle("POST /_local/sns", sms)
	mux.Handle("GET /_local/sms", sms.ListHandler())
	mux.Handle("GET /_local/sms.html", sms.PageHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/", httpapi.SecurityHeaders(app.BrowserPolicy(cfg), webHandler(filepath.Join(root, "web"))))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	loops := newLoops(ctx)
	loops.every(time.Second, func(ctx context.Context) {
		if _, err := a.Sender.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("outbox delivery", "err", err)
		}
	})
	loops.every(time.Duration(envInt("GB_SWEEP_SECONDS", 30))*time.Second, func(ctx context.Context) {
		if res, err := a.Sweeper.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("sweep", "err", err)
		} else if res.Expired+res.Reminded > 0 {
			log.Info("sweep", "expired", res.Expired, "reminded", res.Reminded)
		}
	})

	banner(base, stack, demoPassword, relayPort, dataDir)
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	}
	fmt.Fprintln(os.Stderr, "\nstopping ...")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	loops.wait()
	return nil
}

func banner(base string, stack *devstack.Stack, pw string, relayPort int, dataDir string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nGuestbridge is running.\n\n")
	fmt.Fprintf(&b, "  Web client and API   %s   (API under %s/v1)\n", base, base)
	fmt.Fprintf(&b, "  Sent email (SES)     %s   (JSON: %s/store)\n", stack.SESEndpoint, stack.SESEndpoint)
	fmt.Fprintf(&b, "  Sent SMS             %s/_local/sms.html   (JSON: %s/_local/sms)\n", base, base)
	fmt.Fprintf(&b, "  DynamoDB Local       %s   (table guestbridge)\n", stack.DynamoDBEndpoint)
	fmt.Fprintf(&b, "  S3 (s3rver)          %s   (bucket %s, files in %s)\n", stack.S3Endpoint, os.Getenv("GB_ATTACHMENTS_BUCKET"), filepath.Join(dataDir, "s3", "objects"))
	fmt.Fprintf(&b, "  Relay signaling      ws://localhost:%d/signal   (health: http://localhost:%d/healthz)\n\n", relayPort, relayPort)
	fmt.Fprintf(&b, "  Sign in to \"Demo Support\" with password %q as:\n", pw)
	for _, acc := range app.DemoAccounts {
		fmt.Fprintf(&b, "    %-18s %s\n", acc.Email, acc.Role)
	}
	fmt.Fprintf(&b, "\n  Example:\n    curl -s %s/v1/auth/login -d '{\"email\":\"admin@demo.test\",\"password\":\"%s\"}'\n", base, pw)
	fmt.Fprintf(&b, "\nData is kept in %s (make dev-reset clears .local/). Ctrl-C stops everything.\n", dataDir)
	fmt.Fprint(os.Stderr, b.String())
}

// persistent returns the content of path, creating it with make() first.
func persistent(path string, make func() string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	v := make()
	return v, os.WriteFile(path, []byte(v+"\n"), 0o600)
}

func randomB64(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	if n < 32 {
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// webHandler serves the web client; unknown paths get index.html so the
// client's own routes (such as /invite) work on reload.
func webHandler(dir string) http.Handler {
	fs := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(filepath.Join(dir, filepath.Clean("/"+r.URL.Path))); err != nil {
			http.ServeFile(w, r, filepath.Join(dir, "index.html"))
			return
		}
		fs.ServeHTTP(w, r)
	})
}
