package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/password"
)

// DemoOrgID is the id of the seeded demo company.
const DemoOrgID = "demo"

// DemoAccount is a seeded account.
type DemoAccount struct {
	Email, Name, Role string
}

// DemoAccounts are the accounts of "Demo Support".
var DemoAccounts = []DemoAccount{
	{"admin@demo.test", "Ada Admin", access.RoleAdmin},
	{"tech@demo.test", "Tom Technician", access.RoleTechnician},
	{"tech2@demo.test", "Tina Technician", access.RoleTechnician},
}

// SeedDemo creates the demo company and its accounts with pw, leaving other
// data alone, so a restart keeps its data. The demo accounts get pw again on
// every start, so the password printed is always the one that works.
func (a *App) SeedDemo(ctx context.Context, pw string) error {
	if err := a.SeedOrg(ctx, DemoOrgID, "Demo Support", DemoAccounts, pw); err != nil {
		return err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	for _, acc := range DemoAccounts {
		u, err := a.Store.UserByEmail(ctx, acc.Email)
		if err != nil {
			return fmt.Errorf("seed %s: %w", acc.Email, err)
		}
		if err := a.Store.SetPassword(ctx, u.ID, hash, false, nil); err != nil {
			return fmt.Errorf("seed %s: %w", acc.Email, err)
		}
	}
	return nil
}

// SeedOrg creates a company and member accounts, skipping any that exist.
func (a *App) SeedOrg(ctx context.Context, orgID, name string, accounts []DemoAccount, pw string) error {
	now := a.Clock.Now()
	err := a.Store.CreateOrg(ctx, identity.Org{ID: orgID, Name: name, MaxGuestDays: a.Config.MaxGuestDays,
		ReminderDays: a.Config.ReminderDays, Language: locale.English, TimeZone: locale.DefaultZone, CreatedAt: now})
	if err != nil && !errors.Is(err, identity.ErrEmailTaken) {
		return fmt.Errorf("seed org %s: %w", orgID, err)
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	for _, acc := range accounts {
		// Ids follow from the email so a restart finds the same accounts.
		sum := sha256.Sum256([]byte(acc.Email))
		u := identity.User{ID: "u_" + hex.EncodeToString(sum[:8]), Email: acc.Email, Name: acc.Name, PasswordHash: hash, CreatedAt: now}
		err := a.Store.CreateMember(ctx, u, identity.Member{OrgID: orgID, OrgName: name, UserID: u.ID, Email: u.Email, Name: u.Name, Role: acc.Role})
		if err != nil && !errors.Is(err, identity.ErrEmailTaken) {
			return fmt.Errorf("seed %s: %w", acc.Email, err)
		}
	}
	return nil
}
