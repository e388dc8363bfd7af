package proto

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/plaintext"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Camera tools are the tools that act on the customer's camera view:
// annotation, freeze, zoom and flash. Their messages carry an "op"; the
// relay checks each one against the rules below, keeps what stays on screen
// (shapes, the frozen still, the zoom) and forwards a canonical copy built
// from the checked values, so nothing unchecked reaches another page.
//
//	annotation  add {shape}  undo {shapeId}  clear          (commands)
//	freeze      request  off                                (commands)
//	            begin {frame, size, chunks, width, height}  (customer's answers)
//	            chunk {frame, seq, data}  failed {to, reason}
//	zoom        set {level, x, y}                           (command)
//	            applied {mode, level, x, y}                 (customer's answer)
//	flash       set {state}                                 (command)
//	            result {state, ok, reason, to}              (customer's answer)

// Camera message limits.
const (
	// MaxShapePoints bounds a freehand stroke.
	MaxShapePoints = 500
	// MaxShapeText bounds a text shape in characters.
	MaxShapeText = 200
	// MaxShapes bounds the shapes a session keeps on screen.
	MaxShapes = 300
	// MaxStillBytes bounds a frozen still (JPEG bytes).
	MaxStillBytes = 320 << 10
	// MaxStillChunk bounds one chunk's JPEG bytes; base64 makes it 12 KiB,
	// under MaxToolMessageSize with room for the other fields.
	MaxStillChunk = 9 << 10
	// MaxZoom bounds the zoom level.
	MaxZoom = 10
	// LiveFrame is the frame id of shapes drawn on the live video.
	LiveFrame = "live"
)

// ErrCameraForbidden marks a camera message the sender may not send
// whatever its tools: clearing others' shapes, undoing another's shape.
var ErrCameraForbidden = errors.New("not allowed")

var (
	shapeTypes = map[string][2]int{ // min and max points
		"freehand": {2, MaxShapePoints},
		"arrow":    {2, 2},
		"circle":   {2, 2}, // centre and a point on the circle
		"text":     {1, 1},
	}
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// Palette gives each participant a colour of their own, picked by the
	// relay so a participant cannot pose as another by their colour.
	Palette = [...]string{"#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6"}
)

// Shape is one annotation shape in normalized frame coordinates: (0,0) is
// the frame's top left, (1,1) its bottom right.
type Shape struct {
	ID     string       `json:"id"`
	Type   string       `json:"type"`
	Points [][2]float64 `json:"points"`
	Text   string       `json:"text,omitempty"`
	Frame  string       `json:"frame"`
	Author string       `json:"author"`
	Color  string       `json:"color"`
}

// CameraOp is a checked camera-tool message.
type CameraOp struct {
	Tool toolmatrix.Tool
	Op   string
	// Answer is true for the customer device's answers.
	Answer bool
	Shape  *Shape
	// ShapeID names the sender's shape to undo.
	ShapeID string
	// Frame, Seq, Chunks, Size, Width, Height and Data describe a still.
	Frame               string
	Seq, Chunks, Size   int
	Width, Height       int
	Data                []byte
	Level, X, Y         float64
	Mode, State, Reason string
	OK                  bool
	// To is the one participant an answer is for; empty means everyone
	// who may receive the tool.
	To string
}

// IsCamera reports whether t's messages are camera messages.
func IsCamera(t toolmatrix.Tool) bool {
	switch t {
	case toolmatrix.Annotation, toolmatrix.Freeze, toolmatrix.Zoom, toolmatrix.Flash:
		return true
	}
	return false
}

type cameraWire struct {
	Op      string   `json:"op"`
	Shape   *Shape   `json:"shape"`
	ShapeID string   `json:"shapeId"`
	Frame   string   `json:"frame"`
	Seq     *int     `json:"seq"`
	Chunks  int      `json:"chunks"`
	Size    int      `json:"size"`
	Width   int      `json:"width"`
	Height  int      `json:"height"`
	Data    string   `json:"data"`
	Level   *float64 `json:"level"`
	X       *float64 `json:"x"`
	Y       *float64 `json:"y"`
	Mode    string   `json:"mode"`
	State   string   `json:"state"`
	OK      *bool    `json:"ok"`
	Reason  string   `json:"reason"`
	To      string   `json:"to"`
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
}

func unit(v float64) bool { return !math.IsNaN(v) && v >= 0 && v <= 1 }

