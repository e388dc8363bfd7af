// Package config reads the relay's configuration: defaults first, then the
// environment, then validation, so a bad setting stops the relay at start.
package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid relay configuration")

// Config is the relay's configuration.
type Config struct {
	// HTTPAddr is where signaling, control calls and /healthz are served
	// (RELAY_HTTP_ADDR).
	HTTPAddr string
	// UDPPort is the one UDP port all peers share (RELAY_UDP_PORT).
	UDPPort int
	// UDPIP binds the UDP port to one local address; empty binds every
	// interface (RELAY_UDP_IP).
	UDPIP string
	// PublicIPs are announced instead of the local addresses, NAT 1:1
	// (RELAY_PUBLIC_IPS, comma separated).
	PublicIPs []string
	// PublicIPSTUN is the host:port of a STUN server that tells the relay
	// its public address at start, for hosts that do not know it (Fargate):
	// RELAY_PUBLIC_IPS=stun:<host:port>. It excludes PublicIPs.
	PublicIPSTUN string
	// TicketPublicKey verifies join tickets and control tokens
	// (RELAY_TICKET_PUBLIC_KEY, base64 of the raw 32-byte key).
	TicketPublicKey ed25519.PublicKey
	// EventsURL receives joined/left events; empty disables them
	// (RELAY_EVENTS_URL).
	EventsURL string
	// EventsSecret keys the events' HMAC signature (RELAY_EVENTS_SECRET).
	EventsSecret string
	// TaskID names this relay in the registry (RELAY_TASK_ID, default the
	// host name).
	TaskID string
	// SignalURL is the WebSocket URL clients use, written to the registry
	// (RELAY_SIGNAL_URL).
	SignalURL string
	// PrivateAddr is host:port where other relay tasks reach this one's
	// signaling server to forward joins of the sessions it hosts; "auto"
	// takes the first interface address and the HTTP port; empty forwards
	// nothing and serves every join here (RELAY_PRIVATE_ADDR).
	PrivateAddr string
	// TCPPort is the ICE-TCP port for clients whose network blocks UDP;
	// zero disables it (RELAY_TCP_PORT).
	TCPPort int
	// Table is the DynamoDB table of the registry item (GB_TABLE).
	Table string
	// Registry selects the registry: "dynamodb" or "none" (RELAY_REGISTRY).
	Registry string
	// DrainTimeout bounds the graceful drain on SIGTERM (RELAY_DRAIN_TIMEOUT).
	DrainTimeout time.Duration
	// RevocationInterval is how often the hosted sessions' revocation state
	// is read from the table, the fallback for lost control calls; zero
	// disables it. Only with the dynamodb registry
	// (RELAY_REVOCATION_INTERVAL).
	RevocationInterval time.Duration
	// AllowedOrigins are the WebSocket origin patterns accepted
	// (RELAY_ALLOWED_ORIGINS, comma separated, default "*": the ticket is the
	// credential, no cookie is involved).
	AllowedOrigins []string
	// MaxPendingPerAddr bounds the WebSocket connections one client address
	// may hold open before they have joined with a valid ticket; beyond it
	// the upgrade is answered 429 (RELAY_MAX_PENDING_PER_ADDR, default 8).
	MaxPendingPerAddr int
	// StatsAddr serves /debug/stats and pprof on an internal address; empty
	// disables it (RELAY_STATS_ADDR).
	StatsAddr string
	// ReconnectGrace is how long a participant's seat is held after their
	// connection drops, waiting for a resume or an ICE restart
	// (RELAY_RECONNECT_GRACE, default 30s; "0s" holds no seat).
	ReconnectGrace time.Duration
	// QualityInterval is how often connection figures are measured and
	// sent to the participants (RELAY_QUALITY_INTERVAL, default 3s).
	QualityInterval time.Duration
	// RecordingsBucket receives recordings under recordings/; empty turns
	// recording off (RELAY_RECORDINGS_BUCKET, else GB_ATTACHMENTS_BUCKET:
	// the bucket the API serves a case's files from).
	RecordingsBucket string
	// S3Endpoint is the local S3 emulator's URL; empty means AWS
	// (AWS_ENDPOINT_URL_S3). With it the relay addresses buckets by path
	// and signs with the emulator's key.
	S3Endpoint string
}

