package session

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// The session's record: every chat line and tool message the relay forwarded,
// reported as signed events, kept with the session on its case.
const (
	// MaxRecordText bounds one line of the record, in characters (the web
	// client's chat input takes 2000).
	MaxRecordText = 2000
	// MaxRecordEntries bounds the record of one session; past it, lines are
	// refused and the relay stops retrying them.
	MaxRecordEntries = 5000
)

// ErrRecordFull is returned once a session's record holds MaxRecordEntries.
var ErrRecordFull = apperr.New(apperr.Conflict, "session_record_full", "The session's record is full.")

// RecordEntry is one chat line or tool message of a session.
type RecordEntry struct {
	SessionID     string
	ParticipantID string
	Tool          toolmatrix.Tool
	Text          string
	At            time.Time
	EventID       string
}

// RecordStore keeps sessions' records and finds a case's sessions.
type RecordStore interface {
	// AppendRecord stores e on the conditions that its event id is new
	// (ErrEventReplayed) and the session's record is not full
	// (ErrRecordFull); the id is remembered until forgetAt.
	AppendRecord(ctx context.Context, e RecordEntry, forgetAt time.Time) error
	Record(ctx context.Context, sessionID string) ([]RecordEntry, error)
	CaseSessions(ctx context.Context, orgID, caseID string) ([]Session, error)
}

// checkRecord validates a tool event's fields.
func checkRecord(ev Event) error {
	if !toolmatrix.Tool(ev.Tool).Message() {
		return apperr.InvalidField("tool", "tool must be a tool carried on the data channel")
	}
	if utf8.RuneCountInString(ev.Text) > MaxRecordText {
		return apperr.InvalidField("text", "text must be at most 2000 characters")
	}
	return nil
}

// RecordView is one line of a session report.
type RecordView struct {
	At            time.Time       `json:"at"`
	ParticipantID string          `json:"participantId"`
	Kind          toolmatrix.Kind `json:"kind,omitempty"`
	Name          string          `json:"name,omitempty"`
	Tool          toolmatrix.Tool `json:"tool"`
	Text          string          `json:"text"`
}

// Report is a session with its participants and record, as one viewer may
// see it.
type Report struct {
	View
	EndReason string       `json:"endReason,omitempty"`
	Record    []RecordView `json:"record"`
}

// FilterRecord keeps the entries a viewer of kind may receive, in time
// order: what the matrix would not have delivered to them live stays out of
// their report too.
func FilterRecord(kind toolmatrix.Kind, entries []RecordEntry, parts []Participant) []RecordView {
	byID := map[string]Participant{}
	for _, p := range parts {
		byID[p.ID] = p
	}
	out := []RecordView{}
	for _, e := range entries {
		if !toolmatrix.Receives(kind, e.Tool) {
			continue
		}
		p := byID[e.ParticipantID]
		out = append(out, RecordView{At: e.At, ParticipantID: e.ParticipantID, Kind: p.Kind, Name: p.Name, Tool: e.Tool, Text: e.Text})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// viewerKind is the kind whose view of the session p gets: a member who
// may read the company's cases sees all of it; a member who was in the
// session sees what their seat received; a guest of the company whose scope
// holds the case sees what a guest technician would.
func viewerKind(p *access.Principal, sess Session, parts []Participant) (toolmatrix.Kind, error) {
	if p == nil || p.OrgID != sess.OrgID {
		return "", ErrNotFound
	}
	if p.Kind == access.Member {
		if p.Has(access.CasesRead) {
			return toolmatrix.Primary, nil
		}
		i := slices.IndexFunc(parts, func(x Participant) bool { return x.UserID != "" && x.UserID == p.UserID })
		if i < 0 {
			return "", access.ErrForbidden
		}
		return parts[i].Kind, nil
	}
	if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: sess.OrgID, CaseID: sess.CaseID}); err != nil {
		return "", ErrNotFound
	}
	return toolmatrix.Guest, nil
}

func (s *Service) report(ctx context.Context, p *access.Principal, sess Session) (Report, error) {
	parts, err := s.store.Participants(ctx, sess.ID)
	if err != nil {
		return Report{}, err
	}
	kind, err := viewerKind(p, sess, parts)
	if err != nil {
		return Report{}, err
	}
	entries, err := s.store.Record(ctx, sess.ID)
	if err != nil {
		return Report{}, err
	}
	v := s.view(sess, parts)
	if kind != toolmatrix.Primary {
		// Another guest's address and the members' ids are not theirs
		// to see; names are.
		for i := range v.Participants {
			v.Participants[i].Email, v.Participants[i].UserID = "", ""
		}
		v.Matrix, v.PrimaryUserID, v.RelayURL = nil, "", ""
	}
	return Report{View: v, EndReason: sess.EndReason, Record: FilterRecord(kind, entries, parts)}, nil
}

// Report returns a session's report: participants with their times and
// removals, and the record filtered for the caller (viewerKind).
func (s *Service) Report(ctx context.Context, p *access.Principal, id string) (Report, error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return Report{}, err
	}
	// Guests of the company read reports on their case's page only, where
	// the case's scope has been checked first.
	if p == nil || p.Kind != access.Member {
		return Report{}, ErrNotFound
	}
	if err := s.detailsAllowed(ctx, p, sess); err != nil {
		return Report{}, err
	}
	return s.report(ctx, p, sess)
}

// CaseReports lists the reports of a case's sessions, newest first.
func (s *Service) CaseReports(ctx context.Context, p *access.Principal, orgID, caseID string) ([]Report, error) {
	if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: orgID, CaseID: caseID}); err != nil {
		return nil, err
	}
	if _, err := s.store.Case(ctx, orgID, caseID); err != nil {
		return nil, err
	}
	sessions, err := s.store.CaseSessions(ctx, orgID, caseID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].CreatedAt.After(sessions[j].CreatedAt) })
	out := []Report{}
	for _, sess := range sessions {
		r, err := s.report(ctx, p, sess)
		if err != nil {
			// A member without cases.read sees only the sessions they were in.
			if errors.Is(err, access.ErrForbidden) {
				continue
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// detailsAllowed refuses a session's report to a participant of it whose
// session details tool is off.
func (s *Service) detailsAllowed(ctx context.Context, p *access.Principal, sess Session) error {
	parts, err := s.store.Participants(ctx, sess.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.UserID != "" && x.UserID == p.UserID })
	if i >= 0 && !parts[i].Has(toolmatrix.SessionDetails) {
		return ErrDetailsOff
	}
	return nil
}
