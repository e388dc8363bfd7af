// Package casefile holds support cases: the unit a guest is attached to.
package casefile

import (
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/plaintext"
)

// MaxTitleLength bounds a case title.
const MaxTitleLength = 200

// Case is one support case of an organisation.
type Case struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Title     string    `json:"title"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// ErrNotFound reports a case that does not exist in the organisation.
var ErrNotFound = apperr.New(apperr.NotFound, "case_not_found", "No such case.")

// CleanTitle trims a title and checks it, naming field in the error.
func CleanTitle(field, title string) (string, error) {
	t := strings.TrimSpace(title)
	switch {
	case t == "":
		return "", apperr.InvalidField(field, "a case title is required")
	case len(t) > MaxTitleLength:
		return "", apperr.InvalidField(field, "a case title is at most 200 characters")
	}
	if err := plaintext.Check(field, t); err != nil {
		return "", err
	}
	return t, nil
}
