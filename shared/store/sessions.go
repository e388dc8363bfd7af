package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/session"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

var _ session.Store = (*Store)(nil)

func sessionPK(id string) string     { return "SESSION#" + id }
func participantSK(id string) string { return "PART#" + id }
func slinkPK(hash string) string     { return "SLINK#" + hash }

// participantEmailPK finds a company's live session seats by email, to
// disconnect a guest whose account ends.
func participantEmailPK(org, email string) string { return "PARTEMAIL#" + org + "#" + email }

// participantUserPK finds a company's live session seats of a signed-in
// technician, to close them when the member is removed.
func participantUserPK(org, userID string) string { return "PARTUSER#" + org + "#" + userID }

type sessionItem struct {
	PK, SK        string
	Type          string
	ID            string
	OrgID         string
	CaseID        string
	PrimaryUserID string
	State         string
	RelayTaskID   string
	SignalURL     string
	CreatedAt     time.Time
	EndedAt       time.Time
	EndReason     string `dynamodbav:",omitempty"`
}

type participantItem struct {
	PK, SK         string
	GSI1PK, GSI1SK string `dynamodbav:",omitempty"`
	Type           string
	ID             string
	SessionID      string
	OrgID          string
	Kind           string
	UserID         string `dynamodbav:",omitempty"`
	Email          string `dynamodbav:",omitempty"`
	Name           string
	Tools          []string
	InvitedAt      time.Time
	JoinedAt       time.Time `dynamodbav:",omitempty"`
	LeftAt         time.Time `dynamodbav:",omitempty"`
	Removed        bool
	RemovedWhy     string `dynamodbav:",omitempty"`
	RemovedNote    string `dynamodbav:",omitempty"`
	// Net* are the connection summary (netquality.go); NetUpdates counts
	// its writes, the condition of the next.
	NetReconnects   int     `dynamodbav:",omitempty"`
	NetWorstRTTMs   int64   `dynamodbav:",omitempty"`
	NetWorstLossPct float64 `dynamodbav:",omitempty"`
	NetLowestKbps   int64   `dynamodbav:",omitempty"`
	NetUpdates      int     `dynamodbav:",omitempty"`
}

func newParticipantItem(p session.Participant) participantItem {
	it := participantItem{PK: sessionPK(p.SessionID), SK: participantSK(p.ID), Type: "participant", ID: p.ID,
		SessionID: p.SessionID, OrgID: p.OrgID, Kind: string(p.Kind), UserID: p.UserID, Email: p.Email, Name: p.Name,
		InvitedAt: p.InvitedAt, JoinedAt: p.JoinedAt, LeftAt: p.LeftAt, Removed: p.Removed, RemovedWhy: p.RemovedWhy,
		RemovedNote: p.RemovedNote, Tools: toolStrings(p.Tools),
		NetReconnects: p.Net.Reconnects, NetWorstRTTMs: p.Net.WorstRTTMs, NetWorstLossPct: p.Net.WorstLossPct, NetLowestKbps: p.Net.LowestKbps}
	switch {
	case p.Removed:
	case p.Email != "":
		it.GSI1PK, it.GSI1SK = participantEmailPK(p.OrgID, p.Email), "SESSION#"+p.SessionID
	case p.UserID != "":
		it.GSI1PK, it.GSI1SK = participantUserPK(p.OrgID, p.UserID), "SESSION#"+p.SessionID
	}
	return it
}

func (it participantItem) participant() session.Participant {
	p := session.Participant{ID: it.ID, SessionID: it.SessionID, OrgID: it.OrgID, Kind: toolmatrix.Kind(it.Kind),
		UserID: it.UserID, Email: it.Email, Name: it.Name, InvitedAt: it.InvitedAt, JoinedAt: it.JoinedAt,
		LeftAt: it.LeftAt, Removed: it.Removed, RemovedWhy: it.RemovedWhy, RemovedNote: it.RemovedNote,
		Tools: []toolmatrix.Tool{},
		Net:   session.NetSummary{Reconnects: it.NetReconnects, WorstRTTMs: it.NetWorstRTTMs, WorstLossPct: it.NetWorstLossPct, LowestKbps: it.NetLowestKbps}}
	for _, t := range it.Tools {
		p.Tools = append(p.Tools, toolmatrix.Tool(t))
	}
	return p
}

func toolStrings(ts []toolmatrix.Tool) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

type slinkItem struct {
	PK, SK        string
	Type          string
	SessionID     string
	OrgID         string
	ParticipantID string
	Kind          string
	Used          bool
	UsedAt        time.Time
	ExpiresAt     time.Time
	CreatedAt     time.Time
	TTL           int64 `dynamodbav:"ttl"`
}