// Defaults returns the configuration before the environment is applied.
func Defaults() Config {
	host, _ := os.Hostname()
	return Config{
		HTTPAddr:       ":7880",
		UDPPort:        3478,
		TaskID:         host,
		SignalURL:      "ws://localhost:7880/signal",
		Table:          "guestbridge",
		Registry:       "dynamodb",
		DrainTimeout:   30 * time.Second,
		AllowedOrigins: []string{"*"},

		MaxPendingPerAddr: 8,

		RevocationInterval: 5 * time.Second,
		ReconnectGrace:     30 * time.Second,
		QualityInterval:    3 * time.Second,
	}
}

// FromEnv returns the defaults overridden by the environment read through
// getenv, validated.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []error
	str := func(key string, dst *string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = v
		}
	}
	list := func(key string, dst *[]string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			var out []string
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			*dst = out
		}
	}
	str("RELAY_HTTP_ADDR", &c.HTTPAddr)
	if v := strings.TrimSpace(getenv("RELAY_UDP_PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELAY_UDP_PORT %q: not a number", v))
		}
		c.UDPPort = p
	}
	str("RELAY_UDP_IP", &c.UDPIP)
	list("RELAY_PUBLIC_IPS", &c.PublicIPs)
	for _, ip := range c.PublicIPs {
		if server, ok := strings.CutPrefix(ip, stunScheme); ok {
			if len(c.PublicIPs) > 1 {
				errs = append(errs, fmt.Errorf("RELAY_PUBLIC_IPS: %q cannot be combined with other addresses", ip))
			}
			c.PublicIPs, c.PublicIPSTUN = nil, server
			break
		}
	}
	if v := strings.TrimSpace(getenv("RELAY_TICKET_PUBLIC_KEY")); v != "" {
		k, err := ParsePublicKey(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELAY_TICKET_PUBLIC_KEY: %w", err))
		}
		c.TicketPublicKey = k
	}
	str("RELAY_EVENTS_URL", &c.EventsURL)
	c.EventsSecret = getenv("RELAY_EVENTS_SECRET")
	str("RELAY_TASK_ID", &c.TaskID)
	str("RELAY_SIGNAL_URL", &c.SignalURL)
	str("RELAY_PRIVATE_ADDR", &c.PrivateAddr)
	if v := strings.TrimSpace(getenv("RELAY_TCP_PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELAY_TCP_PORT %q: not a number", v))
		}
		c.TCPPort = p
	}
	str("GB_TABLE", &c.Table)
	str("RELAY_REGISTRY", &c.Registry)
	if v := strings.TrimSpace(getenv("RELAY_DRAIN_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELAY_DRAIN_TIMEOUT %q: %w", v, err))
		}
		c.DrainTimeout = d
	}
	if v := strings.TrimSpace(getenv("RELAY_REVOCATION_INTERVAL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELAY_REVOCATION_INTERVAL %q: %w", v, err))
		}
		c.RevocationInterval = d
	}
	list("RELAY_ALLOWED_ORIGINS", &c.AllowedOrigins)
	if v := strings.TrimSpace(getenv("RELAY_MAX_PENDING_PER_ADDR")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RELAY_MAX_PENDING_PER_ADDR %q: not a number", v))
		}
		c.MaxPendingPerAddr = n
	}
	str("RELAY_STATS_ADDR", &c.StatsAddr)
	for key, dst := range map[string]*time.Duration{"RELAY_RECONNECT_GRACE": &c.ReconnectGrace, "RELAY_QUALITY_INTERVAL": &c.QualityInterval} {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s %q: not a duration of zero or more", key, v))
			}
			*dst = d
		}
	}
	str("GB_ATTACHMENTS_BUCKET", &c.RecordingsBucket)
	str("RELAY_RECORDINGS_BUCKET", &c.RecordingsBucket)
	str("AWS_ENDPOINT_URL_S3", &c.S3Endpoint)
	if len(errs) > 0 {
		return c, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return c, c.Validate()
}

