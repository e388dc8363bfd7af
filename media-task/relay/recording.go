package relay

import (
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Recorder records a session's tracks (package recording does, into S3).
type Recorder interface {
	// Start begins recording tracks into the object key. It must not
	// block: it is called with the server's lock held, so that the
	// notice to the participants precedes it.
	Start(key string, tracks []RecordTrack) (Recording, error)
}

// RecordTrack is one track to record and who it is.
type RecordTrack struct {
	Track media.Track
	Name  string
}

// Recording is a recording in progress.
type Recording interface {
	// Stop ends the recording and returns when the file is complete (or
	// failed): its size and duration.
	Stop() (bytes int64, duration time.Duration, err error)
}

// RecordingEvents is an Events that is also told of recordings started and
// stopped. It must not block.
type RecordingEvents interface {
	Recording(sessionID, participantID string, r events.Recording, at time.Time)
}

// Errors of the record tool.
var (
	errRecordingOff = errors.New("recording is not configured on this relay")
	errNoCustomer   = errors.New("no customer stream to record")
	errRecDraining  = errors.New("relay draining")
)

// sessRecording is a session's recording; guarded by the server's lock.
type sessRecording struct {
	id, key    string
	by, byName string
	rec        Recording
	startedAt  time.Time
}

func (r *sessRecording) notice(state, reason string) proto.Signal {
	return proto.Signal{Type: proto.TypeRecording, Recording: &proto.RecordingNotice{
		ID: r.id, State: state, By: r.by, ByName: r.byName, Reason: reason,
	}}
}

// recordingID is 128 random bits in hex: the recording's name in the
// bucket, which a participant cannot guess.
func recordingID() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b) // never fails on supported platforms (crypto/rand)
	return hex.EncodeToString(b)
}

// customerFirst orders participants with the customer first: the person
// recorded is told before anyone else.
func customerFirst(ps []*Participant) []*Participant {
	out := make([]*Participant, 0, len(ps))
	for _, p := range ps {
		if p.kind == toolmatrix.Customer {
			out = append(out, p)
		}
	}
	for _, p := range ps {
		if p.kind != toolmatrix.Customer {
			out = append(out, p)
		}
	}
	return out
}

