package app

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// commandPayload is a valid command of a camera tool, so the matrix tests
// exercise the matrix and not the camera rules; other tools need none.
func commandPayload(tool toolmatrix.Tool, id string) string {
	switch tool {
	case toolmatrix.Annotation:
		return fmt.Sprintf(`"op":"add","shape":{"id":%q,"type":"arrow","points":[[0.1,0.1],[0.5,0.5]]},`, id)
	case toolmatrix.Freeze:
		return `"op":"request",`
	case toolmatrix.Zoom:
		return `"op":"set","level":2,"x":0.5,"y":0.5,`
	case toolmatrix.Flash:
		return `"op":"set","state":"on",`
	case toolmatrix.QR:
		return `"format":"QRCode","text":"PUMP-4711",`
	case toolmatrix.Barcode:
		return `"format":"Code128","text":"4711",`
	case toolmatrix.LiveText:
		return `"text":"PUMP SERIAL 4711",`
	}
	return ""
}

// camMsg is a received camera message.
type camMsg struct {
	Tool    string           `json:"tool"`
	ID      string           `json:"id"`
	Op      string           `json:"op"`
	From    string           `json:"from"`
	Barrier bool             `json:"barrier"`
	Shape   *proto.Shape     `json:"shape"`
	ShapeID string           `json:"shapeId"`
	Frame   string           `json:"frame"`
	Seq     int              `json:"seq"`
	Data    string           `json:"data"`
	Mode    string           `json:"mode"`
	OK      *bool            `json:"ok"`
	Reason  string           `json:"reason"`
	To      string           `json:"to"`
	Error   *proto.ToolError `json:"error"`
}

func send(t *testing.T, c *client.Client, msg string) {
	t.Helper()
	if err := c.SendTool([]byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// until sends a chat barrier from sender and returns what c received
// before it.
func until(t *testing.T, name string, sender member, c *client.Client) []camMsg {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := fmt.Sprintf("barrier-%x", b)
	send(t, sender.c, fmt.Sprintf(`{"tool":"chat","id":%q,"barrier":true}`, id))
	var got []camMsg
	timeout := time.After(wait)
	for {
		select {
		case raw := <-c.Messages():
			var m camMsg
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s: bad message %s", name, raw)
			}
			if m.Barrier && m.ID == id {
				return got
			}
			if m.Tool != "chat" {
				got = append(got, m)
			}
		case <-timeout:
			t.Fatalf("%s: barrier never arrived (got %v)", name, got)
		}
	}
}

// refusal waits for the error reply to id on c.
func refusal(t *testing.T, c *client.Client, id string) proto.ToolError {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case raw := <-c.Messages():
			var m camMsg
			_ = json.Unmarshal(raw, &m)
			if m.Error != nil && string(m.Error.ID) == fmt.Sprintf("%q", id) {
				return *m.Error
			}
			if m.Error != nil {
				t.Fatalf("refusal of %s, want of %s", m.Error.ID, id)
			}
		case <-timeout:
			t.Fatalf("no refusal of %s", id)
		}
	}
}

// history collects the history messages c got after joining.
func history(t *testing.T, c *client.Client, want func([]camMsg) bool) []camMsg {
	t.Helper()
	var got []camMsg
	timeout := time.After(wait)
	for !want(got) {
		select {
		case s := <-c.Signals():
			if s.Type != proto.TypeHistory {
				continue
			}
			for _, raw := range s.History {
				var m camMsg
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatal(err)
				}
				if m.Tool != "chat" {
					got = append(got, m)
				}
			}
		case <-timeout:
			t.Fatalf("history %v incomplete", got)
		}
	}
	return got
}

func ops(ms []camMsg) []string {
	var out []string
	for _, m := range ms {
		s := m.Tool + ":" + m.Op
		if m.Shape != nil {
			s += ":" + m.Shape.ID
		}
		if m.ShapeID != "" {
			s += ":" + m.ShapeID
		}
		out = append(out, s)
	}
	return out
}

