package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/shared/access"
)

// SessionTTL is how long a password sign-in lasts.
const SessionTTL = 12 * time.Hour

// Claims are what a session token says about its holder.
type Claims struct {
	UserID  string      `json:"-"` // carried as the registered "sub" claim
	OrgID   string      `json:"org"`
	Kind    access.Kind `json:"kind"`
	GuestID string      `json:"gid,omitempty"`
	GrantID string      `json:"grt,omitempty"`
	// ViaLink marks a session opened from an SMS link without a password: it
	// ends with the link's 24 hours and is confined to the guest access named
	// by OrgID and GuestID (no switch elsewhere, no "Companies", no password
	// change on an account that has one).
	ViaLink bool `json:"lnk,omitempty"`
	// TokenVersion is the account's token version at issue; Resolve refuses
	// the token once the account's version has moved past it.
	TokenVersion int64     `json:"tv,omitempty"`
	IssuedAt     time.Time `json:"-"`
	ExpiresAt    time.Time `json:"-"`
}

type jwtClaims struct {
	Claims
	jwt.RegisteredClaims
}

// Signer issues and checks session tokens with an HMAC key.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a signer using key and the clock now.
func NewSigner(key []byte, now func() time.Time) *Signer {
	return &Signer{key: key, now: now}
}

const issuer = "guestbridge"

// Sign returns a token for c that expires at c.ExpiresAt.
func (s *Signer) Sign(c Claims) (string, error) {
	jc := jwtClaims{Claims: c, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   c.UserID,
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
		ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jc).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign session: %w", err)
	}
	return tok, nil
}

// Verify checks a token's signature and expiry and returns its claims.
func (s *Signer) Verify(token string) (Claims, error) {
	var jc jwtClaims
	_, err := jwt.ParseWithClaims(token, &jc, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrSessionExpired
	case err != nil:
		return Claims{}, ErrNoSession
	}
	c := jc.Claims
	c.UserID = jc.Subject
	c.IssuedAt = jc.RegisteredClaims.IssuedAt.Time
	c.ExpiresAt = jc.RegisteredClaims.ExpiresAt.Time
	if c.UserID == "" || c.OrgID == "" || (c.Kind != access.Member && c.Kind != access.Guest) {
		return Claims{}, ErrNoSession
	}
	return c, nil
}
