// Package locale holds a company's language and time zone settings: which
// languages messages come in, which zones are known, and how a calendar day
// in a zone ends.
package locale

import (
	"time"
	// Lambda's provided.al2023 runtime has no zoneinfo files; every binary
	// that resolves a company's zone links this package, so it carries its own.
	_ "time/tzdata"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Lang is a message language.
type Lang string

// Languages messages come in.
const (
	German  Lang = "de"
	English Lang = "en"
)

// Defaults of a company that has not chosen. Companies stored before the
// setting existed keep the English messages they had; the zone is where the
// product's support companies are.
const (
	DefaultLang Lang = English
	DefaultZone      = "Europe/Berlin"
)

// CheckLang validates a language given in field; "" is allowed and means
// "the default" to the caller.
func CheckLang(field, l string) error {
	switch Lang(l) {
	case "", German, English:
		return nil
	}
	return apperr.InvalidField(field, `language must be "de" or "en"`)
}

// Or returns l, or def when l is empty.
func (l Lang) Or(def Lang) Lang {
	if l == "" {
		return def
	}
	return l
}

// LoadZone resolves an IANA zone name, or errors naming field. A bare offset
// or "Local" is not a company's zone: only named zones follow daylight saving.
func LoadZone(field, name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, apperr.InvalidField(field, "a time zone name such as Europe/Berlin is required")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, apperr.InvalidField(field, "unknown time zone; use an IANA name such as Europe/Berlin")
	}
	return loc, nil
}

// Zone resolves a stored zone name, falling back to the default for a company
// stored before zones existed (or with a name this build does not know).
func Zone(name string) *time.Location {
	if name == "" {
		name = DefaultZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc, _ = time.LoadLocation(DefaultZone)
	}
	return loc
}

// EndOfDay is the last second of the calendar day y-m-d in loc.
func EndOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Second)
}
