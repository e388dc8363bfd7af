package identity

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// OrgSettingsChanged is the audit action of a change to the company's
// language or time zone.
const OrgSettingsChanged = audit.OrgSettingsChanged

// OrgStore is the storage company settings need.
type OrgStore interface {
	Org(ctx context.Context, id string) (Org, error)
	// UpdateOrgSettings writes next's language and zone, on the condition that
	// the stored ones are still prev's, with the audit entry.
	UpdateOrgSettings(ctx context.Context, prev, next Org, entry audit.Entry) error
}

// ErrOrgChanged: the settings changed between read and write.
var ErrOrgChanged = apperr.New(apperr.Conflict, "org_changed", "The company settings were changed meanwhile; reload and try again.")

// OrgService reads and changes a company's settings.
type OrgService struct {
	store OrgStore
	clock clock.Clock
}

// NewOrgService returns the settings service.
func NewOrgService(s OrgStore, c clock.Clock) *OrgService { return &OrgService{store: s, clock: c} }

// OrgView is what GET /v1/orgs/{org} answers: the company's settings with
// defaults filled in.
type OrgView struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Language     locale.Lang `json:"language"`
	TimeZone     string      `json:"timeZone"`
	MaxGuestDays int         `json:"maxGuestDays"`
	ReminderDays int         `json:"reminderDays"`
	// SMSPerDay is the company's own daily SMS budget; 0 means the
	// service's default applies.
	SMSPerDay int `json:"smsPerDay"`
}

func orgView(o Org) OrgView {
	return OrgView{ID: o.ID, Name: o.Name, Language: o.Lang(), TimeZone: o.ZoneName(), MaxGuestDays: o.MaxGuestDays, ReminderDays: o.ReminderDays, SMSPerDay: o.SMSPerDay}
}

// Get returns the company's settings to anyone acting in it: members and
// guests alike read its dates in its zone.
func (s *OrgService) Get(ctx context.Context, p *access.Principal, orgID string) (OrgView, error) {
	if p == nil || orgID == "" || p.OrgID != orgID {
		return OrgView{}, access.ErrNotFound
	}
	o, err := s.store.Org(ctx, orgID)
	if err != nil {
		return OrgView{}, err
	}
	return orgView(o), nil
}

// OrgPatch is the body of PATCH /v1/orgs/{org}.
type OrgPatch struct {
	Language *string `json:"language,omitempty"`
	TimeZone *string `json:"timeZone,omitempty"`
	// The company's defaults: the longest guest period an invitation may
	// give, the days before a period's end that the guest is reminded, and
	// the daily SMS budget (0: the service's).
	MaxGuestDays *int `json:"maxGuestDays,omitempty"`
	ReminderDays *int `json:"reminderDays,omitempty"`
	SMSPerDay    *int `json:"smsPerDay,omitempty"`
}

// Bounds of the company's defaults.
const (
	MaxGuestDaysLimit = 3650
	ReminderDaysLimit = 30
	SMSPerDayLimit    = 10000
)

// Patch changes the company's language or time zone; it needs the privilege
// that administers the company (roles.manage).
func (s *OrgService) Patch(ctx context.Context, p *access.Principal, orgID string, req OrgPatch) (OrgView, error) {
	if err := access.Authorize(p, access.ConfigureCompany, access.Resource{OrgID: orgID}); err != nil {
		return OrgView{}, err
	}
	if req.Language == nil && req.TimeZone == nil && req.MaxGuestDays == nil && req.ReminderDays == nil && req.SMSPerDay == nil {
		return OrgView{}, apperr.InvalidField("body", "nothing to change: give language, timeZone, maxGuestDays, reminderDays or smsPerDay")
	}
	prev, err := s.store.Org(ctx, orgID)
	if err != nil {
		return OrgView{}, err
	}
	next := prev
	details := map[string]string{}
	if req.Language != nil {
		l := strings.TrimSpace(*req.Language)
		if l == "" {
			return OrgView{}, apperr.InvalidField("language", `language must be "de" or "en"`)
		}
		if err := locale.CheckLang("language", l); err != nil {
			return OrgView{}, err
		}
		next.Language = locale.Lang(l)
		details["language"] = l
	}
	if req.TimeZone != nil {
		loc, err := locale.LoadZone("timeZone", strings.TrimSpace(*req.TimeZone))
		if err != nil {
			return OrgView{}, err
		}
		next.TimeZone = loc.String()
		details["timeZone"] = next.TimeZone
	}
	for _, f := range []struct {
		name     string
		v        *int
		min, max int
		dst      *int
	}{
		{"maxGuestDays", req.MaxGuestDays, 1, MaxGuestDaysLimit, &next.MaxGuestDays},
		{"reminderDays", req.ReminderDays, 0, ReminderDaysLimit, &next.ReminderDays},
		{"smsPerDay", req.SMSPerDay, 0, SMSPerDayLimit, &next.SMSPerDay},
	} {
		if f.v == nil {
			continue
		}
		if *f.v < f.min || *f.v > f.max {
			return OrgView{}, apperr.InvalidField(f.name, fmt.Sprintf("%s must be between %d and %d", f.name, f.min, f.max))
		}
		*f.dst = *f.v
		details[f.name] = strconv.Itoa(*f.v)
	}
	if next.ReminderDays >= next.MaxGuestDays {
		return OrgView{}, apperr.InvalidField("reminderDays", "reminderDays must be shorter than maxGuestDays")
	}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: s.clock.Now(), Actor: p.UserID, Action: OrgSettingsChanged,
		Target: orgID, Details: details, ActorName: p.Name, TargetName: prev.Name}
	if err := s.store.UpdateOrgSettings(ctx, prev, next, e); err != nil {
		return OrgView{}, err
	}
	return orgView(next), nil
}
