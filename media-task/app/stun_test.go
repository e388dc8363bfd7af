package app

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/stun/v4"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// natSTUN is a STUN server on loopback that answers binding requests as if
// the relay sat behind a 1:1 NAT whose public address is mapped.
func natSTUN(t *testing.T, mapped netip.Addr) string {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			req := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if req.Decode() != nil || req.Type != stun.BindingRequest {
				continue
			}
			res, err := stun.Build(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
				&stun.XORMappedAddress{IP: mapped.AsSlice(), Port: from.Port}, stun.Fingerprint)
			if err == nil {
				_, _ = conn.WriteToUDP(res.Raw, from)
			}
		}
	})
	t.Cleanup(func() {
		_ = conn.Close()
		wg.Wait()
	})
	return conn.LocalAddr().String()
}

// TestPublicIPFromSTUN checks RELAY_PUBLIC_IPS=stun:<host:port>: the
// relay's host candidates carry the address the STUN server saw.
func TestPublicIPFromSTUN(t *testing.T) {
	server := natSTUN(t, netip.MustParseAddr("127.0.0.2"))
	h := newHarnessWith(t, func(c *config.Config, _ *Options) { c.PublicIPSTUN = server })
	if got := h.app.PublicIPs(); !slices.Equal(got, []string{"127.0.0.2"}) {
		t.Fatalf("public IPs %v, want the discovered 127.0.0.2", got)
	}

	// The relay's trickled candidates announce the discovered address.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	join, _ := json.Marshal(proto.Signal{Type: proto.TypeJoin, Ticket: h.ticket(ticketOpts{kind: toolmatrix.Primary, sid: "stun", pid: "p"})})
	if err := ws.Write(ctx, websocket.MessageText, join); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("no candidate from the relay: %v", err)
		}
		var s proto.Signal
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		if s.Type == proto.TypeClose {
			t.Fatalf("closed: %s", data)
		}
		if s.Type != proto.TypeCandidate || s.Candidate == nil {
			continue
		}
		if f := strings.Fields(s.Candidate.Candidate); len(f) < 5 || f[4] != "127.0.0.2" {
			t.Fatalf("candidate %q, want the discovered address 127.0.0.2", s.Candidate.Candidate)
		}
		break
	}
	_ = ws.Close(websocket.StatusNormalClosure, "")
}

// TestPublicIPFromSTUNFails checks that the relay does not start when the
// STUN server never answers.
func TestPublicIPFromSTUNFails(t *testing.T) {
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.UDPIP, cfg.UDPPort, cfg.Registry = "127.0.0.1:0", "127.0.0.1", 0, "none"
	cfg.TicketPublicKey = make([]byte, 32)
	cfg.PublicIPSTUN = silent.LocalAddr().String()
	start := time.Now()
	a, err := New(cfg, Options{Logger: quietLogger(), Discovery: rtc.DiscoverOptions{Attempts: 3, Timeout: 50 * time.Millisecond}})
	if err == nil {
		a.Close(context.Background())
		t.Fatal("the relay started without an answer from its STUN server")
	}
	if !errors.Is(err, rtc.ErrNoSTUNAnswer) || !strings.Contains(err.Error(), "RELAY_PUBLIC_IPS=stun:"+cfg.PublicIPSTUN) {
		t.Fatalf("error %q does not say what failed", err)
	}
	t.Logf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
}
