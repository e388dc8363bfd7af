package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// The record CloudWatch turns into the two metrics the outbox alarm and the
// dashboard read: namespace Guestbridge, dimension Function=sender.
func TestBacklogMetricsShape(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if err := writeBacklogMetrics(&buf, at, 3, 95*time.Second+400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %v: %s", err, buf.Bytes())
	}
	want := map[string]any{
		"Function":                   "sender",
		"OutboxOldestUndeliveredAge": 95.0,
		"OutboxUndelivered":          3.0,
		"_aws": map[string]any{
			"Timestamp": float64(at.UnixMilli()),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  "Guestbridge",
				"Dimensions": []any{[]any{"Function"}},
				"Metrics": []any{
					map[string]any{"Name": "OutboxOldestUndeliveredAge", "Unit": "Seconds"},
					map[string]any{"Name": "OutboxUndelivered", "Unit": "Count"},
				},
			}},
		},
	}
	got, _ := json.Marshal(rec)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("record\n got %s\nwant %s", got, exp)
	}
}
