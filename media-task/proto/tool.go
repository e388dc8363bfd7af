package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// MaxToolMessageSize bounds one tool message from a client. It leaves room
// under the data channel's 16 KiB message limit (the relay's SDP announces
// a=max-message-size:16384) for the sender fields the relay adds.
const MaxToolMessageSize = 15 << 10

// maxIDSize bounds a client's correlation id.
const maxIDSize = 64

// Tool message errors.
var (
	// ErrUnknownTool is returned for a tool that is not carried on the
	// data channel.
	ErrUnknownTool = errors.New("unknown tool")
)

// reserved are the fields the relay sets on forwarded messages; a client's
// values for them are dropped.
var reserved = [...]string{"from", "fromKind", "fromName"}

// ToolMessage is a decoded tool message: {"tool": ..., "id"?: ..., payload}.
type ToolMessage struct {
	// Tool is the message's tool, one of toolmatrix.MessageTools.
	Tool toolmatrix.Tool
	// ID is the client's optional correlation id (a JSON string or number),
	// echoed in error replies.
	ID     json.RawMessage
	fields map[string]json.RawMessage
}

// DecodeTool decodes and validates a tool message from a client.
func DecodeTool(b []byte) (ToolMessage, error) {
	if len(b) > MaxToolMessageSize {
		return ToolMessage{}, ErrTooLarge
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return ToolMessage{}, fmt.Errorf("%w: want a JSON object", ErrMalformed)
	}
	raw, ok := fields["tool"]
	if !ok {
		return ToolMessage{}, fmt.Errorf("%w: tool", ErrMissingField)
	}
	var tool string
	if err := json.Unmarshal(raw, &tool); err != nil {
		return ToolMessage{}, fmt.Errorf("%w: tool is not a string", ErrMalformed)
	}
	m := ToolMessage{Tool: toolmatrix.Tool(tool), fields: fields}
	if id, ok := fields["id"]; ok {
		if len(id) > maxIDSize || len(id) == 0 || (id[0] != '"' && id[0] != '-' && (id[0] < '0' || id[0] > '9')) {
			return ToolMessage{}, fmt.Errorf("%w: id must be a short string or number", ErrMalformed)
		}
		m.ID = id
	}
	if !m.Tool.Message() {
		return m, fmt.Errorf("%w: %.32q", ErrUnknownTool, tool)
	}
	for _, k := range reserved {
		delete(fields, k)
	}
	if err := checkScan(m); err != nil {
		return m, err
	}
	return m, nil
}

// Field returns the message's string field name, or "" when it is absent or
// not a string.
func (m ToolMessage) Field(name string) string {
	var v string
	_ = json.Unmarshal(m.fields[name], &v)
	return v
}

// Step is the message's "step" field, for tools whose messages are steps of
// one exchange (snapshot); empty if there is none.
func (m ToolMessage) Step() string {
	var s string
	_ = json.Unmarshal(m.fields["step"], &s)
	return s
}

// MaxRecordText bounds the text of one message in the session's record.
const MaxRecordText = 2000

// Text is what the session's record keeps of the message: a chat line's
// text, or the other tools' plain fields as "name: value", cut at
// MaxRecordText characters. Shapes and points are left out.
func (m ToolMessage) Text() string {
	if m.Tool == toolmatrix.Chat {
		var t string
		_ = json.Unmarshal(m.fields["text"], &t)
		return cut(t)
	}
	keys := make([]string, 0, len(m.fields))
	for k := range m.fields {
		if k != "tool" && k != "id" && k != "points" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		var v any
		if json.Unmarshal(m.fields[k], &v) != nil {
			continue
		}
		switch v.(type) {
		case string, float64, bool:
			parts = append(parts, fmt.Sprintf("%s: %v", k, v))
		}
	}
	return cut(strings.Join(parts, ", "))
}

func cut(s string) string {
	if utf8.RuneCountInString(s) <= MaxRecordText {
		return s
	}
	return string([]rune(s)[:MaxRecordText])
}

// Forward encodes the message as delivered to the other participants, with
// the relay's sender fields.
func (m ToolMessage) Forward(from Participant) ([]byte, error) {
	out := make(map[string]any, len(m.fields)+len(reserved))
	for k, v := range m.fields {
		out[k] = v
	}
	out["from"] = from.ID
	out["fromKind"] = from.Kind
	if from.Name != "" {
		out["fromName"] = from.Name
	}
	return json.Marshal(out)
}

// ToolError is the relay's reply on the data channel to a refused message.
type ToolError struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Tool    toolmatrix.Tool `json:"tool,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
}

// Tool error codes.
const (
	CodeToolForbidden = "tool_forbidden"
	CodeToolInvalid   = "tool_invalid"
	CodeRateLimited   = "rate_limited"
	// CodeRecordUnavailable refuses a recording the relay cannot make: no
	// customer stream yet, recording not configured, or the relay draining.
	CodeRecordUnavailable = "record_unavailable"
)

// EncodeToolError encodes {"error": e}.
func EncodeToolError(e ToolError) []byte {
	var buf bytes.Buffer
	buf.Grow(128)
	_ = json.NewEncoder(&buf).Encode(struct {
		Error ToolError `json:"error"`
	}{e})
	return bytes.TrimRight(buf.Bytes(), "\n")
}
