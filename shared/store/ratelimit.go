package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
)

// Limiter is a fixed-window rate limiter whose counters live in the table, so
// limits hold across every Lambda instance. One atomic ADD per event.
type Limiter struct {
	store *Store
	clock clock.Clock
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// NewLimiter returns a limiter counting in s's table.
func NewLimiter(s *Store, c clock.Clock) *Limiter { return &Limiter{store: s, clock: c} }

// Allow implements ratelimit.Limiter.
func (l *Limiter) Allow(ctx context.Context, rule ratelimit.Rule, k string) error {
	now := l.clock.Now()
	w := ratelimit.WindowStart(now, rule.Window)
	end := w.Add(rule.Window)
	res, err := l.store.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &l.store.table,
		Key:                       key("RATE#"+rule.Name+"#"+k, strconv.FormatInt(w.Unix(), 10)),
		UpdateExpression:          aws.String("ADD #n :one SET #ttl = :ttl"),
		ExpressionAttributeNames:  map[string]string{"#n": "count", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":ttl": num(end.Unix())},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return fmt.Errorf("rate limit %s: %w", rule.Name, err)
	}
	n := 0
	if v, ok := res.Attributes["count"].(*types.AttributeValueMemberN); ok {
		n, _ = strconv.Atoi(v.Value)
	}
	if n > rule.Limit {
		return ratelimit.Exceeded(now, end)
	}
	return nil
}

var _ ratelimit.Ledger = (*Limiter)(nil)

func rateKey(rule ratelimit.Rule, k string, at time.Time) (map[string]types.AttributeValue, time.Time) {
	w := ratelimit.WindowStart(at, rule.Window)
	return key("RATE#"+rule.Name+"#"+k, strconv.FormatInt(w.Unix(), 10)), w.Add(rule.Window)
}

// Take implements ratelimit.Ledger: every counter is raised on the condition
// that it stays within its limit, in one transaction, so either all charges
// are counted or none.
func (l *Limiter) Take(ctx context.Context, at time.Time, charges ...ratelimit.Charge) error {
	items := make([]types.TransactWriteItem, 0, len(charges))
	for _, c := range charges {
		if c.N > c.Rule.Limit {
			return c.Refuse(at)
		}
		k, end := rateKey(c.Rule, c.Key, at)
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                &l.store.table,
			Key:                      k,
			UpdateExpression:         aws.String("ADD #n :n SET #ttl = :ttl"),
			ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n <= :max"),
			ExpressionAttributeNames: map[string]string{"#n": "count", "#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":n": num(int64(c.N)), ":max": num(int64(c.Rule.Limit - c.N)), ":ttl": num(end.Unix()),
			},
		}})
	}
	if len(items) == 0 {
		return nil
	}
	if len(items) == 1 {
		u := items[0].Update
		_, err := l.store.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
			ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
			ExpressionAttributeValues: u.ExpressionAttributeValues,
		})
		if isConditionFailed(err) {
			return charges[0].Refuse(at)
		}
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", charges[0].Rule.Name, err)
		}
		return nil
	}
	for attempt := 1; ; attempt++ {
		_, err := l.store.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil
		}
		reasons := cancelReasons(err)
		for i, c := range charges {
			if failedAt(reasons, i) {
				return c.Refuse(at)
			}
		}
		// A company's counters are shared by all its people: two requests
		// at the same moment make one transaction yield to the other, which
		// is no reason to fail the request.
		if attempt == 4 || !slices.Contains(reasons, "TransactionConflict") {
			return fmt.Errorf("rate limits: %w", err)
		}
		t := time.NewTimer(time.Duration(attempt*attempt) * 10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Count implements ratelimit.Ledger.
func (l *Limiter) Count(ctx context.Context, at time.Time, rule ratelimit.Rule, k string) (int, error) {
	pk, _ := rateKey(rule, k, at)
	res, err := l.store.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &l.store.table, Key: pk, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#n"), ExpressionAttributeNames: map[string]string{"#n": "count"},
	})
	if err != nil {
		return 0, fmt.Errorf("rate count %s: %w", rule.Name, err)
	}
	n := 0
	if v, ok := res.Item["count"].(*types.AttributeValueMemberN); ok {
		n, _ = strconv.Atoi(v.Value)
	}
	return n, nil
}

// Add implements ratelimit.Ledger.
func (l *Limiter) Add(ctx context.Context, at time.Time, rule ratelimit.Rule, k string, n int) error {
	pk, end := rateKey(rule, k, at)
	_, err := l.store.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &l.store.table,
		Key:                       pk,
		UpdateExpression:          aws.String("ADD #n :n SET #ttl = :ttl"),
		ExpressionAttributeNames:  map[string]string{"#n": "count", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(int64(n)), ":ttl": num(end.Unix())},
	})
	if err != nil {
		return fmt.Errorf("rate add %s: %w", rule.Name, err)
	}
	return nil
}
