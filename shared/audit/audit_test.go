package audit

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// The web client names actions from its own copy of the list; an action
// added here and not there would show as a code.
func TestActionsMatchWeb(t *testing.T) {
	src, err := os.ReadFile("../../web/js/auditActions.js")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)export const AUDIT_ACTIONS = \[(.*?)\]`).FindSubmatch(src)
	if block == nil {
		t.Fatal("web/js/auditActions.js has no AUDIT_ACTIONS")
	}
	var web []string
	for _, m := range regexp.MustCompile(`'([a-z_.]+)'`).FindAllSubmatch(block[1], -1) {
		web = append(web, string(m[1]))
	}
	if !slices.Equal(web, Actions) {
		t.Errorf("web/js/auditActions.js lists\n%v\nshared/audit.Actions lists\n%v", web, Actions)
	}
	seen := map[string]bool{}
	for _, a := range Actions {
		if seen[a] || !actionPattern.MatchString(a) {
			t.Errorf("action %q is repeated or not a filterable code", a)
		}
		seen[a] = true
	}
}

func TestBySystemNamesTheActor(t *testing.T) {
	for _, actor := range []string{SystemActor, RelayActor} {
		e := Entry{Actor: "u_someone", ActorName: "Someone"}.BySystem(actor)
		if e.Actor != actor || e.ActorName == "" || e.ActorName == actor {
			t.Errorf("BySystem(%q) = %q %q, want the actor with a name in words", actor, e.Actor, e.ActorName)
		}
	}
}
