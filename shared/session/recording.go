package session

import (
	"context"
	"regexp"
	"slices"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Recording is what the relay reports of a recording it made of a session
// (an event of type "recording").
type Recording struct {
	ID         string `json:"id"`
	State      string `json:"state"` // started or stopped
	Key        string `json:"key"`
	Bytes      int64  `json:"bytes,omitempty"`
	DurationMs int64  `json:"durationMs,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Recording states.
const (
	RecordingStarted = "started"
	RecordingStopped = "stopped"
)

// Recordings keeps what the relay reports of recordings: the attachment of
// the case and the audit log.
type Recordings interface {
	// Recording takes one report, once per recording id and state.
	Recording(ctx context.Context, sess Session, by Participant, rec Recording, at time.Time) error
}

// OnRecording sets where recordings go.
func (s *Service) OnRecording(r Recordings) { s.recordings = r }

var (
	recordingIDRe  = regexp.MustCompile(`^[0-9a-f]{32,64}$`)
	recordingWhy   = []string{"stopped", "session_ended", "customer_removed", "drain", "error"}
	errNoRecording = apperr.New(apperr.Unavailable, "recordings_unavailable", "Recordings are not kept by this service.")
)

// checkRecording validates a recording event against the session: the key is
// the one the relay may write for this session and recording, and for a
// stopped recording its size, length and reason are given.
func checkRecording(sessionID string, r *Recording) error {
	if r == nil {
		return apperr.InvalidField("recording", "a recording event carries recording")
	}
	if !recordingIDRe.MatchString(r.ID) {
		return apperr.InvalidField("recording.id", "recording.id must be at least 128 bits in lower-case hex")
	}
	if r.Key != "recordings/"+sessionID+"/"+r.ID+".webm" {
		return apperr.InvalidField("recording.key", "recording.key must be recordings/<sessionId>/<id>.webm")
	}
	switch r.State {
	case RecordingStarted:
		return nil
	case RecordingStopped:
		if r.Bytes < 0 || r.DurationMs < 0 {
			return apperr.InvalidField("recording.bytes", "bytes and durationMs of a stopped recording are not negative")
		}
		if !slices.Contains(recordingWhy, r.Reason) {
			return apperr.InvalidField("recording.reason", "recording.reason is not a known reason")
		}
		return nil
	}
	return apperr.InvalidField("recording.state", `recording.state must be "started" or "stopped"`)
}

// recording takes a checked, fresh recording event of sess: the participant
// must be the session's primary, who alone has the record tool.
func (s *Service) recording(ctx context.Context, sess Session, ev Event, at time.Time) error {
	if err := checkRecording(sess.ID, ev.Recording); err != nil {
		return err
	}
	parts, err := s.store.Participants(ctx, sess.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(parts, func(x Participant) bool { return x.ID == ev.ParticipantID })
	if i < 0 {
		return ErrParticipant
	}
	if !toolmatrix.Allowed(parts[i].Kind, toolmatrix.Record) {
		return apperr.InvalidField("participantId", "only a participant with the record tool starts recordings")
	}
	if s.recordings == nil {
		return errNoRecording
	}
	return s.recordings.Recording(ctx, sess, parts[i], *ev.Recording, at)
}
