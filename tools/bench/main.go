// Command bench measures the API on this machine against DynamoDB Local, for
// `make bench`: requests per second and p50/p99 latency of invite, accept and
// list; the DynamoDB calls each request makes (counted by an SDK middleware)
// beside the latency of those calls in the same run, so the handler's own
// overhead shows; the Lambda bundles' sizes; and the API binary's
// exec-to-ready time under a stand-in Lambda runtime API.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/guestbridge/guestbridge/shared/allinone"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/smscapture"
	"github.com/guestbridge/guestbridge/shared/store"
)

func main() {
	n := flag.Int("n", 200, "requests per measured operation")
	conc := flag.Int("c", 8, "concurrent clients in the throughput runs")
	only := flag.String("only", "", `run one part only: "lists" (guest list pages at 200 and 10,000 guests)`)
	flag.Parse()
	if err := run(*n, *conc, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const password = "benchmark password"

func run(n, conc int, only string) error {
	ctx := context.Background()
	fmt.Fprintln(os.Stderr, "starting DynamoDB Local and the SES emulator ...")
	stack, err := devstack.Start(ctx, devstack.Options{Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer stack.Close()
	sms := smscapture.New(time.Now)
	smsSrv := httptest.NewServer(sms)
	defer smsSrv.Close()

	cfg := config.Config{
		Table: "bench", PublicURL: "http://bench.test", MailFrom: "no-reply@bench.test",
		Secret: bytes.Repeat([]byte{9}, 32), MaxGuestDays: 365, ReminderDays: 3, InvitesPerHour: 1 << 30, RedeemsPerMinute: 1 << 30,
		Region: "eu-central-1", DynamoDBEndpoint: stack.DynamoDBEndpoint, SESEndpoint: stack.SESEndpoint, SNSEndpoint: smsSrv.URL,
		// The benchmark measures the cost of counting, not its refusals.
		Quotas: ratelimit.Quotas{InvitesPerUserDay: 1 << 30, InvitesPerOrgHour: 1 << 30, InvitesPerOrgDay: 1 << 30,
			SessionsPerUserHour: 1 << 30, SessionsPerUserDay: 1 << 30, SessionsPerOrgHour: 1 << 30, SessionsPerOrgDay: 1 << 30,
			SMSPerOrgDay: 1 << 30, SMSPerPhoneDay: 1 << 30},
	}
	meter := store.NewCallMeter()
	a, err := allinone.New(ctx, cfg, clock.System{}, slog.New(slog.NewJSONHandler(io.Discard, nil)), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, meter.Register)
	})
	if err != nil {
		return err
	}
	if err := store.CreateTable(ctx, a.Store.DB(), cfg.Table); err != nil {
		return err
	}
	if err := a.SeedOrg(ctx, "bench", "Bench Co", []app.DemoAccount{{Email: "admin@bench.test", Name: "Admin", Role: "admin"}}, password); err != nil {
		return err
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	// Latency runs call the handler in process, so the handler's own time is
	// not blurred by the loopback HTTP stack; throughput runs go over HTTP.
	c := &client{base: srv.URL, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, handler: a.Handler()}

	var login struct{ Token string }
	if err := c.do("POST", "/v1/auth/login", "", map[string]string{"email": "admin@bench.test", "password": password}, 200, &login); err != nil {
		return err
	}
	if only == "lists" {
		c.inProc = true
		return listAtScale(ctx, a, c, login.Token, n, meter)
	}
	var kase struct{ ID string }
	if err := c.do("POST", "/v1/orgs/bench/cases", login.Token, map[string]string{"title": "Bench case"}, 201, &kase); err != nil {
		return err
	}
	seq := 0
	var seqMu sync.Mutex
	inviteReq := func() error {
		seqMu.Lock()
		seq++
		i := seq
		seqMu.Unlock()
		return c.do("POST", "/v1/orgs/bench/guests", login.Token, map[string]any{
			"email": fmt.Sprintf("g%d@bench.test", i), "name": "G", "phone": fmt.Sprintf("+49151%08d", i),
			"channels": []string{"sms"}, "caseId": kase.ID, "period": map[string]int{"days": 30},
		}, 201, nil)
	}
	listReq := func() error { return c.do("GET", "/v1/orgs/bench/guests?status=pending", login.Token, nil, 200, nil) }

	fmt.Println("Guestbridge API benchmark (local server, DynamoDB Local on loopback)")
	fmt.Printf("%d sequential requests per operation; throughput with %d concurrent clients\n\n", n, conc)
	fmt.Printf("%-22s %8s %8s %8s %10s %11s %12s %12s\n", "operation", "req/s", "p50 ms", "p99 ms", "ddb calls", "ddb ms/req", "handler p50", "handler p99")
	fmt.Println("(latency in process; handler = request time minus the time it waited on its DynamoDB calls, overlapping calls counted once, in ms)")

	meter.Snapshot()
	c.inProc = true
	if err := measure("invite (sms)", n, inviteReq, meter); err != nil {
		return err
	}
	// Deliver the SMS to have links to accept.
	for {
		sent, err := a.Sender.DeliverDue(ctx)
		if err != nil {
			return err
		}
		if sent == 0 {
			break
		}
	}
	meter.Snapshot()
	links := smsLinks(sms)
	if len(links) < n {
		return fmt.Errorf("only %d SMS links captured, want %d", len(links), n)
	}
	li := 0
	acceptReq := func() error {
		tok := links[li]
		li++
		return c.do("POST", "/v1/invitations/"+tok+"/accept", "", map[string]string{}, 200, nil)
	}
	if err := measure("accept (sms, no pw)", n, acceptReq, meter); err != nil {
		return err
	}
	if err := measure("list guests", n, listReq, meter); err != nil {
		return err
	}
	fmt.Println()
	c.inProc = false
	for _, op := range []struct {
		name string
		f    func() error
	}{{"invite (sms)", inviteReq}, {"list guests", listReq}} {
		rps, err := throughput(op.f, conc, 3*time.Second)
		if err != nil {
			return err
		}
		fmt.Printf("%-22s %8.0f req/s with %d clients\n", op.name, rps, conc)
	}
	meter.Snapshot()

	fmt.Println()
	c.inProc = true
	if err := listAtScale(ctx, a, c, login.Token, n, meter); err != nil {
		return err
	}
	c.inProc = false

	fmt.Println()
	if err := binaries(); err != nil {
		return err
	}
	return execToReady(stack.DynamoDBEndpoint)
}

// measure runs f n times in sequence and prints latency, the DynamoDB calls
// per request and the handler's own time (request minus the time it waited on
// DynamoDB, overlapping calls counted once).
func measure(name string, n int, f func() error, meter *store.CallMeter) error {
	lat := make([]time.Duration, 0, n)
	overhead := make([]time.Duration, 0, n)
	calls := make([]int, 0, n)
	var ddbTotal time.Duration
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d := time.Since(t0)
		waited := meter.Waited()
		var sum time.Duration
		count := 0
		for _, ds := range meter.Snapshot() {
			for _, x := range ds {
				sum += x
				count++
			}
		}
		lat = append(lat, d)
		overhead = append(overhead, d-waited)
		calls = append(calls, count)
		ddbTotal += sum
	}
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(overhead, func(i, j int) bool { return overhead[i] < overhead[j] })
	fmt.Printf("%-22s %8.0f %8.2f %8.2f %10.1f %11.2f %12.3f %12.3f\n", name, float64(n)/elapsed.Seconds(),
		ms(pct(lat, 50)), ms(pct(lat, 99)), avg(calls), ms(ddbTotal/time.Duration(n)), ms(pct(overhead, 50)), ms(pct(overhead, 99)))
	return nil
}

func avg(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

func throughput(f func() error, conc int, d time.Duration) (float64, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	var firstErr error
	deadline := time.Now().Add(d)
	start := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				err := f()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				count++
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(count) / time.Since(start).Seconds(), firstErr
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	if i > 0 {
		i--
	}
	return ds[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type client struct {
	base    string
	http    *http.Client
	handler http.Handler
	inProc  bool
}

func (c *client) do(method, path, token string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.inProc {
		rec := httptest.NewRecorder()
		req.RemoteAddr = "127.0.0.1:1"
		c.handler.ServeHTTP(rec, req)
		if rec.Code != want {
			return fmt.Errorf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
		if out != nil {
			return json.Unmarshal(rec.Body.Bytes(), out)
		}
		return nil
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

var linkRe = regexp.MustCompile(`/invite#([A-Za-z0-9_-]+)`)

func smsLinks(c *smscapture.Capture) []string {
	var out []string
	for _, m := range c.Messages() {
		if mm := linkRe.FindStringSubmatch(m.Body); mm != nil {
			out = append(out, mm[1])
		}
	}
	return out
}

// binaries builds the Lambda bundles as `make build` does and prints their
// sizes, raw and zipped.
func binaries() error {
	dir, err := os.MkdirTemp("", "gb-bench-bin")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("%-10s %14s %14s   (linux/arm64, -tags lambda.norpc -trimpath -ldflags='-s -w')\n", "function", "binary MB", "zipped MB")
	for _, fn := range []string{"api", "sender", "sweep"} {
		out := filepath.Join(dir, fn)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/"+fn)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", fn, err)
		}
		st, err := os.Stat(out)
		if err != nil {
			return err
		}
		z, err := zipSize(out)
		if err != nil {
			return err
		}
		fmt.Printf("%-10s %14.2f %14.2f\n", fn, float64(st.Size())/1e6, float64(z)/1e6)
	}
	return nil
}

func zipSize(path string) (int, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bootstrap")
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(b); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}

// execToReady builds the API function for this machine and times, over a few
// runs, from exec to its first request for work on a stand-in Lambda runtime
// API: the cold-start share that the binary itself controls.
func execToReady(ddb string) error {
	dir, err := os.MkdirTemp("", "gb-bench-exec")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, "./functions/api")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	var runs []time.Duration
	for i := 0; i < 7; i++ {
		d, err := oneStart(bin, ddb)
		if err != nil {
			return err
		}
		runs = append(runs, d)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i] < runs[j] })
	fmt.Printf("\napi exec-to-ready (first GET /runtime/invocation/next), %d runs: min %.1f ms, median %.1f ms, max %.1f ms\n",
		len(runs), ms(runs[0]), ms(runs[len(runs)/2]), ms(runs[len(runs)-1]))
	return nil
}

func oneStart(bin, ddb string) (time.Duration, error) {
	ready := make(chan time.Time, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/invocation/next") {
			select {
			case ready <- time.Now():
			default:
			}
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "GB_TABLE=bench",
		"GB_SECRET=CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=", "AWS_ENDPOINT_URL_DYNAMODB="+ddb,
		"AWS_REGION=eu-central-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case t := <-ready:
		return t.Sub(start), nil
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("api binary did not ask for work within 10 s")
	}
}

// listAtScale lists the guests of one company with 200 and then 10,000
// guests: the first page, a page deep in the list (after following the
// cursor 20 pages) and the pending filter, each with p99 latency and the
// DynamoDB read units one page consumed. Pages read by key with a limit, so
// both must stay flat as the company grows.
func listAtScale(ctx context.Context, a *allinone.System, c *client, token string, n int, meter *store.CallMeter) error {
	fmt.Println("list guests by company size (pages of 50; RCU = DynamoDB read capacity units per page, from ReturnConsumedCapacity)")
	fmt.Printf("%-8s %-26s %8s %8s %10s\n", "guests", "page", "p50 ms", "p99 ms", "RCU/page")
	now := time.Now().UTC()
	have := 0
	for _, size := range []int{200, 10000} {
		var gs []guest.Guest
		for i := have; i < size; i++ {
			id := fmt.Sprintf("g_bulk%06d", i)
			gs = append(gs, guest.Guest{ID: id, OrgID: "bench", OrgName: "Bench Co", Email: id + "@bulk.test", Name: "Bulk " + id,
				Channels: []outbox.Channel{outbox.Email}, CaseIDs: []string{"c_bulk"}, ValidUntil: now.Add(30 * 24 * time.Hour),
				Active: true, Validated: i%2 == 0, InvitedBy: "bench", CreatedAt: now, UpdatedAt: now, InvitationID: "inv_" + id, InvitedAt: now})
		}
		if err := a.Store.SeedGuests(ctx, gs); err != nil {
			return err
		}
		have = size
		deep := ""
		cursor := ""
		for i := 0; i < 20; i++ {
			var page struct{ NextCursor string }
			path := "/v1/orgs/bench/guests?limit=50"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			if err := c.do("GET", path, token, nil, 200, &page); err != nil {
				return err
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
			deep = cursor
		}
		// Warm DynamoDB Local's and the handler's code paths before the first
		// measurement, so the first row does not carry the JIT.
		for i := 0; i < n; i++ {
			if err := c.do("GET", "/v1/orgs/bench/guests?status=pending&limit=50", token, nil, 200, nil); err != nil {
				return err
			}
		}
		for _, q := range []struct{ name, path string }{
			{"first page", "/v1/orgs/bench/guests?limit=50"},
			{"page 21 (or last)", "/v1/orgs/bench/guests?limit=50&cursor=" + url.QueryEscape(deep)},
			{"status=pending, first", "/v1/orgs/bench/guests?status=pending&limit=50"},
			{"status=active, first", "/v1/orgs/bench/guests?status=active&limit=50"},
		} {
			lat := make([]time.Duration, 0, n)
			var units float64
			meter.Snapshot()
			for i := 0; i < n; i++ {
				t0 := time.Now()
				if err := c.do("GET", q.path, token, nil, 200, nil); err != nil {
					return err
				}
				lat = append(lat, time.Since(t0))
				units += meter.ReadUnits()
				meter.Snapshot()
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			fmt.Printf("%-8d %-26s %8.2f %8.2f %10.1f\n", size, q.name, ms(pct(lat, 50)), ms(pct(lat, 99)), units/float64(n))
		}
	}
	return nil
}
