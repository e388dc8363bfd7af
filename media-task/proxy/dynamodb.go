package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/media-task/registry"
)

// GetAPI is the part of the DynamoDB client the locator uses.
type GetAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ GetAPI = (*dynamodb.Client)(nil)

// DynamoLocator reads the session's META item (RelayTaskID, written by the
// API when it placed the session) and that task's registry item.
type DynamoLocator struct {
	api   GetAPI
	table string
	now   func() time.Time
}

var _ Locator = (*DynamoLocator)(nil)

// NewDynamoLocator returns a locator reading table.
func NewDynamoLocator(api GetAPI, table string) *DynamoLocator {
	return &DynamoLocator{api: api, table: table, now: time.Now}
}

func strAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// Host implements Locator.
func (l *DynamoLocator) Host(ctx context.Context, sid string) (Target, error) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(l.table),
		Key:                      map[string]types.AttributeValue{"PK": s("SESSION#" + sid), "SK": s("META")},
		ProjectionExpression:     aws.String("#task"),
		ExpressionAttributeNames: map[string]string{"#task": "RelayTaskID"},
	})
	if err != nil {
		return Target{}, fmt.Errorf("proxy: read session %s: %w", sid, err)
	}
	task := strAttr(out.Item, "RelayTaskID")
	if task == "" {
		return Target{}, ErrNotPlaced
	}
	out, err = l.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(l.table),
		Key:       map[string]types.AttributeValue{"PK": s("RELAY"), "SK": s("TASK#" + task)},
		// Consistent: a task that just started must be found by the
		// first join the API sent to it.
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Target{}, fmt.Errorf("proxy: read relay %s: %w", task, err)
	}
	if len(out.Item) == 0 {
		return Target{TaskID: task}, fmt.Errorf("%w: task %s has no registry item", ErrUnavailable, task)
	}
	hb, err := time.Parse(time.RFC3339, strAttr(out.Item, "heartbeatAt"))
	if err != nil || l.now().Sub(hb) > registry.TTL {
		return Target{TaskID: task}, fmt.Errorf("%w: task %s stopped beating", ErrUnavailable, task)
	}
	return Target{TaskID: task, Addr: strAttr(out.Item, "privateAddr")}, nil
}
