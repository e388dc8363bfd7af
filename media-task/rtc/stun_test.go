package rtc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// stunServer answers binding requests on loopback, as a STUN server behind
// a NAT would: with mapped as the XOR-MAPPED-ADDRESS (the request's source
// when mapped is invalid). It ignores the first drop requests and answers
// each request after sending junk first (garbage, then an answer to another
// transaction).
type stunServer struct {
	conn     *net.UDPConn
	mapped   netip.Addr
	drop     int32
	requests atomic.Int32
	wg       sync.WaitGroup
}

func newSTUNServer(t *testing.T, mapped netip.Addr, drop int32) *stunServer {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &stunServer{conn: conn, mapped: mapped, drop: drop}
	s.wg.Go(s.serve)
	t.Cleanup(func() {
		_ = conn.Close()
		s.wg.Wait()
	})
	return s
}

func (s *stunServer) addr() string { return s.conn.LocalAddr().String() }

func (s *stunServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		req := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if req.Decode() != nil || req.Type != stun.BindingRequest {
			continue
		}
		if s.requests.Add(1) <= s.drop {
			continue
		}
		ip := s.mapped
		if !ip.IsValid() {
			ip = from.AddrPort().Addr().Unmap()
		}
		other, _ := stun.Build(stun.TransactionID, stun.BindingSuccess,
			&stun.XORMappedAddress{IP: net.IPv4(192, 0, 2, 1), Port: 1}, stun.Fingerprint)
		res, err := stun.Build(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
			&stun.XORMappedAddress{IP: ip.AsSlice(), Port: from.Port}, stun.Fingerprint)
		if err != nil {
			return
		}
		for _, b := range [][]byte{[]byte("junk"), other.Raw, res.Raw} {
			_, _ = s.conn.WriteToUDP(b, from)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDiscoverPublicIP(t *testing.T) {
	srv := newSTUNServer(t, netip.MustParseAddr("127.0.0.2"), 0)
	ip, err := DiscoverPublicIP(t.Context(), srv.addr(), DiscoverOptions{LocalIP: "127.0.0.1", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if ip != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("discovered %s, want the XOR-MAPPED-ADDRESS 127.0.0.2", ip)
	}
	// Without a local IP the request goes out from any IPv4 address; the
	// server sees loopback and says so.
	real := newSTUNServer(t, netip.Addr{}, 0)
	if ip, err := DiscoverPublicIP(t.Context(), real.addr(), DiscoverOptions{Logger: quiet()}); err != nil || ip != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("discovered %s, %v; want 127.0.0.1", ip, err)
	}
}

func TestDiscoverPublicIPRetries(t *testing.T) {
	srv := newSTUNServer(t, netip.MustParseAddr("127.0.0.3"), 2)
	ip, err := DiscoverPublicIP(t.Context(), srv.addr(), DiscoverOptions{
		LocalIP: "127.0.0.1", Attempts: 5, Timeout: 100 * time.Millisecond, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if ip != netip.MustParseAddr("127.0.0.3") || srv.requests.Load() < 3 {
		t.Fatalf("discovered %s after %d requests", ip, srv.requests.Load())
	}
}

func TestDiscoverPublicIPNoAnswer(t *testing.T) {
	// A socket that never answers.
	silent, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_, err = DiscoverPublicIP(t.Context(), silent.LocalAddr().String(), DiscoverOptions{
		LocalIP: "127.0.0.1", Attempts: 3, Timeout: 50 * time.Millisecond, Logger: quiet(),
	})
	if !errors.Is(err, ErrNoSTUNAnswer) {
		t.Fatalf("err %v, want ErrNoSTUNAnswer", err)
	}
	t.Log(err)

	// An IPv6 answer to an IPv4 question is not used.
	v6 := newSTUNServer(t, netip.MustParseAddr("2001:db8::1"), 0)
	if _, err := DiscoverPublicIP(t.Context(), v6.addr(), DiscoverOptions{
		LocalIP: "127.0.0.1", Attempts: 2, Timeout: 50 * time.Millisecond, Logger: quiet(),
	}); !errors.Is(err, ErrNoSTUNAnswer) {
		t.Fatalf("wrong family: err %v", err)
	}

	if _, err := DiscoverPublicIP(t.Context(), "no-port", DiscoverOptions{Logger: quiet()}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad server: err %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := DiscoverPublicIP(ctx, silent.LocalAddr().String(), DiscoverOptions{LocalIP: "127.0.0.1", Logger: quiet()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err %v", err)
	}
}
