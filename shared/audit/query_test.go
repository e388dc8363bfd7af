package audit

import (
	"errors"
	"net/url"
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestSafeCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Ann Admin", "Ann Admin"},
		{"=1+2", "'=1+2"},
		{"+49 170", "'+49 170"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"a=b", "a=b"},
	} {
		if got := SafeCell(c.in); got != c.want {
			t.Errorf("SafeCell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestQueryMatch(t *testing.T) {
	e := Entry{Actor: "u_1", ActorName: "Ann Admin", Action: "guest.invited", Target: "g_1", TargetName: "Gina Guest"}
	for _, c := range []struct {
		q    Query
		want bool
	}{
		{Query{}, true},
		{Query{Actor: "u_1"}, true},
		{Query{Actor: "ann"}, true},
		{Query{Actor: "u_"}, false}, // ids match whole, names by part
		{Query{Actor: "tim"}, false},
		{Query{Action: "guest.invited"}, true},
		{Query{Action: "guest."}, true},
		{Query{Action: "guest"}, false},
		{Query{Action: "case."}, false},
		{Query{Target: "GINA"}, true},
		{Query{Target: "g_2"}, false},
		{Query{Actor: "ann", Action: "guest.", Target: "gina"}, true},
		{Query{Actor: "ann", Action: "case.", Target: "gina"}, false},
	} {
		if got := c.q.Match(e); got != c.want {
			t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
		}
	}
	if (Query{Target: "x"}).Match(Entry{Target: "g_1"}) {
		t.Error("a nameless entry matched a name filter")
	}
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		query, field string
		limit        int
	}{
		{"", "", DefaultLimit},
		{"limit=10&actor=Ann&action=guest.&target=x", "", 10},
		{"limit=201", "limit", 0},
		{"limit=x", "limit", 0},
		{"action=Guest.Invited", "action", 0},
		{"action=guest.*", "action", 0},
		{"sort=at", "sort", 0},
	} {
		v, _ := url.ParseQuery(c.query)
		q, err := ParseQuery(v)
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%q: %v", c.query, err)
		case c.field == "" && q.Limit != c.limit:
			t.Errorf("%q: limit %d", c.query, q.Limit)
		case c.field != "" && (err == nil || !fieldIs(err, c.field)):
			t.Errorf("%q: err %v, want field %s", c.query, err, c.field)
		}
	}
}

func fieldIs(err error, field string) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Field == field
}
