package delivery

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/outbox"
)

// recorded reads a testdata payload with its placeholders filled; a
// *.logs.json payload is wrapped as CloudWatch Logs delivers it.
func recorded(t *testing.T, name, id, to string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.NewReplacer("{{MESSAGE_ID}}", id, "{{RECIPIENT}}", to).Replace(string(b)))
	if !strings.HasSuffix(name, ".logs.json") {
		return b
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	out, _ := json.Marshal(map[string]any{"awslogs": map[string]string{"data": base64.StdEncoding.EncodeToString(z.Bytes())}})
	return out
}

func TestParseRecorded(t *testing.T) {
	tests := []struct {
		file      string
		want      []Event
		reasonHas string
	}{
		{"ses-delivery.json", []Event{{Channel: outbox.Email, ProviderID: "ses-1", Status: outbox.Delivered,
			At: time.Date(2026, 12, 1, 10, 0, 1, 250e6, time.UTC)}}, ""},
		{"ses-bounce-permanent.json", []Event{{Channel: outbox.Email, ProviderID: "ses-1", Status: outbox.Bounced, Permanent: true,
			At: time.Date(2026, 12, 1, 10, 0, 2, 0, time.UTC)}}, "550 5.1.1 user unknown"},
		{"ses-bounce-transient.json", []Event{{Channel: outbox.Email, ProviderID: "ses-1", Status: outbox.Bounced,
			At: time.Date(2026, 12, 1, 10, 0, 2, 0, time.UTC)}}, "mailbox full"},
		{"ses-complaint.json", []Event{{Channel: outbox.Email, ProviderID: "ses-1", Status: outbox.Complained, Permanent: true,
			At: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}}, "spam (abuse)"},
		{"ses-send.json", nil, ""},
		{"sns-sms-success.logs.json", []Event{{Channel: outbox.SMS, ProviderID: "ses-1", Status: outbox.Delivered,
			At: time.Date(2026, 12, 1, 10, 0, 4, 558e6, time.UTC)}}, ""},
		{"sns-sms-failure.logs.json", []Event{{Channel: outbox.SMS, ProviderID: "ses-1", Status: outbox.Failed,
			At: time.Date(2026, 12, 1, 10, 0, 4, 558e6, time.UTC)}}, "unreachable"},
		{"logs-control.logs.json", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Parse(recorded(t, tc.file, "ses-1", "gina@example.test"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if !strings.Contains(got[i].Reason, tc.reasonHas) {
					t.Errorf("reason %q lacks %q", got[i].Reason, tc.reasonHas)
				}
				got[i].Reason = ""
				if !got[i].At.Equal(tc.want[i].At) {
					t.Errorf("At = %v, want %v", got[i].At, tc.want[i].At)
				}
				got[i].At = tc.want[i].At
				if got[i] != tc.want[i] {
					t.Errorf("event = %+v, want %+v", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for name, raw := range map[string]string{
		"not json":      `{`,
		"neither shape": `{"detail-type":"Scheduled Event"}`,
		"not from sns":  `{"Records":[{"EventSource":"aws:dynamodb"}]}`,
		"no message id": `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{\"eventType\":\"Delivery\",\"mail\":{},\"delivery\":{\"timestamp\":\"2026-12-01T10:00:00Z\"}}"}}]}`,
		"bad logs data": `{"awslogs":{"data":"not base64!"}}`,
	} {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBlocks(t *testing.T) {
	tests := []struct {
		ev   Event
		want bool
	}{
		{Event{Channel: outbox.Email, Status: outbox.Bounced, Permanent: true}, true},
		{Event{Channel: outbox.Email, Status: outbox.Bounced}, false},
		{Event{Channel: outbox.Email, Status: outbox.Complained, Permanent: true}, true},
		{Event{Channel: outbox.Email, Status: outbox.Delivered}, false},
		{Event{Channel: outbox.SMS, Status: outbox.Failed, Permanent: true}, false},
	}
	for _, tc := range tests {
		if got := tc.ev.Blocks(); got != tc.want {
			t.Errorf("%+v.Blocks() = %v, want %v", tc.ev, got, tc.want)
		}
	}
}

func TestReplaces(t *testing.T) {
	tests := []struct {
		next outbox.Status
		want []outbox.Status
	}{
		{outbox.Delivered, []outbox.Status{outbox.Sent}},
		{outbox.Bounced, []outbox.Status{outbox.Sent, outbox.Delivered}},
		{outbox.Failed, []outbox.Status{outbox.Sent, outbox.Delivered}},
		// A complaint comes after a delivery, and outranks everything.
		{outbox.Complained, []outbox.Status{outbox.Sent, outbox.Delivered, outbox.Failed, outbox.Bounced}},
	}
	for _, tc := range tests {
		if got := Replaces(tc.next); !slices.Equal(got, tc.want) {
			t.Errorf("Replaces(%s) = %v, want %v", tc.next, got, tc.want)
		}
	}
}
