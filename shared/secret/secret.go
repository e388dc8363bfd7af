// Package secret makes and checks the random tokens that stand for invitations
// and single-use links, and derives the keys the service signs and seals with.
//
// A token is 256 bits from crypto/rand, written in base64url. Only its SHA-256
// hash is stored; comparison is constant time.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// TokenBytes is the entropy of a token: 256 bits.
const TokenBytes = 32

// ErrMalformed reports a token or sealed value that cannot be decoded.
var ErrMalformed = errors.New("secret: malformed value")

// NewToken returns a fresh random token.
func NewToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secret: read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewID returns a random identifier of 128 bits with a readable prefix.
func NewID(prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; a failure here
		// means the system is unusable.
		panic("secret: crypto/rand failed: " + err.Error())
	}
	return prefix + hex.EncodeToString(b)
}

// Hash returns the hex SHA-256 of token: the form that is stored and looked up.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether token looks like one NewToken made, so garbage is
// refused before any lookup.
func WellFormed(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == TokenBytes
}

// Matches reports whether token hashes to storedHash, in constant time.
func Matches(token, storedHash string) bool {
	h := Hash(token)
	return subtle.ConstantTimeCompare([]byte(h), []byte(storedHash)) == 1
}

// Keys are the keys derived from the service's root secret.
type Keys struct {
	Session     []byte // HMAC key for session tokens
	Seal        []byte // AES-256-GCM key for tokens held in the outbox until sent
	TicketSeed  []byte // Ed25519 seed for relay join tickets
	RelayEvents []byte // HMAC key of the relay's events
	Cursor      []byte // AES-256-GCM key of list cursors (page.Cursors)
}

// Derive computes the service keys from the root secret, so one configured
// secret serves several purposes without reusing a key.
func Derive(root []byte) (Keys, error) {
	if len(root) < 32 {
		return Keys{}, errors.New("secret: root secret must be at least 32 bytes")
	}
	return Keys{Session: derive(root, "session-token"), Seal: derive(root, "outbox-seal"),
		TicketSeed: derive(root, "relay-ticket"), RelayEvents: derive(root, "relay-events"),
		Cursor: derive(root, "list-cursor")}, nil
}

func derive(root []byte, label string) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte("guestbridge/" + label))
	return m.Sum(nil)
}

// Seal encrypts plaintext with key (AES-256-GCM) and returns base64url text.
func Seal(key []byte, plaintext string) (string, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secret: read random: %w", err)
	}
	out := gcm.Seal(nonce, nonce, []byte(plaintext), nil)
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal produced.
func Open(key []byte, sealed string) (string, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < gcm.NonceSize() {
		return "", ErrMalformed
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return "", ErrMalformed
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
