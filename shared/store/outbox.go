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
)

var _ outbox.Store = (*Store)(nil)

// DueMessages lists queued messages whose next attempt is due (GSI2).
func (s *Store) DueMessages(ctx context.Context, now time.Time, limit int) ([]outbox.Message, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(index2),
		KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK <= :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(gsiOutboxDue), ":t": str(sortableTime(now) + "#~"),
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	out := make([]outbox.Message, 0, len(res.Items))
	for _, item := range res.Items {
		var it outboxItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, err
		}
		out = append(out, it.message())
	}
	return out, nil
}

// Message reads one outbox message.
func (s *Store) Message(ctx context.Context, id string) (outbox.Message, error) {
	return getAs(ctx, s, outboxPK(id), skOutbox, outbox.ErrNotFound, outboxItem.message)
}

// Claim takes a message for one attempt: the attempt count is the optimistic
// lock, and the due time moves to the lease end so no one else picks it up
// meanwhile.
func (s *Store) Claim(ctx context.Context, m outbox.Message, leaseUntil, now time.Time) (outbox.Message, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(outboxPK(m.ID), skOutbox),
		UpdateExpression:         aws.String("SET Attempts = :next, NextAttemptAt = :lease, GSI2SK = :sk, UpdatedAt = :now"),
		ConditionExpression:      aws.String("#st = :queued AND Attempts = :n AND NextAttemptAt <= :now"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": num(int64(m.Attempts + 1)), ":n": num(int64(m.Attempts)), ":lease": marshalTime(leaseUntil),
			":sk": str(sortableTime(leaseUntil) + "#" + m.ID), ":now": marshalTime(now), ":queued": str(string(outbox.Queued)),
		},
	})
	if isConditionFailed(err) {
		return m, outbox.ErrClaimed
	}
	if err != nil {
		return m, fmt.Errorf("claim message %s: %w", m.ID, err)
	}
	m.Attempts++
	m.NextAttemptAt = leaseUntil
	return m, nil
}

// Delivered marks a message sent, drops its sealed token and shows the status
// on the guest. A provider id is kept on the message with a reference item
// under it, so the provider's later events find the message in one read.
func (s *Store) Delivered(ctx context.Context, m outbox.Message, providerID string, at time.Time) error {
	var extra []types.TransactWriteItem
	if providerID != "" {
		extra = append(extra, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: marshal(newProviderRefItem(m, providerID, at)),
		}})
	}
	return s.finish(ctx, m, &types.Update{
		TableName:                &s.table,
		Key:                      key(outboxPK(m.ID), skOutbox),
		UpdateExpression:         aws.String("SET #st = :sent, UpdatedAt = :at, ProviderID = :pid REMOVE GSI2PK, GSI2SK, SealedToken"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str(string(outbox.Sent)), ":at": marshalTime(at), ":pid": str(providerID),
		},
	}, outbox.Delivery{Status: outbox.Sent, Attempts: m.Attempts, UpdatedAt: at}, extra)
}

// Backlog counts the queued messages (GSI2's due partition holds exactly
// those) and finds the oldest. It reads only the creation times; a backlog
// large enough to make this slow is what the alarm on it is for.
func (s *Store) Backlog(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest time.Time
	var start map[string]types.AttributeValue
	for {
		res, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			IndexName:                 aws.String(index2),
			KeyConditionExpression:    aws.String("GSI2PK = :pk"),
			ProjectionExpression:      aws.String("CreatedAt"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(gsiOutboxDue)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("outbox backlog: %w", err)
		}
		for _, item := range res.Items {
			var it struct{ CreatedAt time.Time }
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return 0, time.Time{}, err
			}
			n++
			if oldest.IsZero() || it.CreatedAt.Before(oldest) {
				oldest = it.CreatedAt
			}
		}
		if len(res.LastEvaluatedKey) == 0 {
			return n, oldest, nil
		}
		start = res.LastEvaluatedKey
	}
}

// Retry puts a message back in the queue for a later attempt.
func (s *Store) Retry(ctx context.Context, m outbox.Message, next time.Time, reason string, at time.Time) error {
	return s.finish(ctx, m, &types.Update{
		TableName:        &s.table,
		Key:              key(outboxPK(m.ID), skOutbox),
		UpdateExpression: aws.String("SET NextAttemptAt = :next, GSI2PK = :pk, GSI2SK = :sk, LastError = :err, UpdatedAt = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": marshalTime(next), ":pk": str(gsiOutboxDue), ":sk": str(sortableTime(next) + "#" + m.ID),
			":err": str(reason), ":at": marshalTime(at),
		},
	}, outbox.Delivery{Status: outbox.Queued, Reason: "retrying: " + reason, Attempts: m.Attempts, UpdatedAt: at}, nil)
}

// Fail marks a message failed for good and audits it.
func (s *Store) Fail(ctx context.Context, m outbox.Message, reason string, at time.Time, entry audit.Entry) error {
	var extra []types.TransactWriteItem
	if m.OrgID != "" {
		extra = append(extra, putNew(s.table, newAuditItem(entry)))
	}
	return s.finish(ctx, m, &types.Update{
		TableName:                &s.table,
		Key:                      key(outboxPK(m.ID), skOutbox),
		UpdateExpression:         aws.String("SET #st = :failed, LastError = :err, UpdatedAt = :at REMOVE GSI2PK, GSI2SK, SealedToken"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":failed": str(string(outbox.Failed)), ":err": str(reason), ":at": marshalTime(at),
		},
	}, outbox.Delivery{Status: outbox.Failed, Reason: reason, Attempts: m.Attempts, UpdatedAt: at}, extra)
}

// finish writes a message's new state and, for invitation messages, the
// delivery status on the guest, together. If the guest moved on to a newer
// invitation meanwhile, only the message is updated.
func (s *Store) finish(ctx context.Context, m outbox.Message, upd *types.Update, d outbox.Delivery, extra []types.TransactWriteItem) error {
	items := append([]types.TransactWriteItem{{Update: upd}}, extra...)
	withGuest := items
	switch {
	case m.Kind == outbox.MemberInvite && m.InvitationID != "":
		// A member invitation keeps its delivery status on its listed copy.
		withGuest = append(withGuest[:len(withGuest):len(withGuest)], types.TransactWriteItem{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(orgPK(m.OrgID), memberInvSK(m.InvitationID)),
			UpdateExpression:          aws.String("SET Deliveries.#ch = :d"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#ch": string(m.Channel)},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": mustMarshal(d)},
		}})
	case m.InvitationID != "":
		withGuest = append(withGuest[:len(withGuest):len(withGuest)], types.TransactWriteItem{Update: &types.Update{
			TableName:                &s.table,
			Key:                      key(orgPK(m.OrgID), guestSK(m.GuestID)),
			UpdateExpression:         aws.String("SET Deliveries.#ch = :d"),
			ConditionExpression:      aws.String("InvitationID = :inv"),
			ExpressionAttributeNames: map[string]string{"#ch": string(m.Channel)},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":d": mustMarshal(d), ":inv": str(m.InvitationID),
			},
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: withGuest})
	if err != nil && len(withGuest) > len(items) && failedAt(cancelReasons(err), len(withGuest)-1) {
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	}
	if err != nil {
		return fmt.Errorf("record delivery of %s: %w", m.ID, err)
	}
	return nil
}

func mustMarshal(v any) types.AttributeValue {
	return &types.AttributeValueMemberM{Value: marshal(v)}
}
