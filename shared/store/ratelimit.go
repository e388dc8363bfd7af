package store

import (
	"context"
	"fmt"
	"strconv"

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