// OnLoopback reports whether the relay serves media on loopback only: its
// UDP port is bound to a loopback address, or every announced address is
// one. Only then may clients offer loopback candidates.
func (c Config) OnLoopback() bool {
	if ip, err := netip.ParseAddr(c.UDPIP); err == nil && ip.IsLoopback() {
		return true
	}
	if len(c.PublicIPs) == 0 {
		return false
	}
	for _, s := range c.PublicIPs {
		if ip, err := netip.ParseAddr(s); err != nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// stunScheme prefixes RELAY_PUBLIC_IPS when the address is discovered.
const stunScheme = "stun:"

// ParsePublicKey decodes a base64 (standard or URL alphabet, padded or not)
// raw Ed25519 public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	var b []byte
	var err error
	if strings.ContainsAny(s, "-_") {
		b, err = base64.RawURLEncoding.DecodeString(s)
	} else {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("not base64")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("want %d bytes, got %d", ed25519.PublicKeySize, len(b))
	}
	return ed25519.PublicKey(b), nil
}

// Validate checks the configuration as a whole.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("RELAY_HTTP_ADDR %q: %w", c.HTTPAddr, err))
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		errs = append(errs, fmt.Errorf("RELAY_UDP_PORT %d: out of range", c.UDPPort))
	}
	if c.TCPPort < 0 || c.TCPPort > 65535 {
		errs = append(errs, fmt.Errorf("RELAY_TCP_PORT %d: out of range", c.TCPPort))
	}
	if c.PrivateAddr != "" && c.PrivateAddr != "auto" {
		if _, _, err := net.SplitHostPort(c.PrivateAddr); err != nil {
			errs = append(errs, fmt.Errorf("RELAY_PRIVATE_ADDR %q: want host:port or auto", c.PrivateAddr))
		}
	}
	if c.UDPIP != "" {
		if _, err := netip.ParseAddr(c.UDPIP); err != nil {
			errs = append(errs, fmt.Errorf("RELAY_UDP_IP %q: not an IP address", c.UDPIP))
		}
	}
	for _, ip := range c.PublicIPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			errs = append(errs, fmt.Errorf("RELAY_PUBLIC_IPS: %q is not an IP address", ip))
		}
	}
	if c.PublicIPSTUN != "" {
		if len(c.PublicIPs) > 0 {
			errs = append(errs, errors.New("RELAY_PUBLIC_IPS: a stun: server cannot be combined with addresses"))
		}
		host, port, err := net.SplitHostPort(c.PublicIPSTUN)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("RELAY_PUBLIC_IPS: stun:%s: want stun:<host:port>", c.PublicIPSTUN))
		}
	}
	if len(c.TicketPublicKey) != ed25519.PublicKeySize {
		errs = append(errs, errors.New("RELAY_TICKET_PUBLIC_KEY is required"))
	}
	if c.EventsURL != "" {
		u, err := url.Parse(c.EventsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("RELAY_EVENTS_URL %q: not an http(s) URL", c.EventsURL))
		}
		if c.EventsSecret == "" {
			errs = append(errs, errors.New("RELAY_EVENTS_SECRET is required with RELAY_EVENTS_URL"))
		}
	}
	u, err := url.Parse(c.SignalURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		errs = append(errs, fmt.Errorf("RELAY_SIGNAL_URL %q: not a ws(s) URL", c.SignalURL))
	}
	switch c.Registry {
	case "dynamodb":
		if c.Table == "" {
			errs = append(errs, errors.New("GB_TABLE is required with the dynamodb registry"))
		}
		if c.TaskID == "" {
			errs = append(errs, errors.New("RELAY_TASK_ID is required with the dynamodb registry"))
		}
	case "none":
	default:
		errs = append(errs, fmt.Errorf("RELAY_REGISTRY %q: want dynamodb or none", c.Registry))
	}
	if c.RevocationInterval != 0 && (c.RevocationInterval < 100*time.Millisecond || c.RevocationInterval > 10*time.Minute) {
		errs = append(errs, fmt.Errorf("RELAY_REVOCATION_INTERVAL %s: want 0 (off) or [100ms, 10m]", c.RevocationInterval))
	}
	if c.DrainTimeout <= 0 || c.DrainTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("RELAY_DRAIN_TIMEOUT %s: want (0, 10m]", c.DrainTimeout))
	}
	if c.MaxPendingPerAddr < 1 || c.MaxPendingPerAddr > 10000 {
		errs = append(errs, fmt.Errorf("RELAY_MAX_PENDING_PER_ADDR %d: want [1, 10000]", c.MaxPendingPerAddr))
	}
	if len(c.AllowedOrigins) == 0 {
		errs = append(errs, errors.New("RELAY_ALLOWED_ORIGINS is empty"))
	}
	if c.StatsAddr != "" {
		if _, _, err := net.SplitHostPort(c.StatsAddr); err != nil {
			errs = append(errs, fmt.Errorf("RELAY_STATS_ADDR %q: %w", c.StatsAddr, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}
