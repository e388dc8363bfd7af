// Package attachment holds the files a live session leaves on its case:
// snapshots of the customer's camera and the relay's recordings. It decides
// who may ask for an upload, which uploaded bytes become an attachment and
// who may see them; the bytes themselves live in an object store behind the
// Blobs interface, of which this package knows nothing more.
package attachment

import (
	"bytes"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Kind is what an attachment holds.
type Kind string

// Attachment kinds.
const (
	Snapshot  Kind = "snapshot"
	Recording Kind = "recording"
)

// State of an attachment: a snapshot is pending from the moment its upload
// slot is issued until its bytes have been checked.
type State string

// Attachment states.
const (
	Pending State = "pending"
	Ready   State = "ready"
)

// Limits of snapshots and of the URLs that move their bytes.
const (
	// MaxSnapshotBytes bounds one snapshot: a full-resolution JPEG of a
	// phone camera stays well under it.
	MaxSnapshotBytes = 15 << 20
	// UploadTTL is how long an upload slot's URL works: the customer's page
	// takes the still and uploads it at once.
	UploadTTL = 2 * time.Minute
	// DownloadTTL is how long a download or thumbnail URL works; the case
	// page asks again when it is opened again.
	DownloadTTL = 5 * time.Minute
	// ThumbWidth bounds a thumbnail's larger side, in pixels.
	ThumbWidth = 320
)

// Content types an attachment may have.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebM = "video/webm"
)

// Attachment is one file on a case.
type Attachment struct {
	ID        string
	OrgID     string
	CaseID    string
	SessionID string
	Kind      Kind
	State     State
	// Key is the object's key in the store; ThumbKey a snapshot's
	// thumbnail, once made.
	Key         string
	ThumbKey    string
	ContentType string
	Size        int64
	DurationMs  int64
	// CreatedBy is the user id of the technician who took the snapshot or
	// started the recording; CreatedByName their name at that time.
	CreatedBy     string
	CreatedByName string
	CreatedAt     time.Time
	// UploadBy is when a pending snapshot's upload URL stops working.
	UploadBy time.Time
}

// Errors.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "attachment_not_found", "No such attachment.")
	// ErrGuest: a guest never sees a case's files, whatever their scope.
	ErrGuest = apperr.New(apperr.Forbidden, "attachments_not_for_guests", "Snapshots, recordings and notes are for the company's technicians only.")
	// ErrNoSnapshotTool: the caller's snapshot tool is off, or their kind has none.
	ErrNoSnapshotTool = apperr.New(apperr.Forbidden, "snapshot_not_allowed", "Your snapshot tool is switched off in this session.")
	ErrNotUploaded    = apperr.New(apperr.Conflict, "snapshot_not_uploaded", "The snapshot has not been uploaded yet.")
	ErrNotPending     = apperr.New(apperr.Conflict, "snapshot_already_complete", "This snapshot is already attached to the case.")
	ErrUploadExpired  = apperr.New(apperr.Gone, "snapshot_upload_expired", "The upload for this snapshot has expired; take another.")
	ErrTooLarge       = apperr.New(apperr.Invalid, "snapshot_too_large", "The snapshot is larger than 15 MB.")
	ErrNotImage       = apperr.New(apperr.Invalid, "snapshot_not_an_image", "The snapshot is not a JPEG or PNG picture.")
	// ErrBlobMissing is what a Blobs implementation returns for a key that
	// holds nothing.
	ErrBlobMissing = apperr.New(apperr.NotFound, "blob_missing", "The file is not there.")
)

// Sniff names the image type of the first bytes of a file by their magic
// numbers, or returns "" for anything else. The uploader's declared type is
// not trusted: the object store does not check it in every deployment.
func Sniff(head []byte) string {
	switch {
	case len(head) >= 3 && bytes.Equal(head[:3], []byte{0xff, 0xd8, 0xff}):
		return JPEG
	case len(head) >= 8 && bytes.Equal(head[:8], []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}):
		return PNG
	}
	return ""
}

// CheckUpload decides whether an uploaded object becomes a snapshot: its
// size as stored, and its type by its first bytes, which must agree with the
// type the upload slot was issued for.
func CheckUpload(size int64, declared string, head []byte) error {
	switch {
	case size <= 0:
		return ErrNotImage
	case size > MaxSnapshotBytes:
		return ErrTooLarge
	}
	if got := Sniff(head); got == "" || got != declared {
		return ErrNotImage
	}
	return nil
}

// CheckContentType validates the type a snapshot will be uploaded as.
func CheckContentType(field, ct string) error {
	if ct != JPEG && ct != PNG {
		return apperr.InvalidField(field, "contentType must be image/jpeg or image/png")
	}
	return nil
}

// SnapshotKey is where a snapshot's bytes go: under attachments/, the only
// prefix the API may write, with the organisation and case in the path.
func SnapshotKey(orgID, caseID, id, contentType string) string {
	ext := ".jpg"
	if contentType == PNG {
		ext = ".png"
	}
	return "attachments/" + orgID + "/" + caseID + "/" + id + ext
}

// ThumbKey is where a snapshot's thumbnail goes.
func ThumbKey(orgID, caseID, id string) string {
	return "attachments/" + orgID + "/" + caseID + "/" + id + ".thumb.jpg"
}

// RecordingKey is where the relay puts a recording: under recordings/,
// the only prefix the relay may write.
func RecordingKey(sessionID, id string) string { return "recordings/" + sessionID + "/" + id + ".webm" }

// Filename is the name a download is saved under.
func (a Attachment) Filename() string {
	ext := ".jpg"
	switch a.ContentType {
	case PNG:
		ext = ".png"
	case WebM:
		ext = ".webm"
	}
	return string(a.Kind) + "-" + a.CreatedAt.UTC().Format("20060102-150405") + ext
}
