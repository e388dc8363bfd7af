package rtc

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
)

type recorder struct {
	mu     sync.Mutex
	offers []string
	cands  []proto.Candidate
	got    chan struct{}
	failed chan struct{}
}

func (r *recorder) Offer(sdp string) {
	r.mu.Lock()
	r.offers = append(r.offers, sdp)
	r.mu.Unlock()
}

func (r *recorder) Candidate(c proto.Candidate) {
	r.mu.Lock()
	r.cands = append(r.cands, c)
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

func (r *recorder) Track(media.Track)      {}
func (r *recorder) TrackEnded(media.Track) {}
func (r *recorder) Data([]byte)            {}
func (r *recorder) Failed(error) {
	select {
	case r.failed <- struct{}{}:
	default:
	}
}

// TestPublicIPsAnnounced checks that the host candidate carries the
// configured public address and the one shared port, and that the offer
// prefers AES-GCM-capable DTLS and carries no header extension.
func TestPublicIPsAnnounced(t *testing.T) {
	e, err := NewEngine(Config{UDPIP: "127.0.0.1", PublicIPs: []string{"203.0.113.9"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	port := strings.Split(e.LocalAddrs()[0].String(), ":")[1]
	rec := &recorder{got: make(chan struct{}, 1)}
	p, err := e.NewPeer(media.PeerConfig{ID: "s/p", PublishVideo: true, PublishAudio: true}, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rec.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no candidate")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.offers) != 1 {
		t.Fatalf("%d offers", len(rec.offers))
	}
	c := rec.cands[0].Candidate
	if !strings.Contains(c, " 203.0.113.9 "+port+" typ host") || strings.Contains(c, "127.0.0.1") {
		t.Fatalf("candidate %q does not announce the public address on port %s", c, port)
	}
	offer := rec.offers[0]
	for _, want := range []string{"m=video", "m=audio", "m=application", "a=recvonly", "VP8/90000", "opus/48000", "a=max-message-size:16384"} {
		if !strings.Contains(offer, want) {
			t.Errorf("offer lacks %q", want)
		}
	}
	// The only header extension is transport-wide-cc, on the publisher's
	// video (twcc.go).
	for _, l := range strings.Split(offer, "\n") {
		if strings.HasPrefix(l, "a=extmap:") && !strings.Contains(l, "transport-wide-cc") {
			t.Errorf("offer negotiates header extension %q", strings.TrimSpace(l))
		}
	}
	if err := p.SetAnswer("v=0"); err == nil {
		t.Error("garbage answer accepted")
	}
}

func TestEngineConfig(t *testing.T) {
	if _, err := NewEngine(Config{UDPIP: "not-an-ip"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad IP: %v", err)
	}
	if _, err := NewEngine(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no port and no IP: %v", err)
	}
}

// TestConnectTimeout checks that a peer whose client never answers fails.
func TestConnectTimeout(t *testing.T) {
	e, err := NewEngine(Config{UDPIP: "127.0.0.1", ConnectTimeout: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rec := &recorder{got: make(chan struct{}, 1), failed: make(chan struct{}, 1)}
	p, err := e.NewPeer(media.PeerConfig{ID: "s/p"}, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rec.failed:
	case <-time.After(20 * time.Second):
		t.Fatal("peer never failed")
	}
}
