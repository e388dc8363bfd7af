package proto

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

func TestDecodeSignal(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
		typ  string
	}{
		{"join", `{"type":"join","ticket":"a.b.c"}`, nil, TypeJoin},
		{"answer", `{"type":"answer","sdp":"v=0"}`, nil, TypeAnswer},
		{"candidate", `{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`, nil, TypeCandidate},
		{"end of candidates", `{"type":"candidate","candidate":{"candidate":""}}`, nil, TypeCandidate},
		{"close", `{"type":"close","reason":"left"}`, nil, TypeClose},
		{"unknown fields tolerated", `{"type":"close","extra":1}`, nil, TypeClose},
		{"join without ticket", `{"type":"join"}`, ErrMissingField, ""},
		{"answer without sdp", `{"type":"answer"}`, ErrMissingField, ""},
		{"candidate missing", `{"type":"candidate"}`, ErrMissingField, ""},
		{"no type", `{}`, ErrMissingField, ""},
		{"server type from client", `{"type":"offer","sdp":"v=0"}`, ErrUnknownType, ""},
		{"unknown type", `{"type":"teleport"}`, ErrUnknownType, ""},
		{"not json", `hello`, ErrMalformed, ""},
		{"wrong field type", `{"type":"join","ticket":5}`, ErrMalformed, ""},
		{"ticket too long", `{"type":"join","ticket":"` + strings.Repeat("a", MaxTicketSize+1) + `"}`, ErrTooLarge, ""},
		{"message too long", `{"type":"answer","sdp":"` + strings.Repeat("a", MaxSignalSize) + `"}`, ErrTooLarge, ""},
		{"reason too long", `{"type":"close","reason":"` + strings.Repeat("a", 65) + `"}`, ErrTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := DecodeSignal([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && s.Type != tc.typ {
				t.Fatalf("type %q, want %q", s.Type, tc.typ)
			}
		})
	}
}

func TestSignalEncode(t *testing.T) {
	b, err := Signal{Type: TypeTools, Tools: []toolmatrix.Tool{}}.Encode()
	if err != nil || string(b) != `{"type":"tools","tools":[]}` {
		t.Fatalf("empty tools encode as %s (%v)", b, err)
	}
	b, _ = Signal{Type: TypeClose, Reason: ReasonRemoved}.Encode()
	if string(b) != `{"type":"close","reason":"removed"}` {
		t.Fatalf("close encodes as %s", b)
	}
}

func TestDecodeTool(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
		tool toolmatrix.Tool
	}{
		{"chat", `{"tool":"chat","text":"hi"}`, nil, toolmatrix.Chat},
		{"annotation with id", `{"tool":"annotation","id":"a1","points":[[1,2]]}`, nil, toolmatrix.Annotation},
		{"numeric id", `{"tool":"zoom","id":42,"level":2}`, nil, toolmatrix.Zoom},
		{"every message tool", `{"tool":"flash","state":"on"}`, nil, toolmatrix.Flash},
		{"media tool is not a message", `{"tool":"video"}`, ErrUnknownTool, "video"},
		{"invite is not a message", `{"tool":"invite"}`, ErrUnknownTool, "invite"},
		{"unknown tool", `{"tool":"teleport"}`, ErrUnknownTool, "teleport"},
		{"no tool", `{"text":"hi"}`, ErrMissingField, ""},
		{"tool not a string", `{"tool":1}`, ErrMalformed, ""},
		{"array", `[1,2]`, ErrMalformed, ""},
		{"null", `null`, ErrMalformed, ""},
		{"object id", `{"tool":"chat","id":{"a":1}}`, ErrMalformed, ""},
		{"long id", `{"tool":"chat","id":"` + strings.Repeat("x", 70) + `"}`, ErrMalformed, ""},
		{"too large", `{"tool":"chat","text":"` + strings.Repeat("x", MaxToolMessageSize) + `"}`, ErrTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeTool([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if m.Tool != tc.tool {
				t.Fatalf("tool %q, want %q", m.Tool, tc.tool)
			}
		})
	}
}

