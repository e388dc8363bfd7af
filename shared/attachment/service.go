package attachment

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	_ "image/png" // snapshots may be PNG
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"time"

	"golang.org/x/image/draw"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/session"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Presigned is a URL that works without credentials until ExpiresAt, with
// the headers the request must carry because they were signed.
type Presigned struct {
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// Blobs is the object store the files live in.
type Blobs interface {
	// PresignPut signs an upload of exactly size bytes of contentType to key.
	PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (Presigned, error)
	// PresignGet signs a download of key served as contentType under filename.
	PresignGet(ctx context.Context, key, contentType, filename string, ttl time.Duration) (Presigned, error)
	// Head returns an object's stored size, or ErrBlobMissing.
	Head(ctx context.Context, key string) (int64, error)
	// ReadRange reads n bytes of key from off.
	ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error)
	Put(ctx context.Context, key, contentType string, body []byte) error
	Delete(ctx context.Context, key string) error
}

// Store keeps attachments.
type Store interface {
	Session(ctx context.Context, id string) (session.Session, error)
	Participants(ctx context.Context, sessionID string) ([]session.Participant, error)
	Case(ctx context.Context, orgID, caseID string) (casefile.Case, error)
	// CreateAttachment stores a new attachment (a pending snapshot).
	CreateAttachment(ctx context.Context, a Attachment) error
	Attachment(ctx context.Context, orgID, caseID, id string) (Attachment, error)
	Attachments(ctx context.Context, orgID, caseID string) ([]Attachment, error)
	// CompleteSnapshot makes a pending snapshot ready with its size and
	// thumbnail, on the condition that it is still pending (ErrNotPending),
	// together with entry.
	CompleteSnapshot(ctx context.Context, a Attachment, entry audit.Entry) error
	// DropPending deletes a pending attachment whose upload was refused.
	DropPending(ctx context.Context, a Attachment) error
	// AddRecording stores a recording's attachment with entry, once: a
	// recording already stored changes nothing and is not an error.
	AddRecording(ctx context.Context, a Attachment, entry audit.Entry) error
	// RecordingStarted writes entry once per recording id.
	RecordingStarted(ctx context.Context, orgID, recordingID string, entry audit.Entry) error
}

// Service issues upload slots, checks uploads and lists a case's files.
type Service struct {
	store Store
	blobs Blobs
	clock clock.Clock
	log   *slog.Logger
}

// NewService wires attachments.
func NewService(s Store, b Blobs, c clock.Clock, log *slog.Logger) *Service {
	return &Service{store: s, blobs: b, clock: c, log: log}
}

