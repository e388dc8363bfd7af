// Package apperr defines the error kinds the domain reports. The HTTP layer maps
// each kind to one status in one place; clients see the code and the message,
// never internal text.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the client.
type Kind int

// Error kinds, each answered with one HTTP status.
const (
	Internal     Kind = iota // 500: a bug or an unavailable dependency
	Invalid                  // 400: the input is wrong; Field names the offending field
	Unauthorized             // 401: not signed in, or the credentials are wrong
	Forbidden                // 403: signed in, but not allowed
	NotFound                 // 404: does not exist, or not visible to the caller
	Conflict                 // 409: the state does not allow it
	Gone                     // 410: a link that was used or has expired
	TooMany                  // 429: rate limited; RetryAfter says when to come back
	Unavailable              // 503: a dependency is down; try again
)

// Error is a domain error with a stable machine code and a human message.
type Error struct {
	Kind       Kind
	Code       string // stable, e.g. "guest_expired"
	Message    string // safe to show to the client
	Field      string // the input field at fault, for Invalid
	RetryAfter int    // seconds, for TooMany
	Err        error  // the cause, logged, never sent
}

func (e *Error) Error() string {
	msg := e.Code + ": " + e.Message
	if e.Field != "" {
		msg += " (field " + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match two *Error values by code, so packages can declare
// sentinel errors and compare against them after wrapping.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// New returns an error of kind k with code and message.
func New(k Kind, code, message string) *Error {
	return &Error{Kind: k, Code: code, Message: message}
}

// InvalidField returns a 400 error naming the field at fault.
func InvalidField(field, message string) *Error {
	return &Error{Kind: Invalid, Code: "invalid_input", Message: message, Field: field}
}

// Wrap returns an internal error that keeps cause for the logs.
func Wrap(cause error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, cause)...)
}

// From finds the *Error in err's chain, or nil.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
