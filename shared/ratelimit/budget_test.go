package ratelimit

import (
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestQuotasWithDefaults(t *testing.T) {
	q := Quotas{SMSPerOrgDay: 3}.WithDefaults()
	if q.SMSPerOrgDay != 3 || q.InvitesPerOrgDay != DefaultQuotas.InvitesPerOrgDay || q.SMSPerPhoneDay != SMSPerPhone.Limit {
		t.Fatalf("%+v", q)
	}
	sms := q.SMS("acme", "+4915112345678")
	err := apperr.From(sms[0].Refuse(time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)))
	if err.Code != CodeSMSBudgetExhausted || err.RetryAfter != 3600 {
		t.Fatalf("budget refusal: %+v", err)
	}
	if err := apperr.From(q.Invite("u", "acme")[3].Refuse(time.Now())); err.Code != CodeRateLimited {
		t.Fatalf("invite refusal: %+v", err)
	}
}
