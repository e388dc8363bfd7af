// Package events posts the relay's participant events (joined, left) and
// the session's record (chat lines and tool messages) to the API: a bounded queue drained by one goroutine that signs each body with
// HMAC-SHA256 and retries failed deliveries with backoff. Emitting never
// blocks: when the queue is full the event is dropped and counted.
package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// SignatureHeader carries hex(HMAC-SHA256(secret, body)).
const SignatureHeader = "X-Relay-Signature"

// Event types.
const (
	TypeJoined = "joined"
	TypeLeft   = "left"
	// TypeTool is a chat line or tool message for the session's record.
	TypeTool = "tool"
	// TypeQuality is a participant's connection summary, sent once as
	// they leave, before their left event.
	TypeQuality = "quality"
	// TypeRecording is a recording started or stopped; ParticipantID is
	// the primary who started it.
	TypeRecording = "recording"
)

// Recording is the recording field of a recording event. Key, Bytes and
// DurationMs describe the object in S3 once stopped.
type Recording struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Key        string `json:"key"`
	Bytes      int64  `json:"bytes"`
	DurationMs int64  `json:"durationMs"`
	Reason     string `json:"reason,omitempty"`
}

// Reasons a recording stopped.
const (
	ReasonStopped         = "stopped"
	ReasonSessionEnded    = "session_ended"
	ReasonCustomerRemoved = "customer_removed"
	ReasonDrain           = "drain"
	ReasonError           = "error"
)

// Event is one participant event as posted. ID and SentAt sit inside the
// signed body so the API can refuse a body sent again: ID is random per
// event and kept across retries, SentAt is set at each attempt.
type Event struct {
	Type          string    `json:"type"`
	SessionID     string    `json:"sessionId"`
	ParticipantID string    `json:"participantId"`
	At            time.Time `json:"at"`
	// Tool and Text are set on tool events: which tool, and the chat line
	// or the message's plain fields.
	Tool string `json:"tool,omitempty"`
	Text string `json:"text,omitempty"`
	// Quality is set on quality events.
	Quality *proto.QualitySummary `json:"quality,omitempty"`
	// Recording is set on recording events.
	Recording *Recording `json:"recording,omitempty"`
	ID        string     `json:"id"`
	SentAt    time.Time  `json:"sentAt"`
}

// newID returns 128 random bits in hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b) // never fails on supported platforms (crypto/rand)
	return hex.EncodeToString(b)
}

// Config configures a Poster.
type Config struct {
	URL    string
	Secret string
	// Client posts the events; nil means a client with a 5 s timeout.
	Client *http.Client
	// QueueSize bounds the queue; zero means 4096.
	QueueSize int
	// MaxAttempts bounds deliveries of one event; zero means 8.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the retry delays; zero means 200 ms
	// and 30 s.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
}

// Poster delivers events.
type Poster struct {
	cfg     Config
	log     *slog.Logger
	queue   chan Event
	closing chan struct{}
	abort   chan struct{}
	done    chan struct{}
	once    sync.Once

	sent, dropped, failed atomic.Uint64
}

// errRetry marks a delivery worth retrying.
var errRetry = errors.New("retry")

// New starts a Poster.
func New(cfg Config) *Poster {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Poster{
		cfg:     cfg,
		log:     cfg.Logger,
		queue:   make(chan Event, cfg.QueueSize),
		closing: make(chan struct{}),
		abort:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	go p.run()
	return p
}

// Joined queues a joined event.
func (p *Poster) Joined(sid, pid string, at time.Time) { p.emit(TypeJoined, sid, pid, at) }

// Left queues a left event.
func (p *Poster) Left(sid, pid string, at time.Time) { p.emit(TypeLeft, sid, pid, at) }

// Tool queues a chat line or tool message for the session's record.
func (p *Poster) Tool(sid, pid string, tool toolmatrix.Tool, text string, at time.Time) {
	p.emitEvent(Event{Type: TypeTool, SessionID: sid, ParticipantID: pid, At: at.UTC(), Tool: string(tool), Text: text, ID: newID()})
}

// Quality queues a participant's connection summary.
func (p *Poster) Quality(sid, pid string, q proto.QualitySummary, at time.Time) {
	p.emitEvent(Event{Type: TypeQuality, SessionID: sid, ParticipantID: pid, At: at.UTC(), Quality: &q, ID: newID()})
}

// Recording queues a recording's start or stop.
func (p *Poster) Recording(sid, pid string, r Recording, at time.Time) {
	p.emitEvent(Event{Type: TypeRecording, SessionID: sid, ParticipantID: pid, At: at.UTC(), Recording: &r, ID: newID()})
}

func (p *Poster) emit(typ, sid, pid string, at time.Time) {
	p.emitEvent(Event{Type: typ, SessionID: sid, ParticipantID: pid, At: at.UTC(), ID: newID()})
}

func (p *Poster) emitEvent(ev Event) {
	typ, sid, pid := ev.Type, ev.SessionID, ev.ParticipantID
	select {
	case <-p.closing:
		p.dropped.Add(1)
		return
	default:
	}
	select {
	case p.queue <- ev:
	default:
		p.dropped.Add(1)
		p.log.Warn("event dropped: queue full", "type", typ, "session", sid, "participant", pid)
	}
}

// Stats returns delivered, dropped and failed event counts.
func (p *Poster) Stats() (sent, dropped, failed uint64) {
	return p.sent.Load(), p.dropped.Load(), p.failed.Load()
}

// Close stops taking events and delivers the queued ones until ctx ends,
// then abandons the rest.
func (p *Poster) Close(ctx context.Context) {
	p.once.Do(func() { close(p.closing) })
	select {
	case <-p.done:
	case <-ctx.Done():
		close(p.abort)
		<-p.done
	}
}

func (p *Poster) run() {
	defer close(p.done)
	for {
		select {
		case ev := <-p.queue:
			p.deliver(ev)
		case <-p.closing:
			for {
				select {
				case ev := <-p.queue:
					p.deliver(ev)
				default:
					return
				}
			}
		}
	}
}

func (p *Poster) deliver(ev Event) {
	backoff := p.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		// Signed afresh each attempt: the API takes an event only within a
		// minute of its sentAt, and retries run longer than that.
		ev.SentAt = time.Now().UTC()
		body, err := json.Marshal(ev)
		if err != nil {
			p.failed.Add(1)
			return
		}
		err = p.post(body)
		if err == nil {
			p.sent.Add(1)
			return
		}
		if !errors.Is(err, errRetry) || attempt >= p.cfg.MaxAttempts {
			p.failed.Add(1)
			p.log.Warn("event not delivered", "type", ev.Type, "session", ev.SessionID, "participant", ev.ParticipantID, "attempts", attempt, "err", err)
			return
		}
		delay := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-p.abort:
			t.Stop()
			p.failed.Add(1)
			return
		}
		backoff = min(backoff*2, p.cfg.MaxBackoff)
	}
}

// Sign returns the signature header value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (p *Poster) post(body []byte) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(p.cfg.Secret, body))
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", errRetry, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusConflict:
		// The API already recorded this id: an earlier attempt arrived and
		// only its answer was lost.
		return nil
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		return fmt.Errorf("%w: status %d", errRetry, resp.StatusCode)
	default:
		return fmt.Errorf("status %d", resp.StatusCode)
	}
}
