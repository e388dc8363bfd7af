package relay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// TestScanResultsFollowTheMatrix: a guest technician's QR result reaches
// the other technicians and the customer and is recorded; a scan result
// without text is refused to its sender only, and is neither forwarded, kept
// for late joiners nor recorded; the customer cannot send one.
func TestScanResultsFollowTheMatrix(t *testing.T) {
	w, ev := newRecordingWorld(t)
	w.mustJoin(toolmatrix.Primary, "s", "p")
	w.mustJoin(toolmatrix.Guest, "s", "g")
	w.mustJoin(toolmatrix.Customer, "s", "c")
	prim, guest, cust := w.eng.peer("s/p"), w.eng.peer("s/g"), w.eng.peer("s/c")

	guest.ev.Data([]byte(`{"tool":"qr","id":"g1","format":"QRCode","text":""}`))
	cust.ev.Data([]byte(`{"tool":"barcode","id":"c1","format":"EAN13","text":"4006381333931"}`))
	guest.ev.Data([]byte(`{"tool":"qr","id":"g2","format":"QRCode","text":"https://example.test/pump/4711"}`))

	if got := guest.messages(); len(got) != 1 || !strings.Contains(got[0], `"code":"tool_invalid"`) || !strings.Contains(got[0], `"id":"g1"`) {
		t.Fatalf("the guest got %v, want one tool_invalid for g1", got)
	}
	if got := cust.messages(); len(got) != 2 || !strings.Contains(got[0], `"code":"tool_forbidden"`) ||
		!strings.Contains(got[1], `"text":"https://example.test/pump/4711"`) {
		t.Fatalf("the customer got %v, want its refusal and the guest's result", got)
	}
	if got := prim.messages(); len(got) != 1 || !strings.Contains(got[0], `"fromKind":"guest"`) || !strings.Contains(got[0], `"format":"QRCode"`) {
		t.Fatalf("the primary got %v", got)
	}
	_, late := w.mustJoin(toolmatrix.Secondary, "s", "q")
	if got := historyTexts(t, late); fmt.Sprint(got) != "[qr:https://example.test/pump/4711]" {
		t.Fatalf("a late technician's history: %v", got)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if want := "[s/g qr:format: QRCode, text: https://example.test/pump/4711]"; fmt.Sprint(ev.lines) != want {
		t.Fatalf("record %v, want %s", ev.lines, want)
	}
}