// SlotRequest is the body of POST /v1/sessions/{id}/snapshots: the picture
// the customer's page has taken, by type and size.
type SlotRequest struct {
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// Slot is where the customer's page uploads one snapshot.
type Slot struct {
	AttachmentID string `json:"attachmentId"`
	Presigned
}

// snapshotSeat finds the caller's seat in a live session, with the snapshot
// tool on. Only members take snapshots; guests of any kind never.
func (s *Service) snapshotSeat(ctx context.Context, p *access.Principal, sessionID string) (session.Session, session.Participant, error) {
	sess, err := s.store.Session(ctx, sessionID)
	if err != nil {
		return session.Session{}, session.Participant{}, err
	}
	if p == nil || p.OrgID != sess.OrgID {
		return session.Session{}, session.Participant{}, session.ErrNotFound
	}
	if p.Kind != access.Member {
		// As on every session route: a guest's principal finds no session.
		return session.Session{}, session.Participant{}, session.ErrNotFound
	}
	parts, err := s.store.Participants(ctx, sessionID)
	if err != nil {
		return session.Session{}, session.Participant{}, err
	}
	i := slices.IndexFunc(parts, func(x session.Participant) bool { return x.UserID != "" && x.UserID == p.UserID && !x.Removed })
	if i < 0 {
		return session.Session{}, session.Participant{}, session.ErrNotInvited
	}
	me := parts[i]
	if !toolmatrix.Allowed(me.Kind, toolmatrix.Snapshot) || !slices.Contains(me.Tools, toolmatrix.Snapshot) {
		return session.Session{}, session.Participant{}, ErrNoSnapshotTool
	}
	return sess, me, nil
}

// NewSnapshot issues the upload slot of one snapshot: a URL that takes
// exactly the announced bytes of the announced type for UploadTTL, under a
// key of the session's case. The technician's page hands it to the
// customer's page, which uploads the picture it took.
func (s *Service) NewSnapshot(ctx context.Context, p *access.Principal, sessionID string, req SlotRequest) (Slot, error) {
	if err := CheckContentType("contentType", req.ContentType); err != nil {
		return Slot{}, err
	}
	if req.Size <= 0 || req.Size > MaxSnapshotBytes {
		return Slot{}, apperr.InvalidField("size", "size must be between 1 byte and 15 MB")
	}
	sess, me, err := s.snapshotSeat(ctx, p, sessionID)
	if err != nil {
		return Slot{}, err
	}
	if sess.State != session.Live {
		return Slot{}, session.ErrSessionEnded
	}
	now := s.clock.Now()
	id := secret.NewID("at_")
	a := Attachment{ID: id, OrgID: sess.OrgID, CaseID: sess.CaseID, SessionID: sess.ID, Kind: Snapshot, State: Pending,
		Key: SnapshotKey(sess.OrgID, sess.CaseID, id, req.ContentType), ContentType: req.ContentType, Size: req.Size,
		CreatedBy: p.UserID, CreatedByName: me.Name, CreatedAt: now, UploadBy: now.Add(UploadTTL)}
	put, err := s.blobs.PresignPut(ctx, a.Key, a.ContentType, a.Size, UploadTTL)
	if err != nil {
		return Slot{}, err
	}
	if err := s.store.CreateAttachment(ctx, a); err != nil {
		return Slot{}, err
	}
	return Slot{AttachmentID: id, Presigned: put}, nil
}

// completeGrace is how long after its URL expired a snapshot may still be
// completed: an upload that started just in time may end a little later.
const completeGrace = time.Minute

// maxPixels bounds a snapshot's decoded size, so a small file that claims
// a huge picture cannot exhaust the API's memory.
const maxPixels = 60_000_000

// Complete checks the uploaded bytes of a pending snapshot and attaches it to
// the case with a thumbnail. Bytes that are not what the slot was issued
// for (too large, not a JPEG or PNG by their first bytes, not decodable)
// are deleted and refused.
func (s *Service) Complete(ctx context.Context, p *access.Principal, sessionID, id string) (View, error) {
	sess, _, err := s.snapshotSeat(ctx, p, sessionID)
	if err != nil {
		return View{}, err
	}
	a, err := s.store.Attachment(ctx, sess.OrgID, sess.CaseID, id)
	if err != nil {
		return View{}, err
	}
	if a.SessionID != sess.ID || a.Kind != Snapshot {
		return View{}, ErrNotFound
	}
	if a.State != Pending {
		return View{}, ErrNotPending
	}
	size, err := s.blobs.Head(ctx, a.Key)
	if errors.Is(err, ErrBlobMissing) {
		if s.clock.Now().After(a.UploadBy.Add(completeGrace)) {
			s.drop(ctx, a)
			return View{}, ErrUploadExpired
		}
		return View{}, ErrNotUploaded
	}
	if err != nil {
		return View{}, err
	}
	var head []byte
	if size > 0 && size <= MaxSnapshotBytes {
		if head, err = s.blobs.ReadRange(ctx, a.Key, 0, 16); err != nil {
			return View{}, err
		}
	}
	if err := CheckUpload(size, a.ContentType, head); err != nil {
		s.drop(ctx, a)
		return View{}, err
	}
	body, err := s.blobs.ReadRange(ctx, a.Key, 0, size)
	if err != nil {
		return View{}, err
	}
	thumb, err := Thumbnail(body)
	if err != nil {
		s.drop(ctx, a)
		return View{}, err
	}
	a.ThumbKey = ThumbKey(a.OrgID, a.CaseID, a.ID)
	if err := s.blobs.Put(ctx, a.ThumbKey, JPEG, thumb); err != nil {
		return View{}, err
	}
	a.Size, a.State = size, Ready
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: a.OrgID, At: s.clock.Now(), Actor: p.UserID, Action: audit.SessionSnapshotTaken,
		Target: a.ID, Details: map[string]string{"sessionId": sess.ID, "caseId": a.CaseID, "size": strconv.FormatInt(size, 10)}}.By(p.Name)
	if c, err := s.store.Case(ctx, a.OrgID, a.CaseID); err == nil {
		e = e.Naming(c.Title)
	}
	if err := s.store.CompleteSnapshot(ctx, a, e); err != nil {
		return View{}, err
	}
	return s.view(ctx, a)
}

// drop deletes a refused upload and its slot. A failure leaves an object
// no attachment points to, which only costs storage: it is logged.
func (s *Service) drop(ctx context.Context, a Attachment) {
	if err := s.blobs.Delete(ctx, a.Key); err != nil {
		s.log.WarnContext(ctx, "refused upload not deleted", "attachment", a.ID, "err", err)
	}
	if err := s.store.DropPending(ctx, a); err != nil {
		s.log.WarnContext(ctx, "refused snapshot slot not dropped", "attachment", a.ID, "err", err)
	}
}

