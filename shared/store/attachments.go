package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/attachment"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/notes"
)

var (
	_ attachment.Store = (*Store)(nil)
	_ notes.Store      = (*Store)(nil)
)

func attachSK(caseID, id string) string       { return "ATTACH#" + caseID + "#" + id }
func recStartSK(recordingID string) string    { return "RECSTART#" + recordingID }
func notesSK(caseID, sessionID string) string { return "NOTES#" + caseID + "#" + sessionID }

type attachItem struct {
	PK, SK        string
	Type          string
	ID            string
	OrgID         string
	CaseID        string
	SessionID     string
	Kind          string
	State         string
	ObjectKey     string
	ThumbKey      string
	ContentType   string
	Size          int64
	DurationMs    int64
	CreatedBy     string
	CreatedByName string
	CreatedAt     time.Time
	UploadBy      time.Time
	// TTL removes a pending slot nobody completed; a ready attachment has none.
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

func newAttachItem(a attachment.Attachment) attachItem {
	it := attachItem{PK: orgPK(a.OrgID), SK: attachSK(a.CaseID, a.ID), Type: "attachment", ID: a.ID, OrgID: a.OrgID,
		CaseID: a.CaseID, SessionID: a.SessionID, Kind: string(a.Kind), State: string(a.State), ObjectKey: a.Key,
		ThumbKey: a.ThumbKey, ContentType: a.ContentType, Size: a.Size, DurationMs: a.DurationMs, CreatedBy: a.CreatedBy,
		CreatedByName: a.CreatedByName, CreatedAt: a.CreatedAt, UploadBy: a.UploadBy}
	if a.State == attachment.Pending {
		it.TTL = a.UploadBy.Add(24 * time.Hour).Unix()
	}
	return it
}

func (it attachItem) attachment() attachment.Attachment {
	return attachment.Attachment{ID: it.ID, OrgID: it.OrgID, CaseID: it.CaseID, SessionID: it.SessionID,
		Kind: attachment.Kind(it.Kind), State: attachment.State(it.State), Key: it.ObjectKey, ThumbKey: it.ThumbKey,
		ContentType: it.ContentType, Size: it.Size, DurationMs: it.DurationMs, CreatedBy: it.CreatedBy,
		CreatedByName: it.CreatedByName, CreatedAt: it.CreatedAt, UploadBy: it.UploadBy}
}

// CreateAttachment stores a new attachment.
func (s *Store) CreateAttachment(ctx context.Context, a attachment.Attachment) error {
	return s.transact(ctx, "create attachment", []types.TransactWriteItem{putNew(s.table, newAttachItem(a))},
		errors.New("create attachment: id taken"))
}

// Attachment reads one attachment of a case.
func (s *Store) Attachment(ctx context.Context, orgID, caseID, id string) (attachment.Attachment, error) {
	return getAs(ctx, s, orgPK(orgID), attachSK(caseID, id), attachment.ErrNotFound, attachItem.attachment)
}

// Attachments lists a case's attachments.
func (s *Store) Attachments(ctx context.Context, orgID, caseID string) ([]attachment.Attachment, error) {
	return listAs(ctx, s, orgPK(orgID), "ATTACH#"+caseID+"#", attachItem.attachment)
}

// CompleteSnapshot makes a pending snapshot ready, with entry, on the
// condition that it is still pending: two completions race for one.
func (s *Store) CompleteSnapshot(ctx context.Context, a attachment.Attachment, entry audit.Entry) error {
	return s.transact(ctx, "complete snapshot", []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(orgPK(a.OrgID), attachSK(a.CaseID, a.ID)),
			UpdateExpression:         aws.String("SET #state = :ready, #size = :size, ThumbKey = :thumb REMOVE #ttl"),
			ConditionExpression:      aws.String("#state = :pending"),
			ExpressionAttributeNames: map[string]string{"#state": "State", "#size": "Size", "#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":ready": str(string(attachment.Ready)), ":pending": str(string(attachment.Pending)),
				":size": num(a.Size), ":thumb": str(a.ThumbKey),
			},
		}},
		putNew(s.table, newAuditItem(entry)),
	}, attachment.ErrNotPending)
}