func TestForwardStampsSender(t *testing.T) {
	m, err := DecodeTool([]byte(`{"tool":"chat","text":"hi","from":"mallory","fromKind":"primary","fromName":"Boss"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Forward(Participant{ID: "g1", Kind: toolmatrix.Guest, Name: "Gail"})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out["from"] != "g1" || out["fromKind"] != "guest" || out["fromName"] != "Gail" || out["text"] != "hi" || out["tool"] != "chat" {
		t.Fatalf("forwarded %s", b)
	}
}

func TestEncodeToolError(t *testing.T) {
	b := EncodeToolError(ToolError{Code: CodeToolForbidden, Message: "no", Tool: toolmatrix.Notes, ID: json.RawMessage(`"x"`)})
	want := `{"error":{"code":"tool_forbidden","message":"no","tool":"notes","id":"x"}}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

// FuzzDecodeSignal checks that the signaling decoder never panics and that
// whatever it accepts is valid and re-encodes.
func FuzzDecodeSignal(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","ticket":"a.b.c"}`,
		`{"type":"answer","sdp":"v=0\r\n"}`,
		`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`,
		`{"type":"close","reason":"left"}`,
		`{"type":"offer"}`, `{}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSignal(b)
		if err != nil {
			return
		}
		switch s.Type {
		case TypeJoin:
			if s.Ticket == "" || len(s.Ticket) > MaxTicketSize {
				t.Fatalf("accepted bad join %q", b)
			}
		case TypeAnswer:
			if s.SDP == "" {
				t.Fatalf("accepted empty answer")
			}
		case TypeCandidate:
			if s.Candidate == nil {
				t.Fatalf("accepted candidate without candidate")
			}
		case TypeClose:
		default:
			t.Fatalf("accepted type %q", s.Type)
		}
		if _, err := s.Encode(); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

// FuzzDecodeTool checks that the tool decoder never panics, accepts only
// data-channel tools and that forwarding always yields a JSON object whose
// sender fields are the relay's.
func FuzzDecodeTool(f *testing.F) {
	for _, s := range []string{
		`{"tool":"chat","text":"hi"}`,
		`{"tool":"annotation","id":"a1","points":[[1,2],[3,4]],"color":"#f00"}`,
		`{"tool":"notes","id":7,"text":"secret"}`,
		`{"tool":"snapshot","from":"spoof"}`,
		`{"tool":"video"}`, `{"tool":1}`, `{}`, `[]`, `"chat"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeTool(b)
		if err != nil {
			return
		}
		if !m.Tool.Message() {
			t.Fatalf("accepted non-message tool %q", m.Tool)
		}
		out, err := m.Forward(Participant{ID: "p", Kind: toolmatrix.Guest})
		if err != nil {
			t.Fatalf("forward: %v", err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(out, &obj); err != nil {
			t.Fatalf("forwarded non-object %s", out)
		}
		if string(obj["from"]) != `"p"` || string(obj["fromKind"]) != `"guest"` {
			t.Fatalf("sender fields not the relay's: %s", out)
		}
		if _, spoof := obj["fromName"]; spoof {
			t.Fatalf("client fromName survived: %s", out)
		}
	})
}

func TestToolMessageText(t *testing.T) {
	long := strings.Repeat("é", MaxRecordText+5)
	for _, tc := range []struct{ in, want string }{
		{`{"tool":"chat","id":"c1","text":"Hello"}`, "Hello"},
		{`{"tool":"chat","text":"` + long + `"}`, long[:2*MaxRecordText]},
		{`{"tool":"zoom","id":"z","level":2}`, "level: 2"},
		{`{"tool":"annotation","shape":"arrow","label":"here","points":[[1,2]]}`, "label: here, shape: arrow"},
		{`{"tool":"qr","format":"QRCode","text":"https://example.test/p/1"}`, "format: QRCode, text: https://example.test/p/1"},
		{`{"tool":"live_text","text":"PUMP 4711"}`, "text: PUMP 4711"},
	} {
		m, err := DecodeTool([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := m.Text(); got != tc.want {
			t.Errorf("%.60s: %q, want %q", tc.in, got, tc.want)
		}
	}
}
