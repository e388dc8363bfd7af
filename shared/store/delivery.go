package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/delivery"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

var _ delivery.Store = (*Store)(nil)

// providerRefRetention is how long a provider's events can still find their
// message: complaints arrive days after the delivery, rarely weeks.
const providerRefRetention = 30 * 24 * time.Hour

const skProviderRef = "REF"

const blockSet = "EmailBlocked = :addr, EmailBlockedReason = :why, EmailBlockedAt = :bat"

// providerRefPK keys a sent message by the provider's id; the channel is part
// of it because SES and SNS ids come from different spaces.
func providerRefPK(ch outbox.Channel, id string) string {
	return "PROVIDERMSG#" + string(ch) + "#" + id
}

// providerRefItem ties a provider's message id to the outbox message and the
// guest's invitation it reports on.
type providerRefItem struct {
	PK, SK       string
	Type         string
	MessageID    string
	Channel      string
	To           string
	OrgID        string `dynamodbav:",omitempty"`
	GuestID      string `dynamodbav:",omitempty"`
	InvitationID string `dynamodbav:",omitempty"`
	TTL          int64  `dynamodbav:"ttl"`
}

func newProviderRefItem(m outbox.Message, providerID string, at time.Time) providerRefItem {
	return providerRefItem{
		PK: providerRefPK(m.Channel, providerID), SK: skProviderRef, Type: "provider-ref", MessageID: m.ID,
		Channel: string(m.Channel), To: m.To, OrgID: m.OrgID, GuestID: m.GuestID, InvitationID: m.InvitationID,
		TTL: at.Add(providerRefRetention).Unix(),
	}
}

// ApplyDelivery implements delivery.Store. The message's status changes only
// from one of replaces (the condition is the ordering rule, so duplicates and
// late reports change nothing). The guest's delivery for the channel changes
// with it while the guest is still on that invitation; a blocking event flags
// the address on the guest while the guest still has that address, whatever
// the invitation.
func (s *Store) ApplyDelivery(ctx context.Context, ev delivery.Event, replaces []outbox.Status) error {
	var ref providerRefItem
	if err := s.get(ctx, providerRefPK(ev.Channel, ev.ProviderID), skProviderRef, &ref); err != nil {
		if errors.Is(err, errNoItem) {
			return delivery.ErrUnknownMessage
		}
		return err
	}
	if len(replaces) == 0 {
		return delivery.ErrStale
	}
	vals := map[string]types.AttributeValue{":st": str(string(ev.Status)), ":at": marshalTime(ev.At)}
	cond := "#st IN ("
	for i, r := range replaces {
		k := ":r" + strconv.Itoa(i)
		vals[k] = str(string(r))
		if i > 0 {
			cond += ", "
		}
		cond += k
	}
	cond += ")"
	msgUpd := "SET #st = :st, DeliveryAt = :at"
	if ev.Reason != "" {
		msgUpd += ", LastError = :reason"
		vals[":reason"] = str(ev.Reason)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(outboxPK(ref.MessageID), skOutbox),
		UpdateExpression: aws.String(msgUpd), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#st": "Status"}, ExpressionAttributeValues: vals,
	}}}
	block := ev.Blocks() && ref.GuestID != ""
	blockVals := func(m map[string]types.AttributeValue) {
		m[":addr"], m[":why"], m[":bat"] = str(ref.To), str(ev.Reason), marshalTime(ev.At)
	}
	withGuest := items
	if ref.InvitationID != "" {
		gv := map[string]types.AttributeValue{
			":d":   mustMarshal(outbox.Delivery{Status: ev.Status, Reason: ev.Reason, UpdatedAt: ev.At}),
			":inv": str(ref.InvitationID),
		}
		upd, gcond := "SET Deliveries.#ch = :d", "InvitationID = :inv"
		if block {
			upd += ", " + blockSet
			gcond += " AND Email = :addr"
			blockVals(gv)
		}
		withGuest = append(withGuest[:1:1], types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(orgPK(ref.OrgID), guestSK(ref.GuestID)),
			UpdateExpression:         aws.String(upd),
			ConditionExpression:      aws.String(gcond),
			ExpressionAttributeNames: map[string]string{"#ch": ref.Channel}, ExpressionAttributeValues: gv,
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: withGuest})
	reasons := cancelReasons(err)
	if failedAt(reasons, 0) {
		return delivery.ErrStale
	}
	if err != nil && len(withGuest) > 1 && failedAt(reasons, 1) {
		// The guest is on a newer invitation (or has another address): the
		// report is still the message's.
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if failedAt(cancelReasons(err), 0) {
			return delivery.ErrStale
		}
		if err == nil && block {
			err = s.blockAddress(ctx, ref, ev)
		}
	} else if err == nil && block && ref.InvitationID == "" {
		err = s.blockAddress(ctx, ref, ev)
	}
	if err != nil {
		return fmt.Errorf("record %s event of %s: %w", ev.Status, ref.MessageID, err)
	}
	return nil
}

// blockAddress flags the guest's address if it is still the one that
// bounced.
func (s *Store) blockAddress(ctx context.Context, ref providerRefItem, ev delivery.Event) error {
	vals := map[string]types.AttributeValue{
		":addr": str(ref.To), ":why": str(ev.Reason), ":bat": marshalTime(ev.At),
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(orgPK(ref.OrgID), guestSK(ref.GuestID)),
		UpdateExpression:          aws.String("SET " + blockSet),
		ConditionExpression:       aws.String("Email = :addr"),
		ExpressionAttributeValues: vals,
	})
	if isConditionFailed(err) {
		return nil
	}
	return err
}