// DropPending deletes a pending attachment.
func (s *Store) DropPending(ctx context.Context, a attachment.Attachment) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: key(orgPK(a.OrgID), attachSK(a.CaseID, a.ID)),
		ConditionExpression:       aws.String("#state = :pending"),
		ExpressionAttributeNames:  map[string]string{"#state": "State"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(string(attachment.Pending))},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("drop pending attachment: %w", err)
	}
	return nil
}

// AddRecording stores a recording's attachment and its audit entry once.
func (s *Store) AddRecording(ctx context.Context, a attachment.Attachment, entry audit.Entry) error {
	err := s.transact(ctx, "add recording", []types.TransactWriteItem{
		putNew(s.table, newAttachItem(a)), putNew(s.table, newAuditItem(entry)),
	}, errAlready)
	if errors.Is(err, errAlready) {
		return nil
	}
	return err
}

type recStartItem struct {
	PK, SK string
	Type   string
	At     time.Time
}

// RecordingStarted writes entry once per recording.
func (s *Store) RecordingStarted(ctx context.Context, orgID, recordingID string, entry audit.Entry) error {
	err := s.transact(ctx, "recording started", []types.TransactWriteItem{
		putNew(s.table, recStartItem{PK: orgPK(orgID), SK: recStartSK(recordingID), Type: "recording-start", At: entry.At}),
		putNew(s.table, newAuditItem(entry)),
	}, errAlready)
	if errors.Is(err, errAlready) {
		return nil
	}
	return err
}

var errAlready = errors.New("already stored")

type notesItem struct {
	PK, SK        string
	Type          string
	OrgID         string
	CaseID        string
	SessionID     string
	Text          string
	Version       int64
	UpdatedAt     time.Time
	UpdatedBy     string
	UpdatedByName string
}

func (it notesItem) notes() notes.Notes {
	return notes.Notes{OrgID: it.OrgID, CaseID: it.CaseID, SessionID: it.SessionID, Text: it.Text, Version: it.Version,
		UpdatedAt: it.UpdatedAt, UpdatedBy: it.UpdatedBy, UpdatedByName: it.UpdatedByName}
}

// Notes reads a session's notes.
func (s *Store) Notes(ctx context.Context, orgID, caseID, sessionID string) (notes.Notes, error) {
	return getAs(ctx, s, orgPK(orgID), notesSK(caseID, sessionID), notes.ErrNotFound, notesItem.notes)
}

// SaveNotes writes notes on the condition that they replace the version
// before n.Version: a put conditioned on the stored version, not a read then
// a write.
func (s *Store) SaveNotes(ctx context.Context, n notes.Notes) error {
	cond := "attribute_not_exists(PK)"
	values := map[string]types.AttributeValue{}
	if n.Version > 1 {
		cond = "Version = :prev"
		values[":prev"] = num(n.Version - 1)
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, ConditionExpression: aws.String(cond),
		Item: marshal(notesItem{PK: orgPK(n.OrgID), SK: notesSK(n.CaseID, n.SessionID), Type: "notes", OrgID: n.OrgID,
			CaseID: n.CaseID, SessionID: n.SessionID, Text: n.Text, Version: n.Version, UpdatedAt: n.UpdatedAt,
			UpdatedBy: n.UpdatedBy, UpdatedByName: n.UpdatedByName})}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	_, err := s.db.PutItem(ctx, in)
	if isConditionFailed(err) {
		return notes.ErrChanged
	}
	if err != nil {
		return fmt.Errorf("save notes: %w", err)
	}
	return nil
}

// CaseNotes lists the notes of a case's sessions.
func (s *Store) CaseNotes(ctx context.Context, orgID, caseID string) ([]notes.Notes, error) {
	return listAs(ctx, s, orgPK(orgID), "NOTES#"+caseID+"#", notesItem.notes)
}
