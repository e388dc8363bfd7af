package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// relayProcess is the relay (media-task) running beside the local server,
// built from source so `make dev` runs what ECS would.
type relayProcess struct {
	cmd  *exec.Cmd
	done chan error
}

// relayOptions configure the local relay.
type relayOptions struct {
	root, dataDir, table, dynamoDB, apiBase string
	httpPort, udpPort                       int
	ticketPublicKey                         []byte
	eventsSecret                            string
	// s3Endpoint and bucket are where the relay streams recordings: the
	// S3 emulator and the API's attachments bucket, so the API can serve
	// them.
	s3Endpoint, bucket string
}

// startRelay builds and starts the relay and waits until its health check
// answers. The relay registers itself in the table with a heartbeat, so the API
// places sessions on it as it would on ECS.
func startRelay(ctx context.Context, o relayOptions) (*relayProcess, error) {
	// GB_RELAY_BIN names a relay built beforehand (the browser tests build
	// it once for all their stacks); otherwise it is built from this tree.
	bin := os.Getenv("GB_RELAY_BIN")
	if bin == "" {
		bin = filepath.Join(o.dataDir, "bin", "media-task")
		fmt.Fprintln(os.Stderr, "building the relay (media-task) ...")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./media-task")
		build.Dir, build.Stdout, build.Stderr = o.root, os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build relay: %w", err)
		}
	}
	signal := fmt.Sprintf("ws://localhost:%d/signal", o.httpPort)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"RELAY_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(o.httpPort),
		"RELAY_UDP_PORT="+strconv.Itoa(o.udpPort),
		"RELAY_UDP_IP=127.0.0.1",
		"RELAY_PUBLIC_IPS=127.0.0.1",
		"RELAY_TICKET_PUBLIC_KEY="+base64.StdEncoding.EncodeToString(o.ticketPublicKey),
		"RELAY_EVENTS_URL="+o.apiBase+"/v1/internal/relay/events",
		"RELAY_EVENTS_SECRET="+o.eventsSecret,
		"RELAY_TASK_ID=local-relay",
		"RELAY_SIGNAL_URL="+signal,
		"RELAY_REGISTRY=dynamodb",
		"RELAY_DRAIN_TIMEOUT=3s",
		"GB_TABLE="+o.table,
		"AWS_ENDPOINT_URL_DYNAMODB="+o.dynamoDB,
		"AWS_ENDPOINT_URL_S3="+o.s3Endpoint,
		"GB_ATTACHMENTS_BUCKET="+o.bucket,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=eu-central-1",
	)
	logFile, err := os.Create(filepath.Join(o.dataDir, "relay.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logPath := filepath.Join(o.dataDir, "relay.log")
	fmt.Fprintf(os.Stderr, "waiting for the relay on :%d (log: %s) ...\n", o.httpPort, logPath)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start relay: %w", err)
	}
	p := &relayProcess{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("relay exited at start (see %s): %v", logPath, err)
		case <-time.After(200 * time.Millisecond):
		}
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", o.httpPort))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
	}
	p.stop()
	return nil, fmt.Errorf("relay did not become healthy within 30 s (see %s)", logPath)
}

// stop drains the relay with SIGTERM and kills it if it lingers.
func (p *relayProcess) stop() {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}
