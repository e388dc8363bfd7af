package registry

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Registry item keys, as in docs/architecture.md.
const (
	partitionKey = "RELAY"
	sortPrefix   = "TASK#"
)

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ DynamoAPI = (*dynamodb.Client)(nil)

// DynamoStore writes registry items to the Guestbridge table.
type DynamoStore struct {
	api   DynamoAPI
	table string
}

var _ Store = (*DynamoStore)(nil)

// NewDynamoStore returns a store writing to table.
func NewDynamoStore(api DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{api: api, table: table}
}

func key(taskID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: partitionKey},
		"SK": &types.AttributeValueMemberS{Value: sortPrefix + taskID},
	}
}

// Attributes returns the item as written.
func Attributes(it Item) map[string]types.AttributeValue {
	m := key(it.TaskID)
	m["taskId"] = &types.AttributeValueMemberS{Value: it.TaskID}
	m["signalUrl"] = &types.AttributeValueMemberS{Value: it.SignalURL}
	m["load"] = &types.AttributeValueMemberN{Value: strconv.Itoa(it.Load)}
	m["draining"] = &types.AttributeValueMemberBOOL{Value: it.Draining}
	m["heartbeatAt"] = &types.AttributeValueMemberS{Value: it.HeartbeatAt.UTC().Format(time.RFC3339)}
	if it.PrivateAddr != "" {
		m["privateAddr"] = &types.AttributeValueMemberS{Value: it.PrivateAddr}
	}
	m["ttl"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(it.HeartbeatAt.Add(TTL).Unix(), 10)}
	return m
}

// Put writes the item.
func (s *DynamoStore) Put(ctx context.Context, it Item) error {
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: Attributes(it)})
	if err != nil {
		return fmt.Errorf("registry put: %w", err)
	}
	return nil
}

// Delete removes the item.
func (s *DynamoStore) Delete(ctx context.Context, taskID string) error {
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(taskID)})
	if err != nil {
		return fmt.Errorf("registry delete: %w", err)
	}
	return nil
}