// RelayTasks lists the relays' registry items.
func (s *Store) RelayTasks(ctx context.Context) ([]session.RelayTask, error) {
	var out []session.RelayTask
	err := s.queryPrefix(ctx, "RELAY", "TASK#", func(item map[string]types.AttributeValue) error {
		var it struct {
			TaskID      string `dynamodbav:"taskId"`
			SignalURL   string `dynamodbav:"signalUrl"`
			Load        int    `dynamodbav:"load"`
			Draining    bool   `dynamodbav:"draining"`
			HeartbeatAt string `dynamodbav:"heartbeatAt"`
		}
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		hb, _ := time.Parse(time.RFC3339, it.HeartbeatAt)
		out = append(out, session.RelayTask{TaskID: it.TaskID, SignalURL: it.SignalURL, Load: it.Load, Draining: it.Draining, HeartbeatAt: hb})
		return nil
	})
	return out, err
}

// CreateSession writes a session with its first participants, the links and
// messages, and the audit entry, in one transaction.
func (s *Store) CreateSession(ctx context.Context, sess session.Session, parts []session.Participant, links []session.Link, msgs []outbox.Message, entry audit.Entry) error {
	items := []types.TransactWriteItem{putNew(s.table, sessionItem{PK: sessionPK(sess.ID), SK: skMeta, Type: "session",
		ID: sess.ID, OrgID: sess.OrgID, CaseID: sess.CaseID, PrimaryUserID: sess.PrimaryUserID, State: string(sess.State),
		RelayTaskID: sess.RelayTaskID, SignalURL: sess.SignalURL, CreatedAt: sess.CreatedAt}),
		putNew(s.table, newCaseSessionItem(sess))}
	for _, p := range parts {
		items = append(items, putNew(s.table, newParticipantItem(p)))
	}
	for _, l := range links {
		items = append(items, putNew(s.table, newSlinkItem(l)))
	}
	for _, m := range msgs {
		items = append(items, putNew(s.table, newOutboxItem(m)))
	}
	items = append(items, putNew(s.table, newAuditItem(entry)))
	if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func newSlinkItem(l session.Link) slinkItem {
	return slinkItem{PK: slinkPK(l.TokenHash), SK: skInv, Type: "session-link", SessionID: l.SessionID, OrgID: l.OrgID,
		ParticipantID: l.ParticipantID, Kind: string(l.Kind), Used: l.Used, ExpiresAt: l.ExpiresAt, CreatedAt: l.CreatedAt,
		TTL: l.ExpiresAt.Add(invitationRetention).Unix()}
}

func (it sessionItem) session() session.Session {
	return session.Session{ID: it.ID, OrgID: it.OrgID, CaseID: it.CaseID, PrimaryUserID: it.PrimaryUserID,
		State: session.State(it.State), RelayTaskID: it.RelayTaskID, SignalURL: it.SignalURL, CreatedAt: it.CreatedAt,
		EndedAt: it.EndedAt, EndReason: it.EndReason}
}

// Session reads a session.
func (s *Store) Session(ctx context.Context, id string) (session.Session, error) {
	return getAs(ctx, s, sessionPK(id), skMeta, session.ErrNotFound, sessionItem.session)
}

// Participants lists a session's participants.
func (s *Store) Participants(ctx context.Context, sessionID string) ([]session.Participant, error) {
	return listAs(ctx, s, sessionPK(sessionID), "PART#", participantItem.participant)
}

// AddParticipant adds an invited participant, on the condition that the
// session is live.
func (s *Store) AddParticipant(ctx context.Context, p session.Participant, link *session.Link, msgs []outbox.Message, entry audit.Entry) error {
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: key(sessionPK(p.SessionID), skMeta),
			ConditionExpression:       aws.String("#st = :live"),
			ExpressionAttributeNames:  map[string]string{"#st": "State"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":live": str(string(session.Live))}}},
		putNew(s.table, newParticipantItem(p)),
		putNew(s.table, newAuditItem(entry)),
	}
	if link != nil {
		items = append(items, putNew(s.table, newSlinkItem(*link)))
	}
	for _, m := range msgs {
		items = append(items, putNew(s.table, newOutboxItem(m)))
	}
	return s.transact(ctx, "add participant", items, session.ErrSessionEnded)
}

// Link reads a session link by the hash of its token.
func (s *Store) Link(ctx context.Context, hash string) (session.Link, error) {
	return getAs(ctx, s, slinkPK(hash), skInv, session.ErrLinkExpired, func(it slinkItem) session.Link {
		return session.Link{TokenHash: hash, SessionID: it.SessionID, OrgID: it.OrgID, ParticipantID: it.ParticipantID,
			Kind: toolmatrix.Kind(it.Kind), Used: it.Used, ExpiresAt: it.ExpiresAt, CreatedAt: it.CreatedAt}
	})
}

