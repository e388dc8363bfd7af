// Package ticket verifies the API's Ed25519 JWTs: join tickets (single use,
// remembered until they expire) and the bearer tokens of control calls.
package ticket

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// The contract's token constants.
const (
	// Issuer is the iss of every token.
	Issuer = "guestbridge-api"
	// JoinAudience is the aud of a join ticket.
	JoinAudience = "guestbridge-relay"
	// ControlAudience is the aud of a control call's bearer token.
	ControlAudience = "guestbridge-relay-control"
	// MaxLifetime is the longest exp - iat a token may have.
	MaxLifetime = 60 * time.Second
	// Leeway tolerates clock skew between the API and the relay.
	Leeway = 5 * time.Second
)

// Errors returned by the Verifier.
var (
	// ErrInvalid is returned for a token that is malformed, badly signed, or
	// has wrong or missing claims.
	ErrInvalid = errors.New("ticket invalid")
	// ErrExpired is returned for a token past its exp.
	ErrExpired = errors.New("ticket expired")
	// ErrUsed is returned for a join ticket or control token whose jti was
	// already presented.
	ErrUsed = errors.New("ticket already used")
	// ErrBusy is returned for a control token while the memory of used
	// control tokens is full; the API retries.
	ErrBusy = errors.New("too many control tokens in flight")
)

// MaxControlTokens bounds how many used control tokens are remembered. A
// control token lives at most MaxLifetime, so this is far above any honest
// rate; beyond it tokens are refused rather than forgotten early, since a
// forgotten token could be replayed.
const MaxControlTokens = 50000

// Ticket is a verified join ticket.
type Ticket struct {
	// ParticipantID is the sub claim.
	ParticipantID string
	// SessionID is the sid claim.
	SessionID string
	// Kind is the participant's kind.
	Kind toolmatrix.Kind
	// Name is the participant's display name.
	Name string
	// ID is the jti claim.
	ID string
	// IssuedAt and ExpiresAt are iat and exp.
	IssuedAt, ExpiresAt time.Time
	// Until is the end of the participant's guest period (the optional
	// until claim); zero if absent.
	Until time.Time
	// Tools are the participant's effective tools when the ticket was
	// minted (the tools claim, required).
	Tools []toolmatrix.Tool
	// Seat names the device a reusable link was redeemed on; empty for
	// participants who sign in.
	Seat string
}

type joinClaims struct {
	SessionID string             `json:"sid"`
	Kind      toolmatrix.Kind    `json:"kind"`
	Name      string             `json:"name"`
	Until     *jwt.NumericDate   `json:"until,omitempty"`
	Tools     *[]toolmatrix.Tool `json:"tools"`
	Seat      string             `json:"seat,omitempty"`
	jwt.RegisteredClaims
}

type controlClaims struct {
	Method   string `json:"htm"`
	Path     string `json:"htu"`
	BodyHash string `json:"bh"`
	jwt.RegisteredClaims
}

// Verifier checks tokens against the API's public key.
type Verifier struct {
	key     ed25519.PublicKey
	now     func() time.Time
	join    *jwt.Parser
	control *jwt.Parser
	seen    *replayCache
	// controls remembers used control tokens apart from join tickets, so a
	// flood of one kind cannot push the other out.
	controls *replayCache
}

// NewVerifier returns a Verifier for key. now may be nil for time.Now.
func NewVerifier(key ed25519.PublicKey, now func() time.Time) (*Verifier, error) {
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("ticket key: %w", ErrInvalid)
	}
	if now == nil {
		now = time.Now
	}
	opts := func(aud string) []jwt.ParserOption {
		return []jwt.ParserOption{
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithAudience(aud),
			jwt.WithIssuer(Issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(Leeway),
			jwt.WithTimeFunc(now),
		}
	}
	return &Verifier{
		key:      key,
		now:      now,
		join:     jwt.NewParser(opts(JoinAudience)...),
		control:  jwt.NewParser(opts(ControlAudience)...),
		seen:     &replayCache{entries: make(map[string]time.Time)},
		controls: &replayCache{entries: make(map[string]time.Time), max: MaxControlTokens},
	}, nil
}

func (v *Verifier) keyFunc(*jwt.Token) (any, error) { return v.key, nil }

