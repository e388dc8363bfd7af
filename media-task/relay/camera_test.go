package relay

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// TestCameraStateBounded checks that the shapes a session keeps are bounded
// in bytes as well as in number, that undo and clear give the room back,
// and that a joiner gets them in history messages of bounded size.
func TestCameraStateBounded(t *testing.T) {
	w, _ := newRecordingWorld(t)
	w.mustJoin(toolmatrix.Primary, "s", "p")
	p := w.eng.peer("s/p")
	stroke := "[" + strings.TrimSuffix(strings.Repeat("[0.12345,0.65432],", proto.MaxShapePoints), ",") + "]"
	refused := 0
	sent := 0
	for i := 0; i < proto.MaxShapes && refused < 2; i++ {
		p.ev.Data(fmt.Appendf(nil, `{"tool":"annotation","id":"m%d","op":"add","shape":{"id":"s%d","type":"freehand","points":%s}}`, i, i, stroke))
		sent++
		if n := len(p.messages()); n > refused {
			refused = n
			if !strings.Contains(p.messages()[n-1], `too many shapes on screen"`) {
				t.Fatalf("reply %s", p.messages()[n-1])
			}
		}
	}
	w.srv.camera.mu.Lock()
	st := w.srv.camera.sessions["s"]
	kept, size := len(st.shapes), st.shapesBytes
	w.srv.camera.mu.Unlock()
	if refused != 2 || size > maxShapesBytes || kept+refused != sent || kept >= proto.MaxShapes {
		t.Fatalf("kept %d shapes of %d bytes, refused %d", kept, size, refused)
	}

	_, late := w.mustJoin(toolmatrix.Secondary, "s", "late")
	got := 0
	for _, s := range late.sent {
		if s.Type != proto.TypeHistory {
			continue
		}
		bytes := 0
		for _, m := range s.History {
			bytes += len(m)
		}
		if bytes > maxHistoryBatch {
			t.Errorf("a history message of %d bytes", bytes)
		}
		got += len(s.History)
	}
	if got != kept {
		t.Errorf("the joiner got %d shapes, want %d", got, kept)
	}

	// Undo and clear give the room back.
	p.ev.Data([]byte(`{"tool":"annotation","op":"undo","shapeId":"s0"}`))
	w.srv.camera.mu.Lock()
	if st.shapesBytes >= size || len(st.shapes) != kept-1 {
		t.Errorf("after undo: %d shapes, %d bytes", len(st.shapes), st.shapesBytes)
	}
	w.srv.camera.mu.Unlock()
	p.ev.Data([]byte(`{"tool":"annotation","op":"clear"}`))
	w.srv.camera.mu.Lock()
	if st.shapesBytes != 0 || len(st.shapes) != 0 {
		t.Errorf("after clear: %d shapes, %d bytes", len(st.shapes), st.shapesBytes)
	}
	w.srv.camera.mu.Unlock()
}

// TestCameraStateForgotten checks that an ended session's camera state goes
// at once, and an abandoned one's after cameraLinger, while a session
// someone is in keeps its shapes however long they stay.
func TestCameraStateForgotten(t *testing.T) {
	w, _ := newRecordingWorld(t)
	var mu sync.Mutex
	now := time.Now()
	w.srv.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	has := func(sid string) bool {
		w.srv.camera.mu.Lock()
		defer w.srv.camera.mu.Unlock()
		return w.srv.camera.sessions[sid] != nil
	}
	arrow := func(id string) []byte {
		return fmt.Appendf(nil, `{"tool":"annotation","op":"add","shape":{"id":%q,"type":"arrow","points":[[0,0],[1,1]]}}`, id)
	}
	for _, sid := range []string{"ended", "abandoned", "live"} {
		w.mustJoin(toolmatrix.Primary, sid, "p")
		w.eng.peer(sid + "/p").ev.Data(arrow("a"))
		if !has(sid) {
			t.Fatalf("%s keeps no shapes", sid)
		}
	}
	if _, err := w.srv.EndSession("ended", ""); err != nil {
		t.Fatal(err)
	}
	if has("ended") {
		t.Error("an ended session's camera state is kept")
	}
	w.srv.sessions["abandoned"].participants["p"].Leave(proto.ReasonLeft)
	advance(cameraLinger / 2)
	w.eng.peer("live/p").ev.Data(arrow("b"))
	if !has("abandoned") {
		t.Error("an empty session's shapes went before cameraLinger: a reload would lose them")
	}
	advance(cameraLinger + time.Minute)
	w.eng.peer("live/p").ev.Data(arrow("c"))
	if has("abandoned") || !has("live") {
		t.Errorf("after cameraLinger: abandoned kept %v, live kept %v", has("abandoned"), has("live"))
	}
}
