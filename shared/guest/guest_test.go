package guest

import (
	"errors"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func TestPeriodResolve(t *testing.T) {
	at := func(d time.Duration) *string { return ptr(now.Add(d).Format(time.RFC3339)) }
	tests := []struct {
		name      string
		req       *PeriodRequest
		want      time.Time
		wantField string
	}{
		{"days", &PeriodRequest{Days: ptr(7)}, now.Add(7 * 24 * time.Hour), ""},
		{"until an instant", &PeriodRequest{Until: at(48 * time.Hour)}, now.Add(48 * time.Hour), ""},
		{"maximum days", &PeriodRequest{Days: ptr(365)}, now.Add(365 * 24 * time.Hour), ""},
		{"missing", nil, time.Time{}, "period"},
		{"both", &PeriodRequest{Days: ptr(1), Until: at(time.Hour)}, time.Time{}, "period"},
		{"zero days", &PeriodRequest{Days: ptr(0)}, time.Time{}, "period.days"},
		{"too many days", &PeriodRequest{Days: ptr(366)}, time.Time{}, "period.days"},
		{"past", &PeriodRequest{Until: at(-time.Minute)}, time.Time{}, "period.until"},
		{"now", &PeriodRequest{Until: at(0)}, time.Time{}, "period.until"},
		{"beyond maximum", &PeriodRequest{Until: at(366 * 24 * time.Hour)}, time.Time{}, "period.until"},
		{"not a date", &PeriodRequest{Until: ptr("next friday")}, time.Time{}, "period.until"},
		{"a date in the past", &PeriodRequest{Until: ptr("2026-11-22")}, time.Time{}, "period.until"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.Resolve("period", now, 365, berlin)
			if tc.wantField != "" {
				e := apperr.From(err)
				if e == nil || e.Kind != apperr.Invalid || e.Field != tc.wantField {
					t.Fatalf("err = %v, want invalid field %q", err, tc.wantField)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("Resolve = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

var berlin, _ = time.LoadLocation("Europe/Berlin")

// A custom end date lasts to the end of that day in the company's zone, on
// either side of a daylight-saving change, not to the end of the UTC day.
func TestPeriodUntilDateEndsAtEndOfDayInZone(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		day  string
		loc  *time.Location
		want string // UTC
	}{
		{"2026-11-24", berlin, "2026-11-24T22:59:59Z"}, // CET, UTC+1
		{"2027-03-27", berlin, "2027-03-27T22:59:59Z"}, // the day before summer time
		{"2027-03-28", berlin, "2027-03-28T21:59:59Z"}, // summer time begins that night: CEST, UTC+2
		{"2027-10-31", berlin, "2027-10-31T22:59:59Z"}, // back to CET at 03:00 that day
		{"2026-11-24", tokyo, "2026-11-24T14:59:59Z"},
		{"2026-11-24", ny, "2026-11-25T04:59:59Z"},
		{"2026-11-24", time.UTC, "2026-11-24T23:59:59Z"},
	}
	for _, tc := range tests {
		t.Run(tc.day+" "+tc.loc.String(), func(t *testing.T) {
			got, err := (&PeriodRequest{Until: ptr(tc.day)}).Resolve("period", now, 365, tc.loc)
			if err != nil || got.Format(time.RFC3339) != tc.want {
				t.Fatalf("Resolve(%s in %s) = %v, %v; want %s", tc.day, tc.loc, got.Format(time.RFC3339), err, tc.want)
			}
		})
	}
}

func TestStatusAndRefusal(t *testing.T) {
	tests := []struct {
		name    string
		g       Guest
		at      time.Time
		status  Status
		refusal error
	}{
		{"pending", Guest{Active: true, ValidUntil: now.Add(time.Hour)}, now, Pending, nil},
		{"active", Guest{Active: true, Validated: true, ValidUntil: now.Add(time.Hour)}, now, Active, nil},
		{"period over, not yet swept", Guest{Active: true, Validated: true, ValidUntil: now}, now, Deactivated, ErrExpired},
		{"ended by hand", Guest{Active: false, Validated: true, ValidUntil: now.Add(time.Hour), EndReason: EndedByHand}, now, Deactivated, ErrEnded},
		{"swept", Guest{Active: false, ValidUntil: now.Add(-time.Hour), EndReason: Expired}, now, Deactivated, ErrExpired},
		{"switched off", Guest{Active: false, Validated: true, ValidUntil: now.Add(time.Hour)}, now, Inactive, ErrInactive},
		{"switched off and over", Guest{Active: false, Validated: true, ValidUntil: now}, now, Deactivated, ErrExpired},
		{"declined", Guest{Active: false, ValidUntil: now.Add(time.Hour), EndReason: Declined}, now, Deactivated, ErrDeclined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.StatusAt(tc.at); got != tc.status {
				t.Errorf("StatusAt = %s, want %s", got, tc.status)
			}
			if got := tc.g.Refusal(tc.at); !errors.Is(got, tc.refusal) || (got == nil) != (tc.refusal == nil) {
				t.Errorf("Refusal = %v, want %v", got, tc.refusal)
			}
		})
	}
}

func TestLinkExpiry(t *testing.T) {
	long := now.Add(30 * 24 * time.Hour)
	short := now.Add(time.Hour)
	tests := []struct {
		name  string
		ch    outbox.Channel
		until time.Time
		want  time.Time
	}{
		{"sms is 24 hours", outbox.SMS, long, now.Add(24 * time.Hour)},
		{"email is a week", outbox.Email, long, now.Add(7 * 24 * time.Hour)},
		{"never beyond the period", outbox.SMS, short, short},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LinkExpiry(tc.ch, now, tc.until); !got.Equal(tc.want) {
				t.Fatalf("LinkExpiry = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReminderDue(t *testing.T) {
	in := func(d time.Duration) time.Time { return now.Add(d) }
	tests := []struct {
		name string
		g    Guest
		want bool
	}{
		{"far from the end", Guest{Active: true, Validated: true, ValidUntil: in(10 * 24 * time.Hour)}, false},
		{"within three days", Guest{Active: true, Validated: true, ValidUntil: in(2 * 24 * time.Hour)}, true},
		{"already reminded for this end", Guest{Active: true, ValidUntil: in(time.Hour), ReminderFor: in(time.Hour)}, false},
		{"extended after a reminder", Guest{Active: true, ValidUntil: in(2 * 24 * time.Hour), ReminderFor: in(time.Hour)}, true},
		{"deactivated", Guest{Active: false, ValidUntil: in(time.Hour)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.ReminderDue(now, 3); got != tc.want {
				t.Fatalf("ReminderDue = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInputChecks(t *testing.T) {
	if _, err := NormalizeEmail("email", "  Ann@Example.COM "); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "ann", "ann@", "@x.de", "a b@x.de", "ann@x"} {
		if _, err := NormalizeEmail("email", bad); apperr.From(err) == nil {
			t.Errorf("email %q accepted", bad)
		}
	}
	for _, bad := range []string{"0151", "+0151234567", "+49 151 1234567", "4915112345678", "+491511234567890123"} {
		if CheckPhone("phone", bad) == nil {
			t.Errorf("phone %q accepted", bad)
		}
	}
	if err := CheckPhone("phone", "+4915112345678"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		ch    []outbox.Channel
		phone bool
		field string
	}{
		{"email only", []outbox.Channel{outbox.Email}, false, ""},
		{"both", []outbox.Channel{outbox.Email, outbox.SMS}, true, ""},
		{"none", nil, false, "channels"},
		{"unknown", []outbox.Channel{"fax"}, false, "channels"},
		{"twice", []outbox.Channel{outbox.Email, outbox.Email}, false, "channels"},
		{"sms without phone", []outbox.Channel{outbox.SMS}, false, "phone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckChannels(tc.ch, tc.phone)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := apperr.From(err); e == nil || e.Field != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
		})
	}
}

func TestInvitationUsable(t *testing.T) {
	inv := Invitation{State: LinkPending, ExpiresAt: now.Add(time.Hour)}
	if err := inv.Usable(now); err != nil {
		t.Fatal(err)
	}
	if err := inv.Usable(now.Add(time.Hour)); !errors.Is(err, ErrLinkExpired) {
		t.Fatalf("expired link: %v", err)
	}
	inv.State = LinkAccepted
	if err := inv.Usable(now); !errors.Is(err, ErrLinkUsed) {
		t.Fatalf("used link: %v", err)
	}
}
