package httpapi

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/invite"
	"github.com/guestbridge/guestbridge/shared/role"
	"github.com/guestbridge/guestbridge/shared/session"
)

// goTypeName matches what a Go type looks like in text: a package-qualified
// name, a slice or map type, or a bare built-in type after "expected".
var goTypeName = regexp.MustCompile(`\[\]|map\[|\b[a-z]+\.[A-Z]\w*|\bexpected\b|\bint\b|\bfloat64\b|\bstruct\b`)

func TestDecodeTypeErrorsSpeakJSON(t *testing.T) {
	tests := []struct {
		name      string
		dst       func() any
		body      string
		wantField string
		wantMsg   string
	}{
		{"tools as text", func() any { return &session.ToolsRequest{} }, `{"tools":"camera"}`,
			"tools", "tools: must be a list of tool names"},
		{"a tool as number", func() any { return &session.ToolsRequest{} }, `{"tools":[1]}`,
			"tools", "tools: must be a list of tool names"},
		{"channels as text", func() any { return &invite.InviteRequest{} }, `{"channels":"email"}`,
			"channels", `channels: must be a list of channel names ("email" or "sms")`},
		{"days as text", func() any { return &invite.InviteRequest{} }, `{"period":{"days":"3"}}`,
			"period.days", "period.days: must be a whole number"},
		{"days as fraction", func() any { return &invite.InviteRequest{} }, `{"period":{"days":1.5}}`,
			"period.days", "period.days: must be a whole number"},
		{"period as list", func() any { return &invite.InviteRequest{} }, `{"period":[]}`,
			"period", "period: must be an object"},
		{"active as text", func() any { return &invite.InviteRequest{} }, `{"active":"yes"}`,
			"active", "active: must be true or false"},
		{"name as number", func() any { return &invite.InviteRequest{} }, `{"name":7}`,
			"name", "name: must be text"},
		{"group privileges as text", func() any { return &invite.InviteRequest{} }, `{"workspace":{"groups":{"g1":"view"}}}`,
			"workspace.groups", "workspace.groups: must be an object whose values are lists of privilege names"},
		{"workspace mode as number", func() any { return &invite.InviteRequest{} }, `{"workspace":{"mode":1}}`,
			"workspace.mode", `workspace.mode: must be a workspace mode ("all", "groups" or "devices")`},
		{"role privileges as object", func() any { return &role.Request{} }, `{"privileges":{}}`,
			"privileges", "privileges: must be a list of privilege names"},
		{"body as list", func() any { return &invite.InviteRequest{} }, `[]`,
			"body", "the request body must be a JSON object"},
		// until is a date or a time as text; what text is a date is the
		// period rule's to say (guest.PeriodRequest.Resolve), with the field.
		{"until as number", func() any { return &invite.InviteRequest{} }, `{"period":{"until":5}}`,
			"period.until", "period.until: must be text"},
		{"language as number", func() any { return &invite.InviteRequest{} }, `{"language":1}`,
			"language", "language: must be text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/x", strings.NewReader(tc.body))
			err := decode(httptest.NewRecorder(), r, tc.dst())
			e := apperr.From(err)
			if e == nil || e.Kind != apperr.Invalid {
				t.Fatalf("decode(%s) = %v, want an invalid-input error", tc.body, err)
			}
			if e.Field != tc.wantField || e.Message != tc.wantMsg {
				t.Errorf("decode(%s) = field %q, message %q; want %q, %q", tc.body, e.Field, e.Message, tc.wantField, tc.wantMsg)
			}
			if m := goTypeName.FindString(e.Message); m != "" {
				t.Errorf("message %q shows a Go type (%q)", e.Message, m)
			}
		})
	}
}
