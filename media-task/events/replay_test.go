package events

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestEventIDAndSentAt: every event carries its own 128-bit id, kept across
// retries, and each attempt is signed with a fresh sentAt; a 409 (the API
// already has the id) ends the retries as delivered.
func TestEventIDAndSentAt(t *testing.T) {
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
		defer mu.Unlock()
		got = append(got, ev)
		switch len(got) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer srv.Close()
	p := New(Config{URL: srv.URL, Secret: "k", MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Logger: quiet()})
	p.Joined("s", "p", time.Now())
	p.Left("s", "p", time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d posts, want 3 (a retry, then the next event)", len(got))
	}
	if len(got[0].ID) != 32 || got[0].ID != got[1].ID {
		t.Fatalf("retry ids %q and %q: want one 128-bit hex id kept across retries", got[0].ID, got[1].ID)
	}
	if got[2].ID == got[0].ID || len(got[2].ID) != 32 {
		t.Fatalf("second event id %q, want a new one", got[2].ID)
	}
	if got[0].SentAt.IsZero() || !got[1].SentAt.After(got[0].SentAt) {
		t.Fatalf("sentAt %v then %v: want a fresh time per attempt", got[0].SentAt, got[1].SentAt)
	}
	if sent, _, failed := p.Stats(); sent != 2 || failed != 0 {
		t.Fatalf("sent %d failed %d, want 2 and 0 (409 means already recorded)", sent, failed)
	}
}