// DecodeCamera checks a camera tool's message and rewrites m to carry only
// the checked fields.
func DecodeCamera(m *ToolMessage) (CameraOp, error) {
	var w cameraWire
	raw, _ := json.Marshal(m.fields)
	if err := json.Unmarshal(raw, &w); err != nil {
		return CameraOp{}, invalid("camera fields of the wrong type")
	}
	op := CameraOp{Tool: m.Tool, Op: w.Op}
	out := map[string]any{"op": w.Op}
	switch m.Tool {
	case toolmatrix.Annotation:
		switch w.Op {
		case "add":
			s := w.Shape
			if s == nil {
				return op, invalid("shape")
			}
			lim, ok := shapeTypes[s.Type]
			if !ok {
				return op, invalid("shape type")
			}
			if !tokenRE.MatchString(s.ID) {
				return op, invalid("shape id")
			}
			if len(s.Points) < lim[0] || len(s.Points) > lim[1] {
				return op, invalid("shape points: %d to %d", lim[0], lim[1])
			}
			for _, p := range s.Points {
				if !unit(p[0]) || !unit(p[1]) {
					return op, invalid("shape points: coordinates from 0 to 1")
				}
			}
			if s.Type == "text" {
				if s.Text == "" || utf8.RuneCountInString(s.Text) > MaxShapeText || plaintext.Check("text", s.Text) != nil {
					return op, invalid("shape text: one line of up to %d characters", MaxShapeText)
				}
			} else if s.Text != "" {
				return op, invalid("shape text")
			}
			if s.Frame == "" {
				s.Frame = LiveFrame
			}
			if s.Frame != LiveFrame && !tokenRE.MatchString(s.Frame) {
				return op, invalid("shape frame")
			}
			shape := Shape{ID: s.ID, Type: s.Type, Points: s.Points, Text: s.Text, Frame: s.Frame}
			op.Shape = &shape
			out["shape"] = op.Shape
		case "undo":
			if !tokenRE.MatchString(w.ShapeID) {
				return op, invalid("shapeId")
			}
			op.ShapeID = w.ShapeID
			out["shapeId"] = w.ShapeID
		case "clear":
		default:
			return op, invalid("op")
		}
	case toolmatrix.Freeze:
		switch w.Op {
		case "request", "off":
		case "begin":
			op.Answer = true
			if !tokenRE.MatchString(w.Frame) || w.Frame == LiveFrame {
				return op, invalid("frame")
			}
			if w.Size < 1 || w.Size > MaxStillBytes {
				return op, invalid("size: at most %d bytes", MaxStillBytes)
			}
			if w.Chunks != (w.Size+MaxStillChunk-1)/MaxStillChunk {
				return op, invalid("chunks")
			}
			if w.Width < 1 || w.Width > 8192 || w.Height < 1 || w.Height > 8192 {
				return op, invalid("width and height")
			}
			op.Frame, op.Size, op.Chunks, op.Width, op.Height = w.Frame, w.Size, w.Chunks, w.Width, w.Height
			out["frame"], out["size"], out["chunks"], out["width"], out["height"] = w.Frame, w.Size, w.Chunks, w.Width, w.Height
		case "chunk":
			op.Answer = true
			if !tokenRE.MatchString(w.Frame) || w.Seq == nil || *w.Seq < 0 {
				return op, invalid("frame and seq")
			}
			data, err := base64.StdEncoding.DecodeString(w.Data)
			if err != nil || len(data) == 0 || len(data) > MaxStillChunk {
				return op, invalid("data: base64 of at most %d bytes", MaxStillChunk)
			}
			op.Frame, op.Seq, op.Data = w.Frame, *w.Seq, data
			out["frame"], out["seq"], out["data"] = w.Frame, *w.Seq, w.Data
		case "failed":
			op.Answer = true
			if err := answerTo(&op, w, out); err != nil {
				return op, err
			}
		default:
			return op, invalid("op")
		}
	case toolmatrix.Zoom:
		switch w.Op {
		case "set", "applied":
			if w.Level == nil || *w.Level < 1 || *w.Level > MaxZoom || w.X == nil || w.Y == nil || !unit(*w.X) || !unit(*w.Y) {
				return op, invalid("level from 1 to %d, x and y from 0 to 1", MaxZoom)
			}
			op.Level, op.X, op.Y = *w.Level, *w.X, *w.Y
			out["level"], out["x"], out["y"] = op.Level, op.X, op.Y
			if w.Op == "applied" {
				op.Answer = true
				if w.Mode != "optical" && w.Mode != "digital" {
					return op, invalid("mode")
				}
				op.Mode = w.Mode
				out["mode"] = w.Mode
			}
		default:
			return op, invalid("op")
		}
	case toolmatrix.Flash:
		if w.State != "on" && w.State != "off" {
			return op, invalid("state")
		}
		op.State = w.State
		out["state"] = w.State
		switch w.Op {
		case "set":
		case "result":
			op.Answer = true
			if w.OK == nil {
				return op, invalid("ok")
			}
			op.OK = *w.OK
			out["ok"] = op.OK
			if err := answerTo(&op, w, out); err != nil {
				return op, err
			}
		default:
			return op, invalid("op")
		}
	default:
		return op, ErrUnknownTool
	}
	keep := map[string]json.RawMessage{"tool": m.fields["tool"]}
	if id, ok := m.fields["id"]; ok {
		keep["id"] = id
	}
	for k, v := range out {
		b, err := json.Marshal(v)
		if err != nil {
			return op, invalid("%s", k)
		}
		keep[k] = b
	}
	m.fields = keep
	return op, nil
}

// answerTo checks an answer's addressee and reason code.
func answerTo(op *CameraOp, w cameraWire, out map[string]any) error {
	if w.To != "" {
		if len(w.To) > 128 {
			return invalid("to")
		}
		op.To = w.To
		out["to"] = w.To
	}
	switch w.Reason {
	case "", "unsupported", "failed", "no_camera":
	default:
		return invalid("reason")
	}
	op.Reason = w.Reason
	if w.Reason != "" {
		out["reason"] = w.Reason
	}
	return nil
}

// SetShape replaces the message's shape with s (author and colour set by the
// relay).
func (m *ToolMessage) SetShape(s Shape) {
	b, _ := json.Marshal(s)
	m.fields["shape"] = b
}
