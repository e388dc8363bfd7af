// Package notes keeps a session's notes on its case: the primary technician
// writes them during the session (the page saves as they type), members who
// may read the company's cases read them afterwards, guests never.
package notes

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/session"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// MaxText bounds one session's notes, in characters.
const MaxText = 20000

// Notes are one session's notes.
type Notes struct {
	OrgID     string
	CaseID    string
	SessionID string
	Text      string
	// Version counts the saves; a save names the version it replaces, so
	// two tabs cannot overwrite each other unseen.
	Version       int64
	UpdatedAt     time.Time
	UpdatedBy     string
	UpdatedByName string
}

// Errors.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "notes_not_found", "This session has no notes.")
	// ErrChanged: the notes were saved elsewhere since the caller read them.
	ErrChanged = apperr.New(apperr.Conflict, "notes_changed", "The notes were changed elsewhere; load them again.")
	ErrNoTool  = apperr.New(apperr.Forbidden, "notes_not_allowed", "Only the primary technician with the notes tool writes the session's notes.")
	ErrGuest   = apperr.New(apperr.Forbidden, "notes_not_for_guests", "Session notes are for the company's technicians only.")
)

// Store keeps notes.
type Store interface {
	Session(ctx context.Context, id string) (session.Session, error)
	Participants(ctx context.Context, sessionID string) ([]session.Participant, error)
	Case(ctx context.Context, orgID, caseID string) (casefile.Case, error)
	// Notes returns a session's notes, or ErrNotFound.
	Notes(ctx context.Context, orgID, caseID, sessionID string) (Notes, error)
	// SaveNotes writes n on the condition that the stored version is
	// n.Version-1 (none stored for 1), or returns ErrChanged.
	SaveNotes(ctx context.Context, n Notes) error
	CaseNotes(ctx context.Context, orgID, caseID string) ([]Notes, error)
}

// Service reads and writes notes.
type Service struct {
	store Store
	clock clock.Clock
}

// NewService wires notes.
func NewService(s Store, c clock.Clock) *Service { return &Service{store: s, clock: c} }

// SaveRequest is the body of PUT /v1/sessions/{id}/notes.
type SaveRequest struct {
	Text string `json:"text"`
	// Version is the version the text replaces: 0 for the first save.
	Version int64 `json:"version"`
}

// View is one session's notes as the API shows them.
type View struct {
	SessionID     string    `json:"sessionId"`
	Text          string    `json:"text"`
	Version       int64     `json:"version"`
	UpdatedAt     time.Time `json:"updatedAt,omitzero"`
	UpdatedBy     string    `json:"updatedBy,omitempty"`
	UpdatedByName string    `json:"updatedByName,omitempty"`
}

func viewOf(n Notes) View {
	return View{SessionID: n.SessionID, Text: n.Text, Version: n.Version, UpdatedAt: n.UpdatedAt, UpdatedBy: n.UpdatedBy,
		UpdatedByName: n.UpdatedByName}
}

// sessionOf reads a session of the caller's company; guests are refused.
func (s *Service) sessionOf(ctx context.Context, p *access.Principal, id string) (session.Session, []session.Participant, error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return session.Session{}, nil, err
	}
	if p == nil || p.OrgID != sess.OrgID {
		return session.Session{}, nil, session.ErrNotFound
	}
	if p.Kind != access.Member {
		// As on every session route: a guest's principal finds no session.
		return session.Session{}, nil, session.ErrNotFound
	}
	parts, err := s.store.Participants(ctx, id)
	if err != nil {
		return session.Session{}, nil, err
	}
	return sess, parts, nil
}

// Save writes the session's notes. Only the primary, with the notes tool on,
// writes; the session may have ended a moment ago, as the page saves what was
// typed last.
func (s *Service) Save(ctx context.Context, p *access.Principal, sessionID string, req SaveRequest) (View, error) {
	if utf8.RuneCountInString(req.Text) > MaxText {
		return View{}, apperr.InvalidField("text", "notes are at most 20000 characters")
	}
	if !utf8.ValidString(req.Text) {
		return View{}, apperr.InvalidField("text", "notes must be text")
	}
	if req.Version < 0 {
		return View{}, apperr.InvalidField("version", "version must not be negative")
	}
	sess, parts, err := s.sessionOf(ctx, p, sessionID)
	if err != nil {
		return View{}, err
	}
	i := slices.IndexFunc(parts, func(x session.Participant) bool { return x.Kind == toolmatrix.Primary && x.UserID == p.UserID })
	if i < 0 || !parts[i].Has(toolmatrix.Notes) {
		return View{}, ErrNoTool
	}
	n := Notes{OrgID: sess.OrgID, CaseID: sess.CaseID, SessionID: sess.ID, Text: req.Text, Version: req.Version + 1,
		UpdatedAt: s.clock.Now(), UpdatedBy: p.UserID, UpdatedByName: p.Name}
	if err := s.store.SaveNotes(ctx, n); err != nil {
		return View{}, err
	}
	return viewOf(n), nil
}

// Get returns a session's notes to its primary and to members who may read
// cases; none yet is version 0 with no text.
func (s *Service) Get(ctx context.Context, p *access.Principal, sessionID string) (View, error) {
	sess, parts, err := s.sessionOf(ctx, p, sessionID)
	if err != nil {
		return View{}, err
	}
	primary := slices.ContainsFunc(parts, func(x session.Participant) bool { return x.Kind == toolmatrix.Primary && x.UserID == p.UserID })
	if !primary {
		if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: sess.OrgID, CaseID: sess.CaseID}); err != nil {
			return View{}, err
		}
	}
	n, err := s.store.Notes(ctx, sess.OrgID, sess.CaseID, sess.ID)
	if errors.Is(err, ErrNotFound) {
		return View{SessionID: sess.ID}, nil
	}
	if err != nil {
		return View{}, err
	}
	return viewOf(n), nil
}

// ForCase lists the notes of a case's sessions, newest first, to members who
// may read the case.
func (s *Service) ForCase(ctx context.Context, p *access.Principal, orgID, caseID string) ([]View, error) {
	if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: orgID, CaseID: caseID}); err != nil {
		return nil, err
	}
	if p.Kind != access.Member {
		return nil, ErrGuest
	}
	if _, err := s.store.Case(ctx, orgID, caseID); err != nil {
		return nil, err
	}
	all, err := s.store.CaseNotes(ctx, orgID, caseID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].UpdatedAt.After(all[j].UpdatedAt) })
	out := make([]View, 0, len(all))
	for _, n := range all {
		if n.Text != "" {
			out = append(out, viewOf(n))
		}
	}
	return out, nil
}
