package session

import (
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

func TestFilterRecord(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	parts := []Participant{{ID: "p1", Kind: toolmatrix.Primary, Name: "Tom"}, {ID: "c1", Kind: toolmatrix.Customer, Name: "Carl"}}
	entries := []RecordEntry{
		{ParticipantID: "c1", Tool: toolmatrix.Chat, Text: "later", At: t0.Add(2 * time.Second)},
		{ParticipantID: "p1", Tool: toolmatrix.Chat, Text: "hello", At: t0},
		{ParticipantID: "p1", Tool: toolmatrix.Notes, Text: "worn seal", At: t0.Add(time.Second)},
		{ParticipantID: "p1", Tool: toolmatrix.Snapshot, Text: "caption: pump", At: t0.Add(3 * time.Second)},
	}
	for _, tc := range []struct {
		kind toolmatrix.Kind
		want []string
	}{
		{toolmatrix.Primary, []string{"hello", "worn seal", "later", "caption: pump"}},
		{toolmatrix.Secondary, []string{"hello", "later", "caption: pump"}},
		{toolmatrix.Guest, []string{"hello", "later"}},
		// The customer's page takes the stills, so it receives snapshot lines.
		{toolmatrix.Customer, []string{"hello", "later", "caption: pump"}},
		{toolmatrix.Kind("nobody"), nil},
	} {
		got := FilterRecord(tc.kind, entries, parts)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d lines %v, want %v", tc.kind, len(got), got, tc.want)
			continue
		}
		for i, w := range tc.want {
			if got[i].Text != w {
				t.Errorf("%s line %d: %q, want %q", tc.kind, i, got[i].Text, w)
			}
		}
		if len(got) > 0 && (got[0].Name != "Tom" || got[0].Kind != toolmatrix.Primary) {
			t.Errorf("%s: first line's sender %q %q", tc.kind, got[0].Name, got[0].Kind)
		}
	}
}

func TestRemoveRequestCheck(t *testing.T) {
	long := ""
	for range 201 {
		long += "ä"
	}
	for _, tc := range []struct {
		reason string
		ok     bool
	}{
		{"", true},
		{"  Wrong person  ", true},
		{long[:400], true}, // 200 characters of two bytes
		{long, false},
		{"line\nbreak", false},
		{"evil\u202etxt", false},
	} {
		r := RemoveRequest{Reason: tc.reason}
		if err := r.Check(); (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.reason, err, tc.ok)
		}
	}
}

func TestMatchCandidate(t *testing.T) {
	tina := identity.Member{Name: "Tina Technician", Email: "tina.t@acme.example"}
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"", true},
		{"tina", true},
		{"TECHNICIAN", true},
		{"acme.example", true},
		{"  tina   acme ", true},
		{"tina bob", false},
		{"tom", false},
	} {
		if got := MatchCandidate(tina, tc.q); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.q, got, tc.want)
		}
	}
}
