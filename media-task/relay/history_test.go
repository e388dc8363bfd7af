package relay

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// recordingEvents is an Events that keeps the record lines it is given.
type recordingEvents struct {
	mu    sync.Mutex
	lines []string
}

func (e *recordingEvents) Joined(string, string, time.Time) {}
func (e *recordingEvents) Left(string, string, time.Time)   {}
func (e *recordingEvents) Tool(sid, pid string, tool toolmatrix.Tool, text string, _ time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, fmt.Sprintf("%s/%s %s:%s", sid, pid, tool, text))
}

func newRecordingWorld(t *testing.T) (*world, *recordingEvents) {
	eng := &fakeEngine{peers: map[string]*fakePeer{}}
	tk := fakeTickets{}
	ev := &recordingEvents{}
	srv, err := NewServer(Config{Engine: eng, Tickets: tk, Events: ev, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ToolRate: 1e6, ToolBurst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &world{t: t, srv: srv, eng: eng, tickets: tk}, ev
}

// historyTexts returns "tool:text" of the history message a client got.
func historyTexts(t *testing.T, c *fakeClient) []string {
	t.Helper()
	s, ok := c.last(proto.TypeHistory)
	if !ok {
		return nil
	}
	var out []string
	for _, raw := range s.History {
		var m struct{ Tool, Text, Caption, From string }
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Tool+":"+m.Text+m.Caption)
	}
	return out
}

func TestHistoryFollowsTheMatrix(t *testing.T) {
	w, ev := newRecordingWorld(t)
	w.mustJoin(toolmatrix.Primary, "s", "p")
	p := w.eng.peer("s/p")
	p.ev.Data([]byte(`{"tool":"chat","text":"hello"}`))
	p.ev.Data([]byte(`{"tool":"notes","text":"worn seal"}`))
	p.ev.Data([]byte(`{"tool":"snapshot","caption":"pump"}`))
	p.ev.Data([]byte(`{"tool":"bogus"}`)) // refused: neither history nor record

	_, guest := w.mustJoin(toolmatrix.Guest, "s", "g")
	if got := historyTexts(t, guest); fmt.Sprint(got) != "[chat:hello]" {
		t.Errorf("the guest technician's history: %v", got)
	}
	_, second := w.mustJoin(toolmatrix.Secondary, "s", "q")
	if got := historyTexts(t, second); fmt.Sprint(got) != "[chat:hello snapshot:pump]" {
		t.Errorf("the internal technician's history: %v", got)
	}
	// A customer whose chat is switched off gets none of it.
	if _, _, err := w.srv.SetTools("s", "c", []toolmatrix.Tool{}); err != nil {
		t.Fatal(err)
	}
	_, cust := w.mustJoin(toolmatrix.Customer, "s", "c")
	if got := historyTexts(t, cust); got != nil {
		t.Errorf("the customer without chat got history %v", got)
	}

	// Everyone leaves (a reload of the last one in): the history stays.
	for _, pid := range []string{"p", "g", "q", "c"} {
		w.srv.sessions["s"].participants[pid].Leave(proto.ReasonLeft)
	}
	_, back := w.mustJoin(toolmatrix.Primary, "s", "p")
	if got := historyTexts(t, back); fmt.Sprint(got) != "[chat:hello notes:worn seal snapshot:pump]" {
		t.Errorf("the primary's history after a reload: %v", got)
	}

	ev.mu.Lock()
	defer ev.mu.Unlock()
	want := "[s/p chat:hello s/p notes:text: worn seal s/p snapshot:caption: pump]"
	if fmt.Sprint(ev.lines) != want {
		t.Errorf("record lines %v, want %s", ev.lines, want)
	}
}

func TestHistoryBounded(t *testing.T) {
	w, _ := newRecordingWorld(t)
	w.mustJoin(toolmatrix.Primary, "s", "p")
	p := w.eng.peer("s/p")
	for i := range maxHistory + 100 {
		p.ev.Data(fmt.Appendf(nil, `{"tool":"chat","text":"line %d"}`, i))
	}
	_, late := w.mustJoin(toolmatrix.Guest, "s", "g")
	got := historyTexts(t, late)
	if len(got) != maxHistory || got[0] != "chat:line 100" || got[len(got)-1] != fmt.Sprintf("chat:line %d", maxHistory+99) {
		t.Fatalf("history of %d lines from %q to %q", len(got), got[0], got[len(got)-1])
	}
	// Large messages give way by size too.
	big := make([]byte, 14<<10)
	for i := range big {
		big[i] = 'x'
	}
	for range 60 {
		p.ev.Data(fmt.Appendf(nil, `{"tool":"chat","text":"%s"}`, big))
	}
	w.srv.mu.Lock()
	size := w.srv.revoked["s"].historyBytes
	w.srv.mu.Unlock()
	if size > maxHistoryBytes {
		t.Fatalf("history holds %d bytes, bound %d", size, maxHistoryBytes)
	}
}
