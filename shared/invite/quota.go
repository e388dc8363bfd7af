package invite

import (
	"context"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

// charge counts one invitation against the inviter's and the company's
// quotas, and its SMS, if it texts, against the company's SMS budget and the
// number's limit. All or nothing: a refused invitation is not counted and
// writes nothing. It runs after every check of the input, so a request
// refused for bad input costs nothing either; one that fails after it (a
// conflict in the write) stays counted, which errs on the side of the payer.
func (s *Service) charge(ctx context.Context, p *access.Principal, orgID, phone string, channels []outbox.Channel) error {
	q := s.cfg.Quotas
	charges := q.Invite(p.UserID, orgID)
	if phone != "" && contains(channels, outbox.SMS) {
		// A company may set its own SMS budget (PATCH /v1/orgs/{org}).
		org, err := s.store.Org(ctx, orgID)
		if err != nil {
			return err
		}
		if org.SMSPerDay > 0 {
			q.SMSPerOrgDay = org.SMSPerDay
		}
		charges = append(charges, q.SMS(orgID, phone)...)
	}
	return s.limiter.Take(ctx, s.clock.Now(), charges...)
}
