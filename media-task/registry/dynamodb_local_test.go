package registry

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/devstack"
)

// TestDynamoStoreLocal writes, reads back and deletes the registry item in
// Amazon's DynamoDB Local (started by shared/devstack; skipped when its
// tools are not installed, or with -short).
func TestDynamoStoreLocal(t *testing.T) {
	db := devstack.DynamoDBForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String("relay-registry"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange},
		},
	}); err != nil {
		t.Fatal(err)
	}
	store := NewDynamoStore(db, "relay-registry")
	load := 4
	h := NewHeartbeat(store, "task-7", "wss://relay.example:7880/signal", func() int { return load }, nil)
	if err := h.Beat(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.SetDraining(ctx); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "RELAY"},
		"SK": &types.AttributeValueMemberS{Value: "TASK#task-7"},
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("relay-registry"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	it := out.Item
	if it["signalUrl"].(*types.AttributeValueMemberS).Value != "wss://relay.example:7880/signal" ||
		it["load"].(*types.AttributeValueMemberN).Value != "4" ||
		!it["draining"].(*types.AttributeValueMemberBOOL).Value {
		t.Fatalf("item %+v", it)
	}
	hb, err := time.Parse(time.RFC3339, it["heartbeatAt"].(*types.AttributeValueMemberS).Value)
	if err != nil {
		t.Fatal(err)
	}
	ttl, _ := strconv.ParseInt(it["ttl"].(*types.AttributeValueMemberN).Value, 10, 64)
	if ttl != hb.Add(TTL).Unix() {
		t.Fatalf("ttl %d, heartbeat %s", ttl, hb)
	}
	if err := h.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	out, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("relay-registry"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item != nil {
		t.Fatalf("item still there after Remove: %+v", out.Item)
	}
}
