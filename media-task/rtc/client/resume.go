package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/coder/websocket"

	"github.com/guestbridge/guestbridge/media-task/proto"
)

// ErrNoResume is returned by Resume before the relay handed out a token.
var ErrNoResume = errors.New("no resume token")

// socket is the signaling connection of the moment.
func (c *Client) socket() *websocket.Conn {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws
}

// ResumeToken is the seat's current resume token ("" before joined).
func (c *Client) ResumeToken() string {
	if t := c.resume.Load(); t != nil {
		return *t
	}
	return ""
}

// DropSignal drops the signaling connection without a close message, as a
// network that went away would, and keeps the peer connection.
func (c *Client) DropSignal() {
	c.writeMu.Lock()
	c.dropped.Store(true)
	ws := c.ws
	c.writeMu.Unlock()
	_ = ws.CloseNow()
}

// Resume opens a new signaling connection to url and presents token (the
// client's own when empty). The relay's answer, resumed or close, arrives
// on Signals.
func (c *Client) Resume(ctx context.Context, url, token string) error {
	if token == "" {
		token = c.ResumeToken()
	}
	if token == "" {
		return ErrNoResume
	}
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return fmt.Errorf("dial %s: %w", url, err)
	}
	ws.SetReadLimit(1 << 20)
	c.writeMu.Lock()
	c.ws = ws
	c.dropped.Store(false)
	c.writeMu.Unlock()
	if err := c.send(proto.Signal{Type: proto.TypeResume, Resume: token}); err != nil {
		_ = ws.CloseNow()
		return err
	}
	c.wg.Add(1)
	go c.readLoop(ws)
	return nil
}

// RequestRestart asks the relay for an ICE restart over the live socket.
func (c *Client) RequestRestart() error { return c.send(proto.Signal{Type: proto.TypeRestart}) }

// TWCCFeedback is how many transport-cc feedback packets the client's
// senders received.
func (c *Client) TWCCFeedback() int64 { return c.twccFeedback.Load() }
