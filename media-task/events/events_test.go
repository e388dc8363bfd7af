package events

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDeliverSignedWithRetry(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(SignatureHeader) != Sign("k", body) {
			t.Errorf("bad signature")
		}
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev Event
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()
	p := New(Config{URL: srv.URL, Secret: "k", MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: quiet()})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.Joined("s", "p", at)
	p.Left("s", "p", at)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Type != TypeJoined || got[1].Type != TypeLeft || !got[0].At.Equal(at) || got[0].SessionID != "s" {
		t.Fatalf("got %+v", got)
	}
	if sent, dropped, failed := p.Stats(); sent != 2 || dropped != 0 || failed != 0 {
		t.Fatalf("stats %d %d %d", sent, dropped, failed)
	}
}

func TestSignature(t *testing.T) {
	// hex(HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"))
	want := "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := Sign("key", []byte("The quick brown fox jumps over the lazy dog")); got != want {
		t.Fatalf("got %s", got)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	p := New(Config{URL: srv.URL, Secret: "k", MinBackoff: time.Millisecond, Logger: quiet()})
	p.Joined("s", "p", time.Now())
	p.Close(context.Background())
	if calls.Load() != 1 {
		t.Fatalf("%d calls, want 1", calls.Load())
	}
	if _, _, failed := p.Stats(); failed != 1 {
		t.Fatalf("failed %d", failed)
	}
}

func TestNeverBlocks(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	p := New(Config{URL: srv.URL, Secret: "k", QueueSize: 4, Logger: quiet()})
	done := make(chan struct{})
	go func() {
		for range 100 {
			p.Joined("s", "p", time.Now())
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("emitting blocked")
	}
	if _, dropped, _ := p.Stats(); dropped == 0 {
		t.Fatal("nothing dropped with a full queue")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	p.Close(ctx)
}

func TestToolEventCarriesToolAndText(t *testing.T) {
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(SignatureHeader) != Sign("k", body) {
			t.Errorf("bad signature")
		}
		var ev Event
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()
	p := New(Config{URL: srv.URL, Secret: "k", Logger: quiet()})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.Tool("s", "p", toolmatrix.Chat, "Hello", at)
	p.Tool("s", "p", toolmatrix.Chat, "Hello", at)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Type != TypeTool || got[0].Tool != "chat" || got[0].Text != "Hello" || !got[0].At.Equal(at) ||
		got[0].SentAt.IsZero() || len(got[0].ID) != 32 {
		t.Fatalf("got %+v", got)
	}
	// Two lines alike are two lines: each has its own id.
	if got[0].ID == got[1].ID {
		t.Fatal("two tool events share an id")
	}
}
