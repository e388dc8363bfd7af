package store

import (
	"time"

	"github.com/guestbridge/guestbridge/shared/guest"
)

// Key prefixes and fixed sort keys; see the package comment for the layout.
const (
	skMeta    = "META"
	skProfile = "PROFILE"
	skUser    = "USER"
	skInv     = "INV"
	skOutbox  = "OUTBOX"

	gsiActiveGuests = "GUESTS#ACTIVE"
	gsiOutboxDue    = "OUTBOX#DUE"

	index1 = "GSI1"
	index2 = "GSI2"
	// index3 lists a company's guests by status (GuestsPage).
	index3 = "GSI3"
)

func orgPK(org string) string          { return "ORG#" + org }
func memberSK(user string) string      { return "MEMBER#" + user }
func caseSK(id string) string          { return "CASE#" + id }
func guestSK(id string) string         { return "GUEST#" + id }
func guestEmailSK(email string) string { return "GUESTEMAIL#" + email }
func grantSK(guest string) string      { return "GRANT#" + guest }
func userPK(user string) string        { return "USER#" + user }
func emailPK(email string) string      { return "EMAIL#" + email }
func inviteePK(email string) string    { return "INVITEE#" + email }
func invPK(hash string) string         { return "INV#" + hash }
func outboxPK(id string) string        { return "OUTBOX#" + id }

// sortableTime renders t so that string order is time order.
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func activeGuestSK(validUntil time.Time, org, guest string) string {
	return sortableTime(validUntil) + "#" + org + "#" + guest
}

// guestStatusPK is the status index partition of a company's guests whose
// stored state gives st; guestStatusSK orders it by the end of the period.
func guestStatusPK(org string, st guest.Status) string {
	return "GUESTSTATUS#" + org + "#" + string(st)
}
func guestStatusSK(validUntil time.Time, guestID string) string {
	return sortableTime(validUntil) + "#" + guestID
}

// storedStatus is a guest's status from its stored state alone, leaving out
// the clock: a period's end is compared with now when the index is read.
func storedStatus(g guest.Guest) guest.Status {
	return g.StatusAt(time.Time{})
}
