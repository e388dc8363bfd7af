package relayctl

import "testing"

func TestControlURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ws://localhost:7880/signal", "http://localhost:7880/control/x"},
		{"wss://relay.example.com/signal?x=1", "https://relay.example.com/control/x"},
	}
	for _, tc := range tests {
		got, err := controlURL(tc.in, "/control/x")
		if err != nil || got != tc.want {
			t.Errorf("controlURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "ftp://x/y", "relay:7880"} {
		if _, err := controlURL(bad, "/control/x"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
