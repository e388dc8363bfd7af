package emf

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The shape CloudWatch requires (docs: "Specification: Embedded metric
// format"): _aws.Timestamp in epoch milliseconds, CloudWatchMetrics with
// Namespace, Dimensions as a list of lists of member names, Metrics with
// Name/Unit, and every dimension and metric as a top-level member.
func TestWriteShape(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 12, 1, 12, 0, 0, 500e6, time.UTC)
	err := Write(&buf, Namespace, map[string]string{"Function": "sender"}, at,
		Metric{Name: "OldestUndeliveredAgeSeconds", Unit: "Seconds", Value: 42},
		Metric{Name: "UndeliveredMessages", Unit: "Count", Value: 3})
	if err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("want exactly one line, got %q", line)
	}
	want := `{"Function":"sender","OldestUndeliveredAgeSeconds":42,"UndeliveredMessages":3,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["Function"]],"Metrics":[{"Name":"OldestUndeliveredAgeSeconds","Unit":"Seconds"},{"Name":"UndeliveredMessages","Unit":"Count"}],"Namespace":"Guestbridge"}],"Timestamp":1796126400500}}`
	var got, exp any
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	eb, _ := json.Marshal(exp)
	if string(gb) != string(eb) {
		t.Errorf("record\n got %s\nwant %s", gb, eb)
	}
}

func TestWriteNoDimensions(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "NS", nil, time.Unix(0, 0), Metric{Name: "M", Value: 1}); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Dimensions [][]string
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	// An empty dimension set publishes the metric without dimensions; a
	// null Dimensions would make CloudWatch reject the record.
	if d := rec.AWS.CloudWatchMetrics[0].Dimensions; len(d) != 1 || d[0] == nil || len(d[0]) != 0 {
		t.Errorf("Dimensions = %#v, want [[]]", d)
	}
}
