package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// freeTCPPort returns a loopback TCP port that was free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestTCPClientReceivesVideo joins a technician whose network carries no
// UDP at all (its ICE agent gathers TCP candidates only) to a customer
// publishing over UDP: it connects to the relay's ICE-TCP port and
// receives the video from a key frame and the audio.
func TestTCPClientReceivesVideo(t *testing.T) {
	port := freeTCPPort(t)
	h := newHarnessWith(t, func(c *config.Config, _ *Options) { c.TCPPort = port })
	if a := h.app.Engine().TCPAddr(); a == nil || a.(*net.TCPAddr).Port != port {
		t.Fatalf("ICE-TCP listener %v, want port %d", a, port)
	}
	cust := h.join(toolmatrix.Customer, "tcp", "cust", true)
	_ = cust

	tcpOnly, err := client.NewAPIOn(webrtc.NetworkTypeTCP4)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	tech, err := client.Dial(ctx, client.Options{URL: h.url, Ticket: h.ticket(ticketOpts{kind: toolmatrix.Primary, sid: "tcp", pid: "tech"}), API: tcpOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tech.Close() })
	joined(t, "TCP technician", tech)
	receivesMedia(t, "TCP technician", tech)
}

// TestTCPCandidateAnnouncesPublicIP checks the relay's ICE-TCP candidate
// carries the public address (NAT 1:1, as on Fargate) and the TCP port, so
// a client reaches the task's own public IP on it, not through the load
// balancer.
func TestTCPCandidateAnnouncesPublicIP(t *testing.T) {
	port := freeTCPPort(t)
	h := newHarnessWith(t, func(c *config.Config, _ *Options) {
		c.TCPPort = port
		c.PublicIPs = []string{"203.0.113.7"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	join, _ := json.Marshal(map[string]string{"type": "join", "ticket": h.ticket(ticketOpts{kind: toolmatrix.Primary, sid: "pub", pid: "p"})})
	if err := conn.Write(ctx, websocket.MessageText, join); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("203.0.113.7 %d typ host tcptype passive", port)
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("no candidate %q before: %v", want, err)
		}
		if strings.Contains(string(b), want) {
			return
		}
	}
}
