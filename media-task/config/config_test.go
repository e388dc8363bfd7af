package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

var key = base64.StdEncoding.EncodeToString(make([]byte, ed25519.PublicKeySize))

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"RELAY_TICKET_PUBLIC_KEY": key,
		"RELAY_PUBLIC_IPS":        " 203.0.113.7, 198.51.100.2 ",
		"RELAY_UDP_PORT":          "50000",
		"RELAY_EVENTS_URL":        "https://api.example/relay-events",
		"RELAY_EVENTS_SECRET":     "s",
		"RELAY_TASK_ID":           "task-1",
		"RELAY_SIGNAL_URL":        "wss://relay.example/signal",
		"GB_TABLE":                "gb",
		"RELAY_DRAIN_TIMEOUT":     "45s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":7880" || c.UDPPort != 50000 || len(c.PublicIPs) != 2 || c.PublicIPs[1] != "198.51.100.2" ||
		c.TaskID != "task-1" || c.Table != "gb" || c.DrainTimeout != 45*time.Second || c.Registry != "dynamodb" {
		t.Fatalf("config %+v", c)
	}
}

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_TASK_ID": "t"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.UDPPort != 3478 || c.HTTPAddr != ":7880" || c.Table != "guestbridge" || c.EventsURL != "" ||
		c.RevocationInterval != 5*time.Second || c.PublicIPSTUN != "" {
		t.Fatalf("defaults %+v", c)
	}
}

func TestPublicIPFromSTUN(t *testing.T) {
	for value, want := range map[string]string{
		"stun:stun.l.google.com:19302": "stun.l.google.com:19302",
		" stun:[::1]:3478 ":            "[::1]:3478",
		"stun:127.0.0.1:3478,":         "127.0.0.1:3478",
	} {
		c, err := FromEnv(env(map[string]string{"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_PUBLIC_IPS": value}))
		if err != nil {
			t.Fatalf("%q: %v", value, err)
		}
		if c.PublicIPSTUN != want || len(c.PublicIPs) != 0 {
			t.Fatalf("%q: server %q, addresses %v", value, c.PublicIPSTUN, c.PublicIPs)
		}
	}
}

func TestRevocationInterval(t *testing.T) {
	for value, want := range map[string]time.Duration{"0": 0, "0s": 0, "750ms": 750 * time.Millisecond, "1m": time.Minute} {
		c, err := FromEnv(env(map[string]string{"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_REVOCATION_INTERVAL": value}))
		if err != nil || c.RevocationInterval != want {
			t.Fatalf("%q: %s, %v", value, c.RevocationInterval, err)
		}
	}
}

func TestInvalid(t *testing.T) {
	cases := map[string]map[string]string{
		"no key":                {},
		"short key":             {"RELAY_TICKET_PUBLIC_KEY": "AAAA"},
		"port not a number":     {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_UDP_PORT": "x"},
		"port out of range":     {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_UDP_PORT": "70000"},
		"public ip":             {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_PUBLIC_IPS": "relay.example"},
		"events without secret": {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_EVENTS_URL": "https://x"},
		"events not http":       {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_EVENTS_URL": "ftp://x", "RELAY_EVENTS_SECRET": "s"},
		"signal url":            {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_SIGNAL_URL": "http://x"},
		"registry":              {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_REGISTRY": "redis"},
		"drain":                 {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_DRAIN_TIMEOUT": "-1s"},
		"http addr":             {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_HTTP_ADDR": "7880"},
		"udp ip":                {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_UDP_IP": "localhost"},
		"stun without port":     {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_PUBLIC_IPS": "stun:stun.example"},
		"stun bad port":         {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_PUBLIC_IPS": "stun:stun.example:99999"},
		"stun and addresses":    {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_PUBLIC_IPS": "203.0.113.7,stun:stun.example:3478"},
		"revocation interval":   {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_REVOCATION_INTERVAL": "5"},
		"revocation too short":  {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_REVOCATION_INTERVAL": "1ms"},
		"revocation negative":   {"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_REVOCATION_INTERVAL": "-5s"},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := FromEnv(env(m)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	raw := make([]byte, 32)
	raw[0], raw[31] = 0xfb, 0xff
	for _, s := range []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
	} {
		k, err := ParsePublicKey(s)
		if err != nil || k[0] != 0xfb || k[31] != 0xff {
			t.Fatalf("%q: %v", s, err)
		}
	}
}

func TestOnLoopback(t *testing.T) {
	cases := []struct {
		udpIP  string
		public []string
		want   bool
	}{
		{"127.0.0.1", nil, true},
		{"::1", nil, true},
		{"", []string{"127.0.0.1"}, true},
		{"", []string{"127.0.0.1", "::1"}, true},
		{"", nil, false},
		{"10.0.0.4", nil, false},
		{"", []string{"127.0.0.1", "203.0.113.9"}, false},
	}
	for _, tc := range cases {
		c := Defaults()
		c.UDPIP, c.PublicIPs = tc.udpIP, tc.public
		if got := c.OnLoopback(); got != tc.want {
			t.Errorf("UDPIP %q, public %v: OnLoopback %v, want %v", tc.udpIP, tc.public, got, tc.want)
		}
	}
}

func TestMaxPendingPerAddr(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			switch k {
			case "RELAY_TICKET_PUBLIC_KEY":
				return "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
			case "RELAY_MAX_PENDING_PER_ADDR":
				return v
			}
			return ""
		}
	}
	if c, err := FromEnv(env("")); err != nil || c.MaxPendingPerAddr != 8 {
		t.Fatalf("default: %d, %v", c.MaxPendingPerAddr, err)
	}
	if c, err := FromEnv(env("3")); err != nil || c.MaxPendingPerAddr != 3 {
		t.Fatalf("3: %d, %v", c.MaxPendingPerAddr, err)
	}
	for _, bad := range []string{"0", "-1", "x"} {
		if _, err := FromEnv(env(bad)); err == nil {
			t.Errorf("RELAY_MAX_PENDING_PER_ADDR=%s accepted", bad)
		}
	}
}

func TestRecordingsBucket(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"off by default", nil, ""},
		{"the attachments bucket", map[string]string{"GB_ATTACHMENTS_BUCKET": "files"}, "files"},
		{"a bucket of its own wins", map[string]string{"GB_ATTACHMENTS_BUCKET": "files", "RELAY_RECORDINGS_BUCKET": "recs"}, "recs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{"RELAY_TICKET_PUBLIC_KEY": key}
			for k, v := range tc.env {
				e[k] = v
			}
			c, err := FromEnv(env(e))
			if err != nil {
				t.Fatal(err)
			}
			if c.RecordingsBucket != tc.want {
				t.Fatalf("bucket %q, want %q", c.RecordingsBucket, tc.want)
			}
		})
	}
}
