// Package relayctl tells a relay task of revocations at once: end a session,
// remove a participant, switch a participant's tools. Each call carries a
// short-lived control token the relay verifies with the API's public key.
package relayctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// TokenSource mints control tokens, each bound to one request's method,
// escaped path and body.
type TokenSource interface {
	Control(method, path string, body []byte) (string, error)
}

// Client calls relays' control endpoints.
type Client struct {
	http   *http.Client
	tokens TokenSource
}

// New returns a client; calls time out after a few seconds so a dead relay
// never holds an API request long.
func New(tokens TokenSource) *Client {
	return &Client{http: &http.Client{Timeout: 3 * time.Second}, tokens: tokens}
}

// controlURL turns a relay's signaling URL (ws[s]://host/...) into the URL of
// a control path on the same host.
func controlURL(signalURL, path string) (string, error) {
	u, err := url.Parse(signalURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("relayctl: bad relay URL %q", signalURL)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("relayctl: bad relay URL scheme %q", u.Scheme)
	}
	u.Path, u.RawQuery = path, ""
	return u.String(), nil
}

func (c *Client) call(ctx context.Context, signalURL, path string, body any) error {
	target, err := controlURL(signalURL, path)
	if err != nil {
		return err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	boundPath := u.EscapedPath()
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
			}
		}
		// A fresh token per attempt: the relay accepts each token once.
		tok, err := c.tokens.Control(http.MethodPost, boundPath, b)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := c.http.Do(req)
		if err != nil {
			last = err
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		res.Body.Close()
		switch {
		case res.StatusCode < 300:
			return nil
		case res.StatusCode >= 500:
			last = fmt.Errorf("relay answered %d: %s", res.StatusCode, strings.TrimSpace(string(msg)))
			continue
		default:
			return fmt.Errorf("relay refused %s: %d %s", path, res.StatusCode, strings.TrimSpace(string(msg)))
		}
	}
	return fmt.Errorf("relay unreachable at %s: %w", target, last)
}

// End ends a session on its relay.
func (c *Client) End(ctx context.Context, signalURL, sessionID, reason string) error {
	return c.call(ctx, signalURL, "/control/sessions/"+url.PathEscape(sessionID)+"/end", map[string]string{"reason": reason})
}

// Remove disconnects and bans one participant; message, when set, is the
// primary's words the removed participant reads.
func (c *Client) Remove(ctx context.Context, signalURL, sessionID, participantID, reason, message string) error {
	body := map[string]string{"reason": reason}
	if message != "" {
		body["message"] = message
	}
	return c.call(ctx, signalURL, "/control/sessions/"+url.PathEscape(sessionID)+"/participants/"+
		url.PathEscape(participantID)+"/remove", body)
}

// SetTools sets the tools one participant may use now.
func (c *Client) SetTools(ctx context.Context, signalURL, sessionID, participantID string, tools []toolmatrix.Tool) error {
	return c.call(ctx, signalURL, "/control/sessions/"+url.PathEscape(sessionID)+"/participants/"+
		url.PathEscape(participantID)+"/tools", map[string]any{"tools": tools})
}
