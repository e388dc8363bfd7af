package config

import (
	"slices"
	"testing"
)

func TestParseRelayOrigins(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		bad  bool
	}{
		{"empty", "", nil, false},
		{"local signal URL", "ws://localhost:7880/signal", []string{"ws://localhost:7880"}, false},
		{"two, comma and space", "wss://relay-a.example.com, wss://relay-b.example.com:8443", []string{"wss://relay-a.example.com", "wss://relay-b.example.com:8443"}, false},
		{"wildcard", "wss://*.relay.example.com", []string{"wss://*.relay.example.com"}, false},
		{"IPv4", "ws://127.0.0.1:7880", []string{"ws://127.0.0.1:7880"}, false},
		{"upper case host", "WSS://Relay.Example.com", []string{"wss://relay.example.com"}, false},
		{"http scheme", "https://relay.example.com", nil, true},
		{"no scheme", "relay.example.com", nil, true},
		{"bare wildcard", "wss://*", nil, true},
		{"semicolon injects a directive", "wss://relay.example.com;script-src", nil, true},
		{"quote", "wss://relay.example.com'unsafe-inline'", nil, true},
		{"query", "wss://relay.example.com/signal?x=1", nil, true},
		{"user info", "wss://user@relay.example.com", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRelayOrigins(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseRelayOrigins(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseRelayOrigins(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}
