package session

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Token claims the relay checks (docs/architecture.md, "Relay contract").
const (
	ticketIssuer    = "guestbridge-api"
	joinAudience    = "guestbridge-relay"
	controlAudience = "guestbridge-relay-control"
)

// Minter signs join tickets and control tokens with the API's Ed25519 key;
// the relay holds only the public key.
type Minter struct {
	key ed25519.PrivateKey
	now func() time.Time
}

// NewMinter returns a minter for the key made from a 32-byte seed.
func NewMinter(seed []byte, now func() time.Time) (*Minter, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("session: ticket key seed must be %d bytes", ed25519.SeedSize)
	}
	return &Minter{key: ed25519.NewKeyFromSeed(seed), now: now}, nil
}

// PublicKey is what the relay verifies with (RELAY_TICKET_PUBLIC_KEY).
func (m *Minter) PublicKey() ed25519.PublicKey { return m.key.Public().(ed25519.PublicKey) }

type joinClaims struct {
	SessionID string           `json:"sid"`
	Kind      toolmatrix.Kind  `json:"kind"`
	Name      string           `json:"name"`
	Until     *jwt.NumericDate `json:"until,omitempty"`
	// Tools are the participant's effective tools when the ticket was
	// minted, so a relay that lost its memory (restart, another task) never
	// gives back a tool the primary switched off.
	Tools []toolmatrix.Tool `json:"tools"`
	// Seat names the device holding a reusable link's seat; the relay lets
	// only that device replace a connected one.
	Seat string `json:"seat,omitempty"`
	jwt.RegisteredClaims
}

// Ticket mints a single-use join ticket for p with p's current tools; until,
// if set, is the end of the participant's guest period, after which the
// relay disconnects them; seat, if set, names the device (SeatOf).
func (m *Minter) Ticket(p Participant, until time.Time, seat string) (string, time.Time, error) {
	now := m.now()
	exp := now.Add(TicketTTL)
	tools := toolmatrix.Restrict(p.Kind, p.Tools)
	c := joinClaims{SessionID: p.SessionID, Kind: p.Kind, Name: p.Name, Tools: tools, Seat: seat, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: ticketIssuer, Audience: jwt.ClaimStrings{joinAudience}, Subject: p.ID, ID: secret.NewID("t_"),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}}
	if !until.IsZero() {
		c.Until = jwt.NewNumericDate(until)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(m.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign ticket: %w", err)
	}
	return tok, exp, nil
}

// controlClaims bind a control token to one request, so a token seen on the
// wire can neither be replayed (the relay accepts each jti once) nor used for
// another call.
type controlClaims struct {
	Method   string `json:"htm"`
	Path     string `json:"htu"`
	BodyHash string `json:"bh"`
	jwt.RegisteredClaims
}

// BodyHash is the bh claim of a control token: base64url(SHA-256(body)).
func BodyHash(body []byte) string {
	h := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Control mints the bearer token of one control call to the relay: method
// and path (escaped, without query) of the request, and its body.
func (m *Minter) Control(method, path string, body []byte) (string, error) {
	now := m.now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, controlClaims{Method: method, Path: path, BodyHash: BodyHash(body),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: ticketIssuer, Audience: jwt.ClaimStrings{controlAudience}, ID: secret.NewID("c_"),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(30 * time.Second)),
		}}).SignedString(m.key)
	if err != nil {
		return "", fmt.Errorf("sign control token: %w", err)
	}
	return tok, nil
}
