// Package plaintext holds the rules for short human text that other people
// see: names and titles. They end up in lists, emails, SMS and audit entries,
// where a control character or a text-direction override can make one name
// pose as another ("Ann" followed by a right-to-left override reads as
// something else) or break the line it is shown in.
package plaintext

import (
	"unicode"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// ErrCode is the code of the error Check returns, so clients can tell it from
// a missing or too long value.
const ErrCode = "invalid_characters"

// Forbidden reports whether r may not appear in a name or title: C0 and C1
// control characters (which include tab and newline: a name is one line) and
// the Unicode bidirectional controls (embeddings and overrides U+202A–U+202E,
// isolates U+2066–U+2069, the marks U+200E, U+200F and U+061C).
func Forbidden(r rune) bool {
	switch {
	case unicode.IsControl(r): // U+0000–U+001F, U+007F–U+009F
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// Check returns a 400 error naming field when s holds a forbidden character.
func Check(field, s string) error {
	for _, r := range s {
		if Forbidden(r) {
			return &apperr.Error{Kind: apperr.Invalid, Code: ErrCode, Field: field,
				Message: field + ": must not contain control characters or text-direction marks"}
		}
	}
	return nil
}
