package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// TestPendingConnectionsCappedPerAddress: connections that have not joined
// are capped per client address with a 429; a joined connection no longer
// counts, nor one that went away.
func TestPendingConnectionsCappedPerAddress(t *testing.T) {
	h := newHarnessWith(t, func(c *config.Config, _ *Options) { c.MaxPendingPerAddr = 2 })
	ctx := context.Background()
	open := func() (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, h.url, nil)
	}
	var idle []*websocket.Conn
	for range 2 {
		c, _, err := open()
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	waitFor(t, "two pending connections", func() bool { return h.app.signal.Pending() == 2 })
	_, res, err := open()
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third pending connection: %v, %v; want 429", err, res)
	}
	body, _ := io.ReadAll(res.Body)
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if json.Unmarshal(body, &e); e.Error.Code != "too_many_connections" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("429 body %s, Retry-After %q", body, res.Header.Get("Retry-After"))
	}

	// One pending connection joins: it holds a ticket now and frees its place.
	join, _ := json.Marshal(proto.Signal{Type: proto.TypeJoin, Ticket: h.ticket(ticketOpts{kind: toolmatrix.Secondary, sid: "s", pid: "p"})})
	if err := idle[0].Write(ctx, websocket.MessageText, join); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the joined connection to stop counting", func() bool { return h.app.signal.Pending() == 1 })
	c, _, err := open()
	if err != nil {
		t.Fatalf("a connection after one joined: %v", err)
	}
	// One goes away without joining: its place is free again.
	_ = idle[1].CloseNow()
	waitFor(t, "the closed connection to stop counting", func() bool { return h.app.signal.Pending() == 1 })
	if c2, _, err := open(); err != nil {
		t.Fatalf("a connection after one left: %v", err)
	} else {
		_ = c2.CloseNow()
	}
	_ = c.CloseNow()
	_ = idle[0].CloseNow()
}
