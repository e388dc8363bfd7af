package session

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// MemberStore lists a company's members, for the primary's picker.
type MemberStore interface {
	CompanyMembers(ctx context.Context, orgID string) ([]identity.Member, error)
}

// maxCandidates bounds one answer of the picker: the search narrows it.
const maxCandidates = 50

// Candidate is a member of the company the primary may invite as an
// internal technician.
type Candidate struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	// InSession marks members already seated (and not removed): inviting
	// them again is refused.
	InSession bool `json:"inSession"`
}

// MatchCandidate reports whether a member matches the primary's search:
// every word of q appears in the name or the email, ignoring case.
func MatchCandidate(m identity.Member, q string) bool {
	hay := strings.ToLower(m.Name + " " + m.Email)
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// Candidates lists the company's members matching q for the session's
// primary, who alone may invite; the names and addresses of colleagues are
// shown to nobody else through this route.
func (s *Service) Candidates(ctx context.Context, p *access.Principal, id, q string) ([]Candidate, error) {
	if utf8.RuneCountInString(q) > 100 {
		return nil, apperr.InvalidField("q", "the search must be at most 100 characters")
	}
	sess, parts, err := s.primaryOf(ctx, p, id)
	if err != nil {
		return nil, err
	}
	ms, err := s.store.CompanyMembers(ctx, sess.OrgID)
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	for _, m := range ms {
		if m.UserID == sess.PrimaryUserID || !MatchCandidate(m, q) {
			continue
		}
		in := slices.ContainsFunc(parts, func(x Participant) bool { return x.UserID == m.UserID && !x.Removed })
		out = append(out, Candidate{UserID: m.UserID, Name: m.Name, Email: m.Email, InSession: in})
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.ToLower(out[i].Name+out[i].Email) < strings.ToLower(out[j].Name+out[j].Email)
	})
	if len(out) > maxCandidates {
		out = out[:maxCandidates]
	}
	return out, nil
}

// Invitation is a live session a signed-in technician was invited to.
type Invitation struct {
	SessionID   string    `json:"sessionId"`
	CaseID      string    `json:"caseId"`
	CaseTitle   string    `json:"caseTitle"`
	PrimaryName string    `json:"primaryName"`
	InvitedAt   time.Time `json:"invitedAt"`
	Joined      bool      `json:"joined"`
}

// invitationWindow is how long an internal invitation is offered on the
// invited technician's page. The seat index keeps every seat a technician
// ever had; reading only recent ones keeps the poll to one query and a few
// reads however many sessions they were in.
const invitationWindow = 24 * time.Hour

// MyInvitations lists the live sessions of the caller's company that seat
// the caller as an internal technician, so their open page can offer to
// join without a reload. Guests have none: they are invited by email.
func (s *Service) MyInvitations(ctx context.Context, p *access.Principal) ([]Invitation, error) {
	out := []Invitation{}
	if p == nil || p.Kind != access.Member {
		return out, nil
	}
	seats, err := s.store.LiveParticipantsByUser(ctx, p.OrgID, p.UserID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	for _, seat := range seats {
		if seat.Kind != toolmatrix.Secondary || seat.Removed || now.Sub(seat.InvitedAt) > invitationWindow {
			continue
		}
		sess, err := s.store.Session(ctx, seat.SessionID)
		if err != nil || sess.State != Live || sess.OrgID != p.OrgID {
			continue
		}
		inv := Invitation{SessionID: sess.ID, CaseID: sess.CaseID, InvitedAt: seat.InvitedAt, Joined: !seat.JoinedAt.IsZero() && seat.LeftAt.IsZero()}
		if c, err := s.store.Case(ctx, sess.OrgID, sess.CaseID); err == nil {
			inv.CaseTitle = c.Title
		}
		if m, err := s.store.Member(ctx, sess.OrgID, sess.PrimaryUserID); err == nil {
			inv.PrimaryName = m.Name
		}
		out = append(out, inv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InvitedAt.After(out[j].InvitedAt) })
	return out, nil
}
