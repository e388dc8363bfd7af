package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/identity"
)

var _ identity.OrgStore = (*Store)(nil)

// UpdateOrgSettings writes the company's language and time zone with the audit
// entry, on the condition that the stored ones are still prev's: two admins
// changing them at once do not overwrite each other unseen.
func (s *Store) UpdateOrgSettings(ctx context.Context, prev, next identity.Org, entry audit.Entry) error {
	vals := map[string]types.AttributeValue{":l": str(string(next.Language)), ":z": str(next.TimeZone),
		":m": num(int64(next.MaxGuestDays)), ":r": num(int64(next.ReminderDays)), ":s": num(int64(next.SMSPerDay)),
		":pm": num(int64(prev.MaxGuestDays)), ":pr": num(int64(prev.ReminderDays)), ":ps": num(int64(prev.SMSPerDay))}
	cond := "attribute_exists(PK) AND MaxGuestDays = :pm AND ReminderDays = :pr AND (SMSPerDay = :ps OR attribute_not_exists(SMSPerDay))"
	for _, f := range []struct{ attr, prev, ph string }{
		{"#lang", string(prev.Language), ":pl"}, {"#zone", prev.TimeZone, ":pz"},
	} {
		if f.prev == "" {
			cond += " AND attribute_not_exists(" + f.attr + ")"
		} else {
			cond += " AND " + f.attr + " = " + f.ph
			vals[f.ph] = str(f.prev)
		}
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(orgPK(next.ID), skMeta),
			UpdateExpression:          aws.String("SET #lang = :l, #zone = :z, MaxGuestDays = :m, ReminderDays = :r, SMSPerDay = :s"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#lang": "Language", "#zone": "TimeZone"},
			ExpressionAttributeValues: vals,
		}},
		putNew(s.table, newAuditItem(entry)),
	}
	return s.transact(ctx, "update org settings", items, identity.ErrOrgChanged)
}