// UseLink consumes a single-use link with a conditional write.
func (s *Store) UseLink(ctx context.Context, hash string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(slinkPK(hash), skInv),
		UpdateExpression:         aws.String("SET #used = :true, UsedAt = :at"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND #used = :false AND ExpiresAt > :at"),
		ExpressionAttributeNames: map[string]string{"#used": "Used"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true": boolean(true), ":false": boolean(false), ":at": marshalTime(at),
		},
	})
	if isConditionFailed(err) {
		return session.ErrLinkExpired
	}
	if err != nil {
		return fmt.Errorf("use session link: %w", err)
	}
	return nil
}

// EndSession marks a session ended, once.
func (s *Store) EndSession(ctx context.Context, sess session.Session, at time.Time, reason string, entry audit.Entry) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(sessionPK(sess.ID), skMeta),
			UpdateExpression:         aws.String("SET #st = :ended, EndedAt = :at, EndReason = :r"),
			ConditionExpression:      aws.String("#st = :live"),
			ExpressionAttributeNames: map[string]string{"#st": "State"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":ended": str(string(session.Ended)), ":live": str(string(session.Live)), ":at": marshalTime(at), ":r": str(reason),
			},
		}},
		putNew(s.table, newAuditItem(entry)),
	}})
	if failedAt(cancelReasons(err), 0) {
		return session.ErrSessionEnded
	}
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// RemoveParticipant bans a participant from the session.
func (s *Store) RemoveParticipant(ctx context.Context, p session.Participant, at time.Time, reason, note string, entry audit.Entry) error {
	return s.updateWithAudit(ctx, sessionPK(p.SessionID), participantSK(p.ID),
		"SET #removed = :true, RemovedWhy = :r, RemovedNote = :n, LeftAt = if_not_exists(LeftAt, :at) REMOVE GSI1PK, GSI1SK",
		map[string]string{"#removed": "Removed"},
		map[string]types.AttributeValue{":true": boolean(true), ":r": str(reason), ":n": str(note), ":at": marshalTime(at)},
		entry, session.ErrParticipant)
}

// SetTools stores the tools a participant may use.
func (s *Store) SetTools(ctx context.Context, p session.Participant, tools []toolmatrix.Tool, entry audit.Entry) error {
	return s.updateWithAudit(ctx, sessionPK(p.SessionID), participantSK(p.ID), "SET #tools = :t",
		map[string]string{"#tools": "Tools"},
		map[string]types.AttributeValue{":t": &types.AttributeValueMemberL{Value: strList(toolStrings(tools))}},
		entry, session.ErrParticipant)
}

// relayEventPK remembers a relay event's id, so that a signed event is
// recorded once across every API instance.
func relayEventPK(id string) string { return "RELAYEVENT#" + id }

type relayEventItem struct {
	PK, SK    string
	Type      string
	SessionID string
	TTL       int64 `dynamodbav:"ttl"`
}

// MarkPresence records a join or a leave reported by the relay, with the
// event's id put on the condition that it is new, in one transaction: a
// replayed event changes nothing.
func (s *Store) MarkPresence(ctx context.Context, sessionID, participantID string, joined bool, at time.Time, eventID string, forgetAt time.Time, entry audit.Entry) error {
	expr := "SET LeftAt = :at"
	if joined {
		expr = "SET JoinedAt = :at REMOVE LeftAt"
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		putNew(s.table, relayEventItem{PK: relayEventPK(eventID), SK: skMeta, Type: "relay-event", SessionID: sessionID,
			TTL: forgetAt.Unix()}),
		{Update: &types.Update{
			TableName: &s.table, Key: key(sessionPK(sessionID), participantSK(participantID)), UpdateExpression: aws.String(expr),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": marshalTime(at)},
		}},
		putNew(s.table, newAuditItem(entry)),
	}})
	reasons := cancelReasons(err)
	switch {
	case failedAt(reasons, 0):
		return session.ErrEventReplayed
	case failedAt(reasons, 1):
		return session.ErrParticipant
	case err != nil:
		return fmt.Errorf("mark presence: %w", err)
	}
	return nil
}

// LiveParticipantsByEmail lists the not-removed seats of email in a company's
// sessions (GSI1).
func (s *Store) LiveParticipantsByEmail(ctx context.Context, orgID, email string) ([]session.Participant, error) {
	return s.liveParticipants(ctx, participantEmailPK(orgID, email))
}

// LiveParticipantsByUser lists the not-removed seats of a signed-in
// technician in a company's sessions (GSI1).
func (s *Store) LiveParticipantsByUser(ctx context.Context, orgID, userID string) ([]session.Participant, error) {
	return s.liveParticipants(ctx, participantUserPK(orgID, userID))
}

func (s *Store) liveParticipants(ctx context.Context, gsi1pk string) ([]session.Participant, error) {
	var out []session.Participant
	err := s.queryAll(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(index1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(gsi1pk)},
	}, func(item map[string]types.AttributeValue) error {
		var it participantItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out = append(out, it.participant())
		return nil
	})
	return out, err
}
