package session

import (
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestCheckRecording(t *testing.T) {
	id := strings.Repeat("ab", 16)
	key := "recordings/s_1/" + id + ".webm"
	for _, c := range []struct {
		name  string
		rec   *Recording
		field string // "" when valid
	}{
		{"started", &Recording{ID: id, State: "started", Key: key}, ""},
		{"stopped", &Recording{ID: id, State: "stopped", Key: key, Bytes: 10, DurationMs: 1000, Reason: "session_ended"}, ""},
		{"missing", nil, "recording"},
		{"short id", &Recording{ID: "abc", State: "started", Key: "recordings/s_1/abc.webm"}, "recording.id"},
		{"upper-case id", &Recording{ID: strings.ToUpper(id), State: "started", Key: "recordings/s_1/" + strings.ToUpper(id) + ".webm"}, "recording.id"},
		{"another session's key", &Recording{ID: id, State: "started", Key: "recordings/s_2/" + id + ".webm"}, "recording.key"},
		{"the API's prefix", &Recording{ID: id, State: "started", Key: "attachments/s_1/" + id + ".webm"}, "recording.key"},
		{"unknown state", &Recording{ID: id, State: "paused", Key: key}, "recording.state"},
		{"unknown reason", &Recording{ID: id, State: "stopped", Key: key, Reason: "bored"}, "recording.reason"},
		{"negative size", &Recording{ID: id, State: "stopped", Key: key, Bytes: -1, Reason: "stopped"}, "recording.bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkRecording("s_1", c.rec)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if e := apperr.From(err); e == nil || e.Field != c.field {
				t.Fatalf("got %v, want a refusal naming %s", err, c.field)
			}
		})
	}
}
