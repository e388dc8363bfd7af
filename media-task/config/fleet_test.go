package config

import (
	"errors"
	"testing"
)

// TestFleetSettings reads and validates RELAY_PRIVATE_ADDR and
// RELAY_TCP_PORT.
func TestFleetSettings(t *testing.T) {
	for _, tc := range []struct {
		name, private, tcp string
		ok                 bool
		wantPrivate        string
		wantTCP            int
	}{
		{"unset", "", "", true, "", 0},
		{"auto", "auto", "443", true, "auto", 443},
		{"explicit", "10.0.1.7:7880", "3478", true, "10.0.1.7:7880", 3478},
		{"no port", "10.0.1.7", "", false, "", 0},
		{"tcp not a number", "", "https", false, "", 0},
		{"tcp out of range", "", "70000", false, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromEnv(env(map[string]string{"RELAY_TICKET_PUBLIC_KEY": key, "RELAY_TASK_ID": "t",
				"RELAY_PRIVATE_ADDR": tc.private, "RELAY_TCP_PORT": tc.tcp}))
			if !tc.ok {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PrivateAddr != tc.wantPrivate || c.TCPPort != tc.wantTCP {
				t.Fatalf("private %q tcp %d", c.PrivateAddr, c.TCPPort)
			}
		})
	}
}
