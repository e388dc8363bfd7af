// Package revocation reads sessions' revocation state from the API's
// DynamoDB table for the relay's periodic check (relay.Checker), the
// fallback for control calls that never reached this relay. One strongly
// consistent Query of the session's partition per session reads its META
// item (State, EndReason) and its PART# items (ID, Removed, RemovedWhy,
// Tools).
package revocation

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/media-task/relay"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Item keys and values of the API's session items (shared/store).
const (
	sessionPrefix     = "SESSION#"
	metaSK            = "META"
	participantPrefix = "PART#"
	stateEnded        = "ended"
)

// QueryAPI is the part of the DynamoDB client the reader uses.
type QueryAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ QueryAPI = (*dynamodb.Client)(nil)

// DynamoReader reads sessions' stored state from the table.
type DynamoReader struct {
	api   QueryAPI
	table string
}

var _ relay.StateReader = (*DynamoReader)(nil)

// NewDynamoReader returns a reader of table.
func NewDynamoReader(api QueryAPI, table string) *DynamoReader {
	return &DynamoReader{api: api, table: table}
}

// SessionState reads session sid: whether it ended, and who was removed.
func (r *DynamoReader) SessionState(ctx context.Context, sid string) (relay.StoredState, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(r.table),
		ConsistentRead:         aws.Bool(true),
		KeyConditionExpression: aws.String("#pk = :pk"),
		ProjectionExpression:   aws.String("#sk, #state, #endReason, #id, #removed, #why, #tools"),
		ExpressionAttributeNames: map[string]string{
			"#pk": "PK", "#sk": "SK", "#state": "State", "#endReason": "EndReason",
			"#id": "ID", "#removed": "Removed", "#why": "RemovedWhy", "#tools": "Tools",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: sessionPrefix + sid},
		},
	}
	var st relay.StoredState
	for {
		out, err := r.api.Query(ctx, in)
		if err != nil {
			return relay.StoredState{}, fmt.Errorf("revocation: query session %s: %w", sid, err)
		}
		for _, item := range out.Items {
			apply(&st, item)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return st, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// apply folds one item of the session's partition into st.
func apply(st *relay.StoredState, item map[string]types.AttributeValue) {
	sk := str(item["SK"])
	switch {
	case sk == metaSK:
		st.Found = true
		st.Ended = str(item["State"]) == stateEnded
		st.EndReason = str(item["EndReason"])
	case strings.HasPrefix(sk, participantPrefix):
		id := str(item["ID"])
		if id == "" {
			id = strings.TrimPrefix(sk, participantPrefix)
		}
		if id == "" {
			return
		}
		if list, ok := item["Tools"].(*types.AttributeValueMemberL); ok {
			tools := make([]toolmatrix.Tool, 0, len(list.Value))
			for _, v := range list.Value {
				if t := toolmatrix.Tool(str(v)); t.Valid() {
					tools = append(tools, t)
				}
			}
			if st.Tools == nil {
				st.Tools = map[string][]toolmatrix.Tool{}
			}
			st.Tools[id] = tools
		}
		removed, ok := item["Removed"].(*types.AttributeValueMemberBOOL)
		if !ok || !removed.Value {
			return
		}
		if st.Removed == nil {
			st.Removed = map[string]string{}
		}
		st.Removed[id] = str(item["RemovedWhy"])
	}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
