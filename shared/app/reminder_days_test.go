package app_test

import (
	"context"
	"testing"
	"time"
)

// A company's reminder days, edited by its admin, decide when its guests
// are reminded; 0 means no reminder at all.
func TestReminderDaysPerCompany(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	e.expect(e.call("PATCH", "/v1/orgs/acme", admin, map[string]any{"reminderDays": 7}), 200, "")
	cid := e.createCase(admin, "Reminder days")
	e.invite(admin, "seven", "", cid, 10)
	e.deliver()

	e.clock.Advance(3*24*time.Hour + time.Hour) // 6 days 23 h left: past 7, not yet 3
	res, err := e.app.Sweeper.Run(context.Background())
	must(t, err)
	if res.Reminded != 1 {
		t.Fatalf("with 7 reminder days, %d guests reminded at 6 days 23 h before the end, want 1", res.Reminded)
	}

	admin = e.login(e.email("admin"))
	e.expect(e.call("PATCH", "/v1/orgs/acme", admin, map[string]any{"reminderDays": 0}), 200, "")
	e.invite(admin, "none", "", cid, 2)
	e.deliver()
	e.clock.Advance(47 * time.Hour) // 1 h left
	res, err = e.app.Sweeper.Run(context.Background())
	must(t, err)
	if res.Reminded != 0 {
		t.Fatalf("with 0 reminder days, %d guests reminded, want none", res.Reminded)
	}
}
