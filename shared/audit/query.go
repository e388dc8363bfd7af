package audit

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Query selects a page of the audit log.
type Query struct {
	Limit  int
	Cursor string
	// Actor, Target: an exact id, or part of the name kept in the entry
	// (case-insensitive). Action: an exact action, or a family ending in "."
	// ("guest." is every guest action).
	Actor, Action, Target string
}

// DefaultLimit and MaxLimit bound a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	maxFilterLen = 200
)

var actionPattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]*)?$`)

// ParseQuery reads a query from URL parameters; a parameter it does not know
// is refused rather than ignored, so a typo never widens the result silently.
// extra names parameters the caller handles itself.
func ParseQuery(v url.Values, extra ...string) (Query, error) {
	q := Query{Limit: DefaultLimit}
	for k := range v {
		switch k {
		case "limit", "cursor", "actor", "action", "target":
		default:
			if !containsString(extra, k) {
				return Query{}, apperr.InvalidField(k, "unknown parameter "+strconv.Quote(k)+"; use actor, action, target, limit or cursor")
			}
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return Query{}, apperr.InvalidField("limit", "limit must be between 1 and 200")
		}
		q.Limit = n
	}
	// The cursor is sealed; the API opens it.
	q.Cursor = v.Get("cursor")
	for _, f := range []struct {
		name string
		dst  *string
	}{{"actor", &q.Actor}, {"action", &q.Action}, {"target", &q.Target}} {
		s := strings.TrimSpace(v.Get(f.name))
		if len(s) > maxFilterLen {
			return Query{}, apperr.InvalidField(f.name, f.name+" must be at most 200 characters")
		}
		*f.dst = s
	}
	if q.Action != "" && !actionPattern.MatchString(q.Action) {
		return Query{}, apperr.InvalidField("action", "action must look like guest.invited, or guest. for every guest action")
	}
	return q, nil
}

// Filtered reports whether the query narrows the log.
func (q Query) Filtered() bool { return q.Actor != "" || q.Action != "" || q.Target != "" }

// Match reports whether e is selected by the query's filters.
func (q Query) Match(e Entry) bool {
	if q.Action != "" {
		if strings.HasSuffix(q.Action, ".") {
			if !strings.HasPrefix(e.Action, q.Action) {
				return false
			}
		} else if e.Action != q.Action {
			return false
		}
	}
	return matchParty(q.Actor, e.Actor, e.ActorName) && matchParty(q.Target, e.Target, e.TargetName)
}

func matchParty(want, id, name string) bool {
	if want == "" || want == id {
		return true
	}
	return name != "" && strings.Contains(strings.ToLower(name), strings.ToLower(want))
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
