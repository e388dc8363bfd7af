package revocation

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func b(v bool) types.AttributeValue   { return &types.AttributeValueMemberBOOL{Value: v} }
func l(v ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: append([]types.AttributeValue{}, v...)}
}

// fakeQuery answers with pages and records the inputs.
type fakeQuery struct {
	pages [][]map[string]types.AttributeValue
	err   error
	ins   []*dynamodb.QueryInput
}

func (f *fakeQuery) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	cp := *in
	f.ins = append(f.ins, &cp)
	if f.err != nil {
		return nil, f.err
	}
	page := len(f.ins) - 1
	out := &dynamodb.QueryOutput{Items: f.pages[page]}
	if page < len(f.pages)-1 {
		out.LastEvaluatedKey = map[string]types.AttributeValue{"PK": s("SESSION#s1"), "SK": s("page")}
	}
	return out, nil
}

func TestSessionState(t *testing.T) {
	f := &fakeQuery{pages: [][]map[string]types.AttributeValue{
		{
			{"SK": s("META"), "State": s("live"), "EndReason": s("")},
			{"SK": s("PART#p1"), "ID": s("p1"), "Removed": b(true), "RemovedWhy": s("account_ended")},
			{"SK": s("PART#p2"), "ID": s("p2"), "Removed": b(false), "Tools": l(s("chat"), s("warp"), s("video"))},
		},
		{
			{"SK": s("PART#p3"), "Removed": b(true), "RemovedWhy": s("expired")}, // no ID: taken from the key
			{"SK": s("PART#p4"), "ID": s("p4"), "Tools": l()},                    // no Removed attribute; every tool off
			{"SK": s("PART#p5"), "ID": s("p5"), "Removed": s("true")},            // not a BOOL
			{"SK": s("OTHER#x"), "ID": s("x"), "Removed": b(true)},
		},
	}}
	st, err := NewDynamoReader(f, "gb").SessionState(context.Background(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"p1": "account_ended", "p3": "expired"}
	if !st.Found || st.Ended || !maps.Equal(st.Removed, want) {
		t.Fatalf("state %+v, want found, live, removed %v", st, want)
	}
	// Tools are read as stored, unknown names dropped; a participant
	// without a Tools list has no entry, so nothing is switched for them.
	wantTools := map[string][]toolmatrix.Tool{"p2": {toolmatrix.Chat, toolmatrix.Video}, "p4": {}}
	if !maps.EqualFunc(st.Tools, wantTools, slices.Equal) {
		t.Fatalf("tools %v, want %v", st.Tools, wantTools)
	}
	if len(f.ins) != 2 {
		t.Fatalf("%d queries, want 2 pages", len(f.ins))
	}
	in := f.ins[0]
	if *in.TableName != "gb" || in.ConsistentRead == nil || !*in.ConsistentRead {
		t.Fatalf("query table %q, consistent %v", *in.TableName, in.ConsistentRead)
	}
	if pk := in.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS).Value; pk != "SESSION#s1" {
		t.Fatalf("partition %q", pk)
	}
	if f.ins[1].ExclusiveStartKey["SK"].(*types.AttributeValueMemberS).Value != "page" {
		t.Fatal("second page not read from the first page's last key")
	}
}

func TestSessionStateEndedAndMissing(t *testing.T) {
	f := &fakeQuery{pages: [][]map[string]types.AttributeValue{{
		{"SK": s("META"), "State": s("ended"), "EndReason": s("session_ended")},
	}}}
	st, err := NewDynamoReader(f, "gb").SessionState(context.Background(), "s1")
	if err != nil || !st.Found || !st.Ended || st.EndReason != "session_ended" {
		t.Fatalf("state %+v, err %v", st, err)
	}
	empty := &fakeQuery{pages: [][]map[string]types.AttributeValue{{}}}
	if st, err := NewDynamoReader(empty, "gb").SessionState(context.Background(), "nope"); err != nil || st.Found {
		t.Fatalf("missing session: %+v, %v", st, err)
	}
	broken := &fakeQuery{err: errors.New("throttled")}
	if _, err := NewDynamoReader(broken, "gb").SessionState(context.Background(), "s1"); err == nil {
		t.Fatal("a failed query returned no error")
	}
}