// startRecording starts recording p's session: the customer's video and
// audio and each technician's audio published at this moment. Every
// participant, the customer first, is told before the recorder is started,
// so the notice is queued to them before the first frame can be written.
func (s *Server) startRecording(p *Participant) error {
	if s.cfg.Recorder == nil {
		return errRecordingOff
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining || s.closed {
		return errRecDraining
	}
	sess := p.sess
	if s.sessions[sess.id] != sess {
		return errNoCustomer
	}
	if sess.rec != nil {
		return nil
	}
	var video, audio []RecordTrack
	var techs []RecordTrack
	for _, pub := range sess.pubs {
		o := pub.owner
		name := o.name
		if name == "" {
			name = string(o.kind)
		}
		switch {
		case o.kind == toolmatrix.Customer && pub.track.Kind() == media.Video:
			video = append(video, RecordTrack{Track: pub.track, Name: name + " (customer) video"})
		case o.kind == toolmatrix.Customer:
			audio = append(audio, RecordTrack{Track: pub.track, Name: name + " (customer) audio"})
		case pub.track.Kind() == media.Audio:
			techs = append(techs, RecordTrack{Track: pub.track, Name: name + " (" + string(o.kind) + ") audio"})
		}
	}
	if len(video)+len(audio) == 0 {
		return errNoCustomer
	}
	id := recordingID()
	r := &sessRecording{
		id: id, key: "recordings/" + sess.id + "/" + id + ".webm",
		by: p.id, byName: p.name, startedAt: s.now(),
	}
	n := r.notice(proto.RecordingStarted, "")
	for _, o := range customerFirst(sess.othersLocked(nil)) {
		o.client.Send(n)
	}
	rec, err := s.cfg.Recorder.Start(r.key, append(append(video, audio...), techs...))
	if err != nil {
		stopped := r.notice(proto.RecordingStopped, events.ReasonError)
		for _, o := range customerFirst(sess.othersLocked(nil)) {
			o.client.Send(stopped)
		}
		s.log.Warn("recording not started", "session", sess.id, "err", err)
		return err
	}
	r.rec = rec
	sess.rec = r
	if re, ok := s.cfg.Events.(RecordingEvents); ok {
		re.Recording(sess.id, p.id, events.Recording{ID: r.id, State: proto.RecordingStarted, Key: r.key}, r.startedAt)
	}
	s.log.Info("recording started", "session", sess.id, "recording", r.id, "by", p.id)
	return nil
}

// stopRecording stops sess's recording, if any, for reason: the
// participants are told at once, the file is finished in the background
// (Close waits for it) and the stopped event carries its size and length.
func (s *Server) stopRecording(sess *Session, reason string) {
	s.mu.Lock()
	r := sess.rec
	sess.rec = nil
	var ps []*Participant
	if r != nil {
		ps = customerFirst(sess.othersLocked(nil))
		s.recWG.Add(1)
	}
	s.mu.Unlock()
	if r == nil {
		return
	}
	n := r.notice(proto.RecordingStopped, reason)
	for _, o := range ps {
		o.client.Send(n)
	}
	go func() {
		defer s.recWG.Done()
		bytes, d, err := r.rec.Stop()
		if err != nil {
			s.log.Warn("recording failed", "session", sess.id, "recording", r.id, "err", err)
			reason = events.ReasonError
		}
		if re, ok := s.cfg.Events.(RecordingEvents); ok {
			re.Recording(sess.id, r.by, events.Recording{
				ID: r.id, State: proto.RecordingStopped, Key: r.key, Bytes: bytes, DurationMs: d.Milliseconds(), Reason: reason,
			}, s.now())
		}
		s.log.Info("recording stopped", "session", sess.id, "recording", r.id, "reason", reason, "bytes", bytes)
	}()
}

// stopAllRecordings stops every session's recording with reason.
func (s *Server) stopAllRecordings(reason string) {
	s.mu.Lock()
	var ss []*Session
	for _, sess := range s.sessions {
		if sess.rec != nil {
			ss = append(ss, sess)
		}
	}
	s.mu.Unlock()
	for _, sess := range ss {
		s.stopRecording(sess, reason)
	}
}

// recordingReason maps why the customer or the recording's primary left to
// why the recording stopped.
func recordingReason(p *Participant, closeReason string) string {
	switch closeReason {
	case proto.ReasonSessionEnded:
		return events.ReasonSessionEnded
	case proto.ReasonShutdown, proto.ReasonDraining:
		return events.ReasonDrain
	}
	if p.kind == toolmatrix.Customer && endReasons[closeReason] {
		return events.ReasonCustomerRemoved
	}
	return events.ReasonStopped
}

// leaveRecording stops the recording when the customer, or the primary
// who started it, leaves the session.
func (p *Participant) leaveRecording(reason string) {
	s := p.srv
	s.mu.Lock()
	r := p.sess.rec
	s.mu.Unlock()
	if r == nil || (p.kind != toolmatrix.Customer && r.by != p.id) {
		return
	}
	s.stopRecording(p.sess, recordingReason(p, reason))
}

// handleRecord applies a record tool message: start or stop the session's
// recording. It reports false when the message must not be forwarded.
func (p *Participant) handleRecord(m proto.ToolMessage) bool {
	switch m.Field("state") {
	case "start":
		if err := p.srv.startRecording(p); err != nil {
			p.replyError(proto.ToolError{Code: proto.CodeRecordUnavailable, Message: err.Error(), Tool: m.Tool, ID: m.ID})
			return false
		}
	case "stop":
		p.srv.stopRecording(p.sess, events.ReasonStopped)
	}
	// Any other state is forwarded as before, without an effect here.
	return true
}

// recordToolOff stops the recording p started when p's record tool is
// switched off: the recording rests on the primary's permission.
func (p *Participant) recordToolOff() {
	s := p.srv
	s.mu.Lock()
	r := p.sess.rec
	s.mu.Unlock()
	if r != nil && r.by == p.id {
		s.stopRecording(p.sess, events.ReasonStopped)
	}
}
