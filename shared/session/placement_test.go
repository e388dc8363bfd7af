package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/clock"
)

type relayTasksStore struct {
	Store // only RelayTasks is called
	tasks []RelayTask
}

func (s relayTasksStore) RelayTasks(context.Context) ([]RelayTask, error) { return s.tasks, nil }

// TestPlacement checks the API's choice of relay for a new session: the
// fewest participants among the tasks that are not draining, have a fresh
// heartbeat and a signaling URL; none such is relay_unavailable.
func TestPlacement(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	live := func(id string, load int) RelayTask {
		return RelayTask{TaskID: id, SignalURL: "wss://relay.example/signal", Load: load, HeartbeatAt: now.Add(-5 * time.Second)}
	}
	draining := live("d", 0)
	draining.Draining = true
	stale := live("s", 0)
	stale.HeartbeatAt = now.Add(-heartbeatFresh - time.Second)
	noURL := live("u", 0)
	noURL.SignalURL = ""
	for _, tc := range []struct {
		name  string
		tasks []RelayTask
		want  string
	}{
		{"least loaded", []RelayTask{live("a", 9), live("b", 3), live("c", 5)}, "b"},
		{"ties by id", []RelayTask{live("b", 2), live("a", 2)}, "a"},
		{"draining skipped though idle", []RelayTask{draining, live("a", 40)}, "a"},
		{"stale skipped though idle", []RelayTask{stale, live("a", 40)}, "a"},
		{"no url skipped", []RelayTask{noURL, live("a", 1)}, "a"},
		{"none live", []RelayTask{draining, stale}, ""},
		{"no tasks", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{store: relayTasksStore{tasks: tc.tasks}, clock: clock.NewManual(now)}
			got, err := s.place(context.Background())
			if tc.want == "" {
				if !errors.Is(err, ErrNoRelay) {
					t.Fatalf("got %v, %v; want ErrNoRelay", got.TaskID, err)
				}
				return
			}
			if err != nil || got.TaskID != tc.want {
				t.Fatalf("got %q, %v; want %q", got.TaskID, err, tc.want)
			}
		})
	}
}
