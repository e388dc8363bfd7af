// Package page holds the rules of list pages: how many items a caller may ask
// for, and the cursor that says where the next page starts. A cursor carries a
// storage start key, so it is sealed (AES-256-GCM) with the list's scope (the
// company, the list and its filter) as associated data: a client can neither
// read it, forge one, nor replay one into another company's or another
// list's items.
package page

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// DefaultLimit and MaxLimit bound a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// maxCursorLen refuses oversized cursors before any decryption.
const maxCursorLen = 2048

// Request asks for one page: at most Limit items, starting after Start (a
// storage key from the previous page; nil for the first page).
type Request struct {
	Limit int
	Start Key
}

// Key is a storage position: the attribute names and string values of a
// DynamoDB LastEvaluatedKey, plus Part for lists read in several parts.
type Key map[string]string

// ErrInvalidCursor answers a cursor that this service did not issue for this
// company and list.
var ErrInvalidCursor = &apperr.Error{Kind: apperr.Invalid, Code: "invalid_cursor",
	Message: "cursor must be the nextCursor of a previous page of this list", Field: "cursor"}

// ParseLimit reads the limit parameter; empty means DefaultLimit.
func ParseLimit(s string) (int, error) {
	if s == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, apperr.InvalidField("limit", "limit must be a whole number between 1 and 200")
	}
	return n, nil
}

// Cursors seals and opens cursors with one key.
type Cursors struct {
	aead   cipher.AEAD
	nonces []byte // HMAC key that derives each cursor's nonce
}

// NewCursors returns cursors sealed with key (32 bytes, derived from the
// service secret).
func NewCursors(key []byte) (*Cursors, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("page: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("page: gcm: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("cursor-nonce"))
	return &Cursors{aead: aead, nonces: m.Sum(nil)}, nil
}

// Scope names what a cursor is valid for: the company, the list and any
// filter, so a cursor of the pending guests cannot continue the active ones.
func Scope(orgID, list, filter string) string {
	return strconv.Quote(orgID) + "/" + strconv.Quote(list) + "/" + strconv.Quote(filter)
}

// Seal returns the cursor for k within scope; an empty key (no more items)
// gives an empty cursor.
func (c *Cursors) Seal(scope string, k Key) (string, error) {
	if len(k) == 0 {
		return "", nil
	}
	plain, err := json.Marshal(k)
	if err != nil {
		return "", fmt.Errorf("page: encode key: %w", err)
	}
	// The nonce is derived from the scope and the key (a synthetic IV), so
	// the same page always carries the same cursor and its ETag holds; a
	// repeated nonce only ever repeats the very same message.
	m := hmac.New(sha256.New, c.nonces)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(plain)
	nonce := m.Sum(nil)[:c.aead.NonceSize()]
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(scope))), nil
}

// Open returns the key sealed in cursor for scope; an empty cursor is the
// first page (nil key). Anything not sealed by Seal for the same scope is
// ErrInvalidCursor.
func (c *Cursors) Open(scope, cursor string) (Key, error) {
	if cursor == "" {
		return nil, nil
	}
	if len(cursor) > maxCursorLen {
		return nil, ErrInvalidCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	n := c.aead.NonceSize()
	if err != nil || len(raw) < n+c.aead.Overhead() {
		return nil, ErrInvalidCursor
	}
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(scope))
	if err != nil {
		return nil, ErrInvalidCursor
	}
	var k Key
	if err := json.Unmarshal(plain, &k); err != nil || len(k) == 0 {
		return nil, ErrInvalidCursor
	}
	return k, nil
}