func mapErr(err error) error {
	if errors.Is(err, jwt.ErrTokenExpired) {
		return ErrExpired
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

func checkLifetime(c jwt.RegisteredClaims) error {
	if c.IssuedAt == nil || c.ExpiresAt == nil {
		return fmt.Errorf("%w: iat and exp are required", ErrInvalid)
	}
	if c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxLifetime {
		return fmt.Errorf("%w: exp more than %s after iat", ErrInvalid, MaxLifetime)
	}
	return nil
}

// Parse verifies a join ticket's signature and claims without consuming it.
func (v *Verifier) Parse(token string) (Ticket, error) {
	var c joinClaims
	if _, err := v.join.ParseWithClaims(token, &c, v.keyFunc); err != nil {
		return Ticket{}, mapErr(err)
	}
	if err := checkLifetime(c.RegisteredClaims); err != nil {
		return Ticket{}, err
	}
	switch {
	case c.Subject == "":
		return Ticket{}, fmt.Errorf("%w: sub is required", ErrInvalid)
	case c.SessionID == "":
		return Ticket{}, fmt.Errorf("%w: sid is required", ErrInvalid)
	case c.ID == "":
		return Ticket{}, fmt.Errorf("%w: jti is required", ErrInvalid)
	case !c.Kind.Valid():
		return Ticket{}, fmt.Errorf("%w: unknown kind", ErrInvalid)
	case c.Tools == nil:
		// Without it the relay would fall back to the kind's full set and
		// could give back a tool the primary switched off.
		return Ticket{}, fmt.Errorf("%w: tools is required", ErrInvalid)
	case len(*c.Tools) > len(toolmatrix.AllTools) || len(c.Seat) > 128:
		return Ticket{}, fmt.Errorf("%w: claim too long", ErrInvalid)
	case len(c.Subject) > 128 || len(c.SessionID) > 128 || len(c.ID) > 128 || len(c.Name) > 256:
		return Ticket{}, fmt.Errorf("%w: claim too long", ErrInvalid)
	}
	t := Ticket{
		ParticipantID: c.Subject,
		SessionID:     c.SessionID,
		Kind:          c.Kind,
		Name:          c.Name,
		ID:            c.ID,
		IssuedAt:      c.IssuedAt.Time,
		ExpiresAt:     c.ExpiresAt.Time,
		Tools:         toolmatrix.Restrict(c.Kind, *c.Tools),
		Seat:          c.Seat,
	}
	if c.Until != nil {
		t.Until = c.Until.Time
	}
	return t, nil
}

// Join verifies a join ticket and consumes it: a second presentation of the
// same jti fails with ErrUsed until the ticket has expired (after which it
// fails as expired).
func (v *Verifier) Join(token string) (Ticket, error) {
	t, err := v.Parse(token)
	if err != nil {
		return Ticket{}, err
	}
	if ok, _ := v.seen.add(t.ID, t.ExpiresAt.Add(Leeway), v.now()); !ok {
		return Ticket{}, ErrUsed
	}
	return t, nil
}

// Control verifies the bearer token of a control call made with method to
// path (escaped, without query) carrying body, and consumes it: the token
// must name that method, path and body's SHA-256, and a second presentation
// of its jti fails with ErrUsed.
func (v *Verifier) Control(token, method, path string, body []byte) error {
	var c controlClaims
	if _, err := v.control.ParseWithClaims(token, &c, v.keyFunc); err != nil {
		return mapErr(err)
	}
	if err := checkLifetime(c.RegisteredClaims); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	switch {
	case c.ID == "" || len(c.ID) > 128:
		return fmt.Errorf("%w: jti is required", ErrInvalid)
	case c.Method != method:
		return fmt.Errorf("%w: token is for another method", ErrInvalid)
	case c.Path != path:
		return fmt.Errorf("%w: token is for another path", ErrInvalid)
	case subtle.ConstantTimeCompare([]byte(c.BodyHash), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) != 1:
		return fmt.Errorf("%w: token is for another body", ErrInvalid)
	}
	ok, full := v.controls.add(c.ID, c.ExpiresAt.Add(Leeway), v.now())
	switch {
	case full:
		return ErrBusy
	case !ok:
		return ErrUsed
	}
	return nil
}

// replayCache remembers jtis until their tickets expire.
type replayCache struct {
	mu      sync.Mutex
	entries map[string]time.Time
	order   []string
	// max bounds the entries; zero means unbounded.
	max int
}

// add records id, remembered until forget; ok is false if id is already
// remembered, and full is true (id not recorded) when the cache holds max
// unexpired entries.
func (r *replayCache) add(id string, forget, now time.Time) (ok, full bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune(now)
	if exp, seen := r.entries[id]; seen && now.Before(exp) {
		return false, false
	}
	if r.max > 0 && len(r.entries) >= r.max {
		return false, true
	}
	r.entries[id] = forget
	r.order = append(r.order, id)
	return true, false
}

// prune drops expired entries from the front of the insertion order. Tickets
// live at most a minute, so insertion order is close to expiry order.
func (r *replayCache) prune(now time.Time) {
	i := 0
	for ; i < len(r.order); i++ {
		id := r.order[i]
		exp, ok := r.entries[id]
		if ok && now.Before(exp) {
			break
		}
		delete(r.entries, id)
	}
	if i > 0 {
		r.order = append(r.order[:0], r.order[i:]...)
	}
}

// Len returns how many jtis are remembered.
func (v *Verifier) Len() int {
	v.seen.mu.Lock()
	defer v.seen.mu.Unlock()
	return len(v.seen.entries)
}
