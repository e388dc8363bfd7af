package relay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// TestSnapshotSlotGoesToTheCustomerAlone: a technician's request for a
// still and its upload slot reach the customer and no technician; they stay
// out of the history a late joiner gets, while the customer's answers follow
// the matrix; a customer cannot send a slot.
func TestSnapshotSlotGoesToTheCustomerAlone(t *testing.T) {
	w, ev := newRecordingWorld(t)
	w.mustJoin(toolmatrix.Primary, "s", "p")
	w.mustJoin(toolmatrix.Secondary, "s", "q")
	w.mustJoin(toolmatrix.Guest, "s", "g")
	w.mustJoin(toolmatrix.Customer, "s", "c")
	prim, sec, guest, cust := w.eng.peer("s/p"), w.eng.peer("s/q"), w.eng.peer("s/g"), w.eng.peer("s/c")

	prim.ev.Data([]byte(`{"tool":"snapshot","step":"take","id":"r1"}`))
	prim.ev.Data([]byte(`{"tool":"snapshot","step":"upload","ref":"r1","upload":{"url":"https://bucket/x?X-Amz-Signature=s"}}`))
	cust.ev.Data([]byte(`{"tool":"snapshot","step":"taken","ref":"r1","size":10}`))
	cust.ev.Data([]byte(`{"tool":"snapshot","step":"upload","ref":"r2","upload":{"url":"https://evil"}}`))

	steps := func(p *fakePeer) string {
		var out []string
		for _, m := range p.messages() {
			for _, s := range []string{"take", "upload", "taken"} {
				if strings.Contains(m, `"step":"`+s+`"`) {
					out = append(out, s)
				}
			}
			if strings.Contains(m, "tool_forbidden") {
				out = append(out, "refused")
			}
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct {
		name string
		peer *fakePeer
		want string
	}{
		{"customer", cust, "[take upload refused]"},
		{"primary", prim, "[taken]"},
		{"secondary", sec, "[taken]"},
		{"guest technician", guest, "[]"},
	} {
		if got := steps(c.peer); got != c.want {
			t.Errorf("%s got %s, want %s", c.name, got, c.want)
		}
	}

	_, late := w.mustJoin(toolmatrix.Secondary, "s", "q2")
	h, ok := late.last(proto.TypeHistory)
	if !ok {
		t.Fatal("no history for the late joiner")
	}
	for _, raw := range h.History {
		if m := string(raw); strings.Contains(m, `"step":"take"`) || strings.Contains(m, `"step":"upload"`) {
			t.Errorf("history has a customer-only message: %s", m)
		}
	}
	if len(h.History) != 1 {
		t.Errorf("history: %d messages, want the customer's answer", len(h.History))
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, l := range ev.lines {
		if strings.Contains(l, "X-Amz") || strings.Contains(l, "evil") {
			t.Errorf("the record keeps a slot's URL: %s", l)
		}
	}
}