// TestCameraAnnotation checks the relay's annotation rules with real peers:
// shapes are checked, take their author and colour from the relay, reach
// only those who may receive annotations, are undone only by their author,
// cleared only by the primary, and are given to late joiners.
func TestCameraAnnotation(t *testing.T) {
	h := newHarness(t)
	const sid = "ann"
	cust := member{toolmatrix.Customer, "cust", h.join(toolmatrix.Customer, sid, "cust", false)}
	prim := member{toolmatrix.Primary, "prim", h.join(toolmatrix.Primary, sid, "prim", false)}
	sec := member{toolmatrix.Secondary, "sec", h.join(toolmatrix.Secondary, sid, "sec", false)}
	guest := member{toolmatrix.Guest, "guest", h.join(toolmatrix.Guest, sid, "guest", false)}
	// The guest's annotation is switched off: it neither draws nor sees shapes.
	if st, body := h.control("/control/sessions/"+sid+"/participants/guest/tools", map[string]any{"tools": []string{"chat", "zoom"}}); st != http.StatusOK {
		t.Fatalf("tools: %d %v", st, body)
	}
	waitFor(t, "the guest's tools", func() bool {
		select {
		case s := <-guest.c.Signals():
			return s.Type == proto.TypeTools
		default:
			return false
		}
	})

	send(t, prim.c, `{"tool":"annotation","id":"a1","op":"add","extra":"dropped","shape":{"id":"s1","type":"arrow","points":[[0.1,0.2],[0.6,0.7]],"author":"cust","color":"#000000"}}`)
	for _, rcv := range []member{cust, sec} {
		got := until(t, rcv.id, prim, rcv.c)
		if len(got) != 1 || got[0].Shape == nil {
			t.Fatalf("%s got %v, want the arrow", rcv.id, got)
		}
		s := got[0].Shape
		if s.Author != "prim" || s.Color == "#000000" || !slices.Contains(proto.Palette[:], s.Color) || s.Frame != "live" || s.Points[1] != [2]float64{0.6, 0.7} {
			t.Errorf("%s got shape %+v", rcv.id, *s)
		}
	}
	if got := until(t, "guest", prim, guest.c); len(got) != 0 {
		t.Errorf("the guest without annotation got %v", got)
	}
	send(t, guest.c, `{"tool":"annotation","id":"g1","op":"add","shape":{"id":"g","type":"arrow","points":[[0,0],[1,1]]}}`)
	if e := refusal(t, guest.c, "g1"); e.Code != proto.CodeToolForbidden {
		t.Errorf("guest's shape: %+v", e)
	}

	// Shapes outside the rules are refused and reach nobody.
	long := strings.Repeat("[0.5,0.5],", proto.MaxShapePoints) + "[0.5,0.5]"
	bad := map[string]string{
		"out":   `{"type":"arrow","id":"x","points":[[0.1,0.1],[1.5,0.2]]}`,
		"neg":   `{"type":"circle","id":"x","points":[[-0.1,0.1],[0.5,0.2]]}`,
		"long":  `{"type":"freehand","id":"x","points":[` + long + `]}`,
		"three": `{"type":"arrow","id":"x","points":[[0,0],[0.5,0.5],[1,1]]}`,
		"ctrl":  `{"type":"text","id":"x","points":[[0.5,0.5]],"text":"valve\u202eevlav"}`,
		"kind":  `{"type":"polygon","id":"x","points":[[0,0],[1,1]]}`,
		"id":    `{"type":"arrow","id":"<b>","points":[[0,0],[1,1]]}`,
		"frame": `{"type":"arrow","id":"x","points":[[0,0],[1,1]],"frame":"f-none"}`,
	}
	for name, shape := range bad {
		send(t, prim.c, fmt.Sprintf(`{"tool":"annotation","id":%q,"op":"add","shape":%s}`, name, shape))
		if e := refusal(t, prim.c, name); e.Code != proto.CodeToolInvalid {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if got := until(t, "customer", prim, cust.c); len(got) != 0 {
		t.Errorf("refused shapes reached the customer: %v", ops(got))
	}

	// Undo is for one's own shapes, clear all for the primary.
	send(t, sec.c, `{"tool":"annotation","id":"s-undo","op":"undo","shapeId":"s1"}`)
	if e := refusal(t, sec.c, "s-undo"); e.Code != proto.CodeToolForbidden {
		t.Errorf("undo of another's shape: %+v", e)
	}
	send(t, sec.c, `{"tool":"annotation","id":"s-clear","op":"clear"}`)
	if e := refusal(t, sec.c, "s-clear"); e.Code != proto.CodeToolForbidden {
		t.Errorf("clear by the secondary: %+v", e)
	}
	send(t, sec.c, `{"tool":"annotation","id":"s2","op":"add","shape":{"id":"t1","type":"text","points":[[0.3,0.3]],"text":"turn this valve"}}`)
	send(t, sec.c, `{"tool":"annotation","id":"s3","op":"add","shape":{"id":"t2","type":"freehand","points":[[0.3,0.3],[0.31,0.35],[0.4,0.4]]}}`)
	send(t, sec.c, `{"tool":"annotation","id":"s4","op":"undo","shapeId":"t2"}`)
	if got := ops(until(t, "customer", sec, cust.c)); !slices.Equal(got, []string{"annotation:add:t1", "annotation:add:t2", "annotation:undo:t2"}) {
		t.Errorf("customer got %v", got)
	}

	// A late joiner gets the shapes still on screen, the guest kind without
	// annotation none.
	late := h.join(toolmatrix.Secondary, sid, "late", false)
	if got := ops(history(t, late, func(m []camMsg) bool { return len(m) >= 2 })); !slices.Equal(got, []string{"annotation:add:s1", "annotation:add:t1"}) {
		t.Errorf("late joiner's shapes %v", got)
	}

	send(t, prim.c, `{"tool":"annotation","id":"p-clear","op":"clear"}`)
	if got := ops(until(t, "secondary", prim, sec.c)); !slices.Equal(got, []string{"annotation:clear"}) {
		t.Errorf("secondary got %v after clear", got)
	}
	later := h.join(toolmatrix.Primary, sid, "prim2", false)
	send(t, prim.c, `{"tool":"chat","id":"after-clear"}`)
	waitFor(t, "chat to the later joiner", func() bool {
		select {
		case s := <-later.Signals():
			if s.Type == proto.TypeHistory && strings.Contains(fmt.Sprintf("%s", s.History), `"annotation"`) {
				t.Errorf("history after clear all: %s", s.History)
			}
		case raw := <-later.Messages():
			return bytes.Contains(raw, []byte("after-clear"))
		case <-time.After(10 * time.Millisecond):
		}
		return false
	})
}

// TestCameraFreezeZoomFlash checks the customer device's answers with real
// peers: only the customer sends a still, in bounded chunks; everyone who
// may receive freezes gets the same bytes, late joiners too; shapes drawn on
// the still go with it; the zoom applied is kept; a flash answer reaches the
// technician who asked and nobody else.
func TestCameraFreezeZoomFlash(t *testing.T) {
	h := newHarness(t)
	const sid = "frz"
	cust := member{toolmatrix.Customer, "cust", h.join(toolmatrix.Customer, sid, "cust", false)}
	prim := member{toolmatrix.Primary, "prim", h.join(toolmatrix.Primary, sid, "prim", false)}
	guest := member{toolmatrix.Guest, "guest", h.join(toolmatrix.Guest, sid, "guest", false)}

	send(t, prim.c, `{"tool":"freeze","id":"f1","op":"request"}`)
	if got := ops(until(t, "customer", prim, cust.c)); !slices.Equal(got, []string{"freeze:request"}) {
		t.Fatalf("customer got %v", got)
	}
	// A technician cannot pose as the camera.
	send(t, prim.c, `{"tool":"freeze","id":"fake","op":"begin","frame":"fx","size":10,"chunks":1,"width":2,"height":2}`)
	if e := refusal(t, prim.c, "fake"); e.Code != proto.CodeToolForbidden {
		t.Errorf("technician's still: %+v", e)
	}
	// Nor can the customer command the camera tools.
	send(t, cust.c, `{"tool":"flash","id":"cf","op":"set","state":"on"}`)
	if e := refusal(t, cust.c, "cf"); e.Code != proto.CodeToolForbidden {
		t.Errorf("customer's flash command: %+v", e)
	}
	// A still over the bound is refused.
	send(t, cust.c, fmt.Sprintf(`{"tool":"freeze","id":"huge","op":"begin","frame":"fh","size":%d,"chunks":%d,"width":2,"height":2}`,
		proto.MaxStillBytes+1, (proto.MaxStillBytes+1+proto.MaxStillChunk-1)/proto.MaxStillChunk))
	if e := refusal(t, cust.c, "huge"); e.Code != proto.CodeToolInvalid {
		t.Errorf("oversized still: %+v", e)
	}

	jpeg := make([]byte, 3*proto.MaxStillChunk+100)
	_, _ = rand.Read(jpeg)
	n := (len(jpeg) + proto.MaxStillChunk - 1) / proto.MaxStillChunk
	send(t, cust.c, fmt.Sprintf(`{"tool":"freeze","id":"fb","op":"begin","frame":"frame1","size":%d,"chunks":%d,"width":1280,"height":720}`, len(jpeg), n))
	for i := range n {
		part := jpeg[i*proto.MaxStillChunk : min(len(jpeg), (i+1)*proto.MaxStillChunk)]
		send(t, cust.c, fmt.Sprintf(`{"tool":"freeze","id":"fc%d","op":"chunk","frame":"frame1","seq":%d,"data":%q}`, i, i, base64.StdEncoding.EncodeToString(part)))
	}
	send(t, cust.c, `{"tool":"freeze","id":"dup","op":"chunk","frame":"frame1","seq":0,"data":"AAAA"}`)
	if e := refusal(t, cust.c, "dup"); e.Code != proto.CodeToolInvalid {
		t.Errorf("chunk sent twice: %+v", e)
	}
	assemble := func(name string, ms []camMsg) []byte {
		t.Helper()
		parts := map[int][]byte{}
		for _, m := range ms {
			if m.Tool == "freeze" && m.Op == "chunk" && m.Frame == "frame1" {
				b, err := base64.StdEncoding.DecodeString(m.Data)
				if err != nil {
					t.Fatal(err)
				}
				parts[m.Seq] = b
			}
		}
		var out []byte
		for i := range n {
			out = append(out, parts[i]...)
		}
		return out
	}
	for _, rcv := range []member{prim, guest} {
		if got := assemble(rcv.id, until(t, rcv.id, cust, rcv.c)); !bytes.Equal(got, jpeg) {
			t.Errorf("%s's still differs: %d bytes of %d", rcv.id, len(got), len(jpeg))
		}
	}

	// A shape on the still, and one on a frame that is not frozen.
	send(t, prim.c, `{"tool":"annotation","id":"on-still","op":"add","shape":{"id":"fs","type":"circle","points":[[0.5,0.5],[0.6,0.5]],"frame":"frame1"}}`)
	send(t, prim.c, `{"tool":"annotation","id":"other","op":"add","shape":{"id":"fo","type":"circle","points":[[0.5,0.5],[0.6,0.5]],"frame":"frame2"}}`)
	if e := refusal(t, prim.c, "other"); e.Code != proto.CodeToolInvalid {
		t.Errorf("shape on an unfrozen frame: %+v", e)
	}
	send(t, prim.c, `{"tool":"zoom","id":"z1","op":"set","level":3,"x":0.25,"y":0.75}`)
	if got := ops(until(t, "customer", prim, cust.c)); !slices.Equal(got, []string{"annotation:add:fs", "zoom:set"}) {
		t.Errorf("customer got %v", got)
	}
	send(t, cust.c, `{"tool":"zoom","id":"z1a","op":"applied","mode":"digital","level":3,"x":0.25,"y":0.75}`)
	if got := ops(until(t, "primary", cust, prim.c)); !slices.Equal(got, []string{"zoom:applied"}) {
		t.Errorf("primary got %v", got)
	}
	if got := ops(until(t, "guest", cust, guest.c)); !slices.Equal(got, []string{"annotation:add:fs", "zoom:set", "zoom:applied"}) {
		t.Errorf("guest got %v", got)
	}

	// The late joiner gets the same still, the shape on it and the zoom.
	late := h.join(toolmatrix.Secondary, sid, "late", false)
	hist := history(t, late, func(m []camMsg) bool { return len(m) >= n+3 })
	if got := assemble("late", hist); !bytes.Equal(got, jpeg) {
		t.Errorf("late joiner's still differs: %d bytes", len(got))
	}
	if got := ops(hist[n+1:]); !slices.Equal(got, []string{"annotation:add:fs", "zoom:applied"}) {
		t.Errorf("late joiner's state after the still: %v", got)
	}

	// Unfreeze: the still and its shapes are gone for the next joiner.
	send(t, guest.c, `{"tool":"freeze","id":"off","op":"off"}`)
	for _, rcv := range []member{prim, cust} {
		if got := ops(until(t, rcv.id, guest, rcv.c)); !slices.Equal(got, []string{"freeze:off"}) {
			t.Errorf("%s got %v", rcv.id, got)
		}
	}
	next := h.join(toolmatrix.Secondary, sid, "next", false)
	if got := ops(history(t, next, func(m []camMsg) bool { return len(m) >= 1 })); !slices.Equal(got, []string{"zoom:applied"}) {
		t.Errorf("after unfreeze a joiner gets %v", got)
	}

	// Flash: the customer's "not supported" goes to the guest who asked.
	send(t, guest.c, `{"tool":"flash","id":"fl","op":"set","state":"on"}`)
	if got := ops(until(t, "customer", guest, cust.c)); !slices.Equal(got, []string{"flash:set"}) {
		t.Errorf("customer got %v", got)
	}
	if got := ops(until(t, "primary", guest, prim.c)); !slices.Equal(got, []string{"flash:set"}) {
		t.Errorf("primary got %v", got)
	}
	send(t, cust.c, `{"tool":"flash","id":"flr","op":"result","state":"on","ok":false,"reason":"unsupported","to":"guest"}`)
	got := until(t, "guest", cust, guest.c)
	if len(got) != 1 || got[0].OK == nil || *got[0].OK || got[0].Reason != "unsupported" || got[0].To != "guest" {
		t.Errorf("guest got %+v", got)
	}
	if got := until(t, "primary", cust, prim.c); len(got) != 0 {
		t.Errorf("the flash answer for the guest reached the primary: %v", ops(got))
	}
}
