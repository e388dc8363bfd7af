package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/session"
)

var _ session.QualityStore = (*Store)(nil)

// MarkQuality merges a participant's connection summary into their item,
// with the event's id put on the condition that it is new, in one
// transaction. The worst figures are a maximum DynamoDB cannot take in an
// update: the item is read, merged and written on the condition that no
// other summary was written meanwhile (NetUpdates), and tried again if one
// was.
func (s *Store) MarkQuality(ctx context.Context, sessionID, participantID string, q session.NetSummary, eventID string, forgetAt time.Time) error {
	for range 4 {
		var it participantItem
		if err := s.get(ctx, sessionPK(sessionID), participantSK(participantID), &it); err != nil {
			if err == errNoItem {
				return session.ErrParticipant
			}
			return err
		}
		m := it.participant().Net.Merge(q)
		cond := "attribute_exists(PK) AND attribute_not_exists(NetUpdates)"
		vals := map[string]types.AttributeValue{
			":r": num(int64(m.Reconnects)), ":rtt": num(m.WorstRTTMs), ":kbps": num(m.LowestKbps),
			":loss": &types.AttributeValueMemberN{Value: strconv.FormatFloat(m.WorstLossPct, 'f', -1, 64)},
			":next": num(int64(it.NetUpdates + 1)),
		}
		if it.NetUpdates > 0 {
			cond = "attribute_exists(PK) AND NetUpdates = :prev"
			vals[":prev"] = num(int64(it.NetUpdates))
		}
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			putNew(s.table, relayEventItem{PK: relayEventPK(eventID), SK: skMeta, Type: "relay-event", SessionID: sessionID,
				TTL: forgetAt.Unix()}),
			{Update: &types.Update{
				TableName: &s.table, Key: key(sessionPK(sessionID), participantSK(participantID)),
				UpdateExpression: aws.String("SET NetReconnects = :r, NetWorstRTTMs = :rtt, NetWorstLossPct = :loss, " +
					"NetLowestKbps = :kbps, NetUpdates = :next"),
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeValues: vals,
			}},
		}})
		reasons := cancelReasons(err)
		switch {
		case failedAt(reasons, 0):
			return session.ErrEventReplayed
		case failedAt(reasons, 1):
			continue // another summary was merged meanwhile
		case err != nil:
			return fmt.Errorf("mark quality: %w", err)
		}
		return nil
	}
	return fmt.Errorf("mark quality: %s/%s kept changing", sessionID, participantID)
}
