package registry

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestAttributes(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	m := Attributes(Item{TaskID: "t1", SignalURL: "wss://r/signal", Load: 7, Draining: true, HeartbeatAt: at})
	want := map[string]string{
		"PK": "RELAY", "SK": "TASK#t1", "taskId": "t1", "signalUrl": "wss://r/signal",
		"heartbeatAt": "2026-03-04T05:06:07Z",
	}
	for k, v := range want {
		s, ok := m[k].(*types.AttributeValueMemberS)
		if !ok || s.Value != v {
			t.Errorf("%s = %#v, want %q", k, m[k], v)
		}
	}
	if n := m["load"].(*types.AttributeValueMemberN).Value; n != "7" {
		t.Errorf("load %s", n)
	}
	if n := m["ttl"].(*types.AttributeValueMemberN).Value; n != "1772600827" {
		t.Errorf("ttl %s, want heartbeat + 60 s", n)
	}
	if b := m["draining"].(*types.AttributeValueMemberBOOL).Value; !b {
		t.Error("draining")
	}
}

type fakeDynamo struct {
	mu      sync.Mutex
	puts    []*dynamodb.PutItemInput
	deletes []*dynamodb.DeleteItemInput
}

func (f *fakeDynamo) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeDynamo) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, in)
	return &dynamodb.DeleteItemOutput{}, nil
}

func TestHeartbeatLifecycle(t *testing.T) {
	f := &fakeDynamo{}
	load := 3
	h := NewHeartbeat(NewDynamoStore(f, "gb"), "t1", "wss://r", func() int { return load }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.interval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.puts)
		f.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no heartbeats")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.SetDraining(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if err := h.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	last := f.puts[len(f.puts)-1]
	if *last.TableName != "gb" || !last.Item["draining"].(*types.AttributeValueMemberBOOL).Value || last.Item["load"].(*types.AttributeValueMemberN).Value != "3" {
		t.Fatalf("last put %+v", last.Item)
	}
	if len(f.deletes) != 1 || f.deletes[0].Key["SK"].(*types.AttributeValueMemberS).Value != "TASK#t1" {
		t.Fatalf("deletes %+v", f.deletes)
	}
}
