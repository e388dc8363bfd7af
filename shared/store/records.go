package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/session"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// recordSK orders a session's record by time; the event id keeps two lines
// of one instant apart.
func recordSK(at time.Time, eventID string) string { return "REC#" + sortableTime(at) + "#" + eventID }

// caseSessionsPK lists a case's sessions for its report, newest last.
func caseSessionsPK(org, caseID string) string { return "CASESESSIONS#" + org + "#" + caseID }

type recordItem struct {
	PK, SK        string
	Type          string
	SessionID     string
	ParticipantID string
	Tool          string
	Text          string
	At            time.Time
}

type caseSessionItem struct {
	PK, SK    string
	Type      string
	SessionID string
}

func newCaseSessionItem(sess session.Session) caseSessionItem {
	return caseSessionItem{PK: caseSessionsPK(sess.OrgID, sess.CaseID), SK: "SESSION#" + sortableTime(sess.CreatedAt) + "#" + sess.ID,
		Type: "case-session", SessionID: sess.ID}
}

// AppendRecord stores one line of a session's record together with its
// event id, on the conditions that the id is new, the session's count of
// lines is under the bound and the participant is the session's, in one
// transaction: a replayed or excess line changes nothing.
func (s *Store) AppendRecord(ctx context.Context, e session.RecordEntry, forgetAt time.Time) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		putNew(s.table, relayEventItem{PK: relayEventPK(e.EventID), SK: skMeta, Type: "relay-event", SessionID: e.SessionID,
			TTL: forgetAt.Unix()}),
		{Update: &types.Update{
			TableName: &s.table, Key: key(sessionPK(e.SessionID), skMeta),
			UpdateExpression:    aws.String("SET RecordCount = if_not_exists(RecordCount, :zero) + :one"),
			ConditionExpression: aws.String("attribute_exists(PK) AND (attribute_not_exists(RecordCount) OR RecordCount < :max)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":zero": num(0), ":one": num(1), ":max": &types.AttributeValueMemberN{Value: strconv.Itoa(session.MaxRecordEntries)},
			},
		}},
		{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: key(sessionPK(e.SessionID), participantSK(e.ParticipantID)),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
		putNew(s.table, recordItem{PK: sessionPK(e.SessionID), SK: recordSK(e.At, e.EventID), Type: "session-record",
			SessionID: e.SessionID, ParticipantID: e.ParticipantID, Tool: string(e.Tool), Text: e.Text, At: e.At}),
	}})
	reasons := cancelReasons(err)
	switch {
	case failedAt(reasons, 0):
		return session.ErrEventReplayed
	case failedAt(reasons, 1):
		return session.ErrRecordFull
	case failedAt(reasons, 2):
		return session.ErrParticipant
	case err != nil:
		return fmt.Errorf("append record: %w", err)
	}
	return nil
}

// CompanyMembers lists a company's members for the session picker.
func (s *Store) CompanyMembers(ctx context.Context, orgID string) ([]identity.Member, error) {
	return listAs(ctx, s, orgPK(orgID), "MEMBER#", memberItem.member)
}

// Record reads a session's record in time order.
func (s *Store) Record(ctx context.Context, sessionID string) ([]session.RecordEntry, error) {
	return listAs(ctx, s, sessionPK(sessionID), "REC#", func(it recordItem) session.RecordEntry {
		return session.RecordEntry{SessionID: it.SessionID, ParticipantID: it.ParticipantID, Tool: toolmatrix.Tool(it.Tool),
			Text: it.Text, At: it.At}
	})
}

// CaseSessions reads the sessions of a case.
func (s *Store) CaseSessions(ctx context.Context, orgID, caseID string) ([]session.Session, error) {
	refs, err := listAs(ctx, s, caseSessionsPK(orgID, caseID), "SESSION#", func(it caseSessionItem) string { return it.SessionID })
	if err != nil {
		return nil, err
	}
	out := make([]session.Session, 0, len(refs))
	for _, id := range refs {
		sess, err := s.Session(ctx, id)
		if err != nil {
			return nil, err
		}
		if sess.OrgID == orgID && sess.CaseID == caseID {
			out = append(out, sess)
		}
	}
	return out, nil
}
