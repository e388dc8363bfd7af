package app

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/revocation"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// TestRevocationFallbackDynamoDBLocal checks the periodic check against
// Amazon's DynamoDB Local (started by shared/devstack; skipped when its tools
// are not installed, or with -short): items written as the API writes them,
// and no control call at all, still remove a participant and end the
// session.
func TestRevocationFallbackDynamoDBLocal(t *testing.T) {
	db := devstack.DynamoDBForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const table = "relay-fallback"
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
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
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	put := func(item map[string]types.AttributeValue) {
		t.Helper()
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	update := func(sk, expr string, names map[string]string, values map[string]types.AttributeValue) {
		t.Helper()
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(table),
			Key:                       map[string]types.AttributeValue{"PK": s("SESSION#fb"), "SK": s(sk)},
			UpdateExpression:          aws.String(expr),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}); err != nil {
			t.Fatal(err)
		}
	}
	put(map[string]types.AttributeValue{"PK": s("SESSION#fb"), "SK": s("META"), "Type": s("session"), "ID": s("fb"), "State": s("live")})
	for _, pid := range []string{"cust", "prim", "guest"} {
		put(map[string]types.AttributeValue{"PK": s("SESSION#fb"), "SK": s("PART#" + pid), "Type": s("participant"),
			"ID": s(pid), "SessionID": s("fb"), "Removed": &types.AttributeValueMemberBOOL{Value: false}})
	}

	h := newHarnessWith(t, func(c *config.Config, o *Options) {
		c.RevocationInterval = 200 * time.Millisecond
		o.Sessions = revocation.NewDynamoReader(db, table)
	})
	checkCtx, stopCheck := context.WithCancel(context.Background())
	checkDone := make(chan struct{})
	go func() {
		defer close(checkDone)
		h.app.RunRevocationCheck(checkCtx)
	}()
	t.Cleanup(func() {
		stopCheck()
		<-checkDone
	})

	cust := h.join(toolmatrix.Customer, "fb", "cust", true)
	prim := h.join(toolmatrix.Primary, "fb", "prim", false)
	guest := h.join(toolmatrix.Guest, "fb", "guest", false)
	receivesMedia(t, "guest", guest)

	// The API removed the guest (account ended), and its push was lost.
	update("PART#guest", "SET Removed = :t, RemovedWhy = :why", nil, map[string]types.AttributeValue{
		":t": &types.AttributeValueMemberBOOL{Value: true}, ":why": s("account_ended"),
	})
	select {
	case <-guest.Closed():
	case <-time.After(wait):
		t.Fatal("the stored removal did not disconnect the guest")
	}
	if r := guest.CloseReason(); r != proto.ReasonAccountEnded {
		t.Fatalf("guest close reason %q, want account_ended", r)
	}
	// Its reconnect, with a ticket the API minted before the removal, is
	// refused.
	again := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Guest, sid: "fb", pid: "guest"}), false)
	select {
	case <-again.Closed():
	case <-time.After(wait):
		t.Fatal("reconnect after the stored removal not refused")
	}
	if r := again.CloseReason(); r != proto.ReasonRemoved {
		t.Fatalf("reconnect close reason %q, want removed", r)
	}
	for _, c := range []*client.Client{cust, prim} {
		select {
		case <-c.Closed():
			t.Fatalf("a participant not removed was disconnected (%s)", c.CloseReason())
		default:
		}
	}

	// The API ended the session, and its push was lost.
	// State is a reserved word.
	update("META", "SET #st = :ended, EndReason = :r", map[string]string{"#st": "State"},
		map[string]types.AttributeValue{":ended": s("ended"), ":r": s("session_ended")})
	for _, c := range []*client.Client{cust, prim} {
		select {
		case <-c.Closed():
		case <-time.After(wait):
			t.Fatal("the stored end did not disconnect everyone")
		}
		if r := c.CloseReason(); r != proto.ReasonSessionEnded {
			t.Fatalf("close reason %q, want session_ended", r)
		}
	}
	late := h.dial(h.ticket(ticketOpts{kind: toolmatrix.Secondary, sid: "fb", pid: "late"}), false)
	select {
	case <-late.Closed():
	case <-time.After(wait):
		t.Fatal("join after the stored end not refused")
	}
	if r := late.CloseReason(); r != proto.ReasonSessionEnded {
		t.Fatalf("late join close reason %q, want session_ended", r)
	}
}
