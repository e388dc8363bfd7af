package app_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/guestbridge/guestbridge/shared/config"
)

// Invitations racing for the last of a budget: exactly the budget is sent,
// the rest are refused, none fails.
func TestTrustBudgetConcurrentInvitesNeverOverspend(t *testing.T) {
	const budget, tries = 6, 12
	e := newEnv(t, func(c *config.Config) { c.Quotas.SMSPerOrgDay = budget })
	e.tomorrowAt(12, 0)
	admin, tech := e.login(e.email("admin")), e.login(e.email("tech"))
	caseID := e.createCase(admin, "Pump 7")
	var wg sync.WaitGroup
	status := make([]int, tries)
	codes := make([]string, tries)
	for i := range tries {
		tok := admin
		if i%2 == 1 {
			tok = tech
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.tryInvite(tok, fmt.Sprintf("c%d", i), fmt.Sprintf("+49151%08d", i), caseID)
			status[i], codes[i] = r.Status, r.code()
		}()
	}
	wg.Wait()
	sent, refused := 0, 0
	for i := range tries {
		switch {
		case status[i] == 201:
			sent++
		case status[i] == 429 && codes[i] == "sms_budget_exhausted":
			refused++
		default:
			t.Errorf("invite %d: %d %s", i, status[i], codes[i])
		}
	}
	if sent != budget || refused != tries-budget {
		t.Fatalf("%d sent and %d refused, want %d and %d", sent, refused, budget, tries-budget)
	}
	if n := e.guestCount(admin); n != budget {
		t.Fatalf("%d guests, want %d", n, budget)
	}
}