// Thumbnail decodes a JPEG or PNG and returns a JPEG at most ThumbWidth
// pixels on its larger side.
func Thumbnail(body []byte) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, ErrNotImage
	}
	src, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, ErrNotImage
	}
	w, h := cfg.Width, cfg.Height
	if w >= h && w > ThumbWidth {
		w, h = ThumbWidth, max(1, h*ThumbWidth/w)
	} else if h > w && h > ThumbWidth {
		w, h = max(1, w*ThumbWidth/h), ThumbWidth
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// View is an attachment as the case page lists it.
type View struct {
	ID            string    `json:"id"`
	Kind          Kind      `json:"kind"`
	ContentType   string    `json:"contentType"`
	Size          int64     `json:"size"`
	DurationMs    int64     `json:"durationMs,omitempty"`
	SessionID     string    `json:"sessionId"`
	CreatedBy     string    `json:"createdBy"`
	CreatedByName string    `json:"createdByName"`
	CreatedAt     time.Time `json:"createdAt"`
	// Thumbnail is a presigned URL of a snapshot's thumbnail.
	Thumbnail *Presigned `json:"thumbnail,omitempty"`
}

func (s *Service) view(ctx context.Context, a Attachment) (View, error) {
	v := View{ID: a.ID, Kind: a.Kind, ContentType: a.ContentType, Size: a.Size, DurationMs: a.DurationMs, SessionID: a.SessionID,
		CreatedBy: a.CreatedBy, CreatedByName: a.CreatedByName, CreatedAt: a.CreatedAt}
	if a.ThumbKey != "" {
		t, err := s.blobs.PresignGet(ctx, a.ThumbKey, JPEG, "thumbnail.jpg", DownloadTTL)
		if err != nil {
			return View{}, err
		}
		v.Thumbnail = &t
	}
	return v, nil
}

// readable checks that p may see the files of a case: a member of the
// company who may read its cases. A guest never, even one whose scope holds
// the case.
func readable(p *access.Principal, orgID, caseID string) error {
	if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: orgID, CaseID: caseID}); err != nil {
		return err
	}
	if p.Kind != access.Member {
		return ErrGuest
	}
	return nil
}

// List returns a case's attachments, newest first.
func (s *Service) List(ctx context.Context, p *access.Principal, orgID, caseID string) ([]View, error) {
	if err := readable(p, orgID, caseID); err != nil {
		return nil, err
	}
	if _, err := s.store.Case(ctx, orgID, caseID); err != nil {
		return nil, err
	}
	all, err := s.store.Attachments(ctx, orgID, caseID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].CreatedAt.After(all[j].CreatedAt) })
	out := []View{}
	for _, a := range all {
		if a.State != Ready {
			continue
		}
		v, err := s.view(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Download is one attachment with a short-lived URL of its bytes.
type Download struct {
	View
	Download Presigned `json:"download"`
}

// Get returns one attachment with a download URL good for DownloadTTL.
func (s *Service) Get(ctx context.Context, p *access.Principal, orgID, caseID, id string) (Download, error) {
	if err := readable(p, orgID, caseID); err != nil {
		return Download{}, err
	}
	a, err := s.store.Attachment(ctx, orgID, caseID, id)
	if err != nil {
		return Download{}, err
	}
	if a.State != Ready {
		return Download{}, ErrNotFound
	}
	v, err := s.view(ctx, a)
	if err != nil {
		return Download{}, err
	}
	d, err := s.blobs.PresignGet(ctx, a.Key, a.ContentType, a.Filename(), DownloadTTL)
	if err != nil {
		return Download{}, err
	}
	return Download{View: v, Download: d}, nil
}

var _ session.Recordings = (*Service)(nil)

// Recording takes a relay's report of a recording: started is logged;
// stopped becomes an attachment of the session's case, once per recording.
func (s *Service) Recording(ctx context.Context, sess session.Session, by session.Participant, rec session.Recording, at time.Time) error {
	details := map[string]string{"sessionId": sess.ID, "recordingId": rec.ID}
	title := ""
	if c, err := s.store.Case(ctx, sess.OrgID, sess.CaseID); err == nil {
		title = c.Title
	}
	if rec.State == session.RecordingStarted {
		e := audit.Entry{ID: secret.NewID("a_"), OrgID: sess.OrgID, At: at, Actor: by.UserID, Action: audit.SessionRecordingStarted,
			Target: sess.ID, Details: details}.By(by.Name).Naming(title)
		return s.store.RecordingStarted(ctx, sess.OrgID, rec.ID, e)
	}
	details["reason"] = rec.Reason
	details["durationMs"] = strconv.FormatInt(rec.DurationMs, 10)
	a := Attachment{ID: "rec_" + rec.ID, OrgID: sess.OrgID, CaseID: sess.CaseID, SessionID: sess.ID, Kind: Recording, State: Ready,
		Key: rec.Key, ContentType: WebM, Size: rec.Bytes, DurationMs: rec.DurationMs, CreatedBy: by.UserID, CreatedByName: by.Name,
		CreatedAt: at}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: sess.OrgID, At: at, Actor: by.UserID, Action: audit.SessionRecordingStopped,
		Target: sess.ID, Details: details}.By(by.Name).Naming(title)
	return s.store.AddRecording(ctx, a, e)
}
