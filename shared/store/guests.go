package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/invite"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

var _ invite.Store = (*Store)(nil)

// Guests lists a company's guest profiles.
func (s *Store) Guests(ctx context.Context, orgID string) ([]guest.Guest, error) {
	return listAs(ctx, s, orgPK(orgID), "GUEST#", guestItem.toGuest)
}

// GuestByEmail finds a company's guest by email through the guest email item.
func (s *Store) GuestByEmail(ctx context.Context, orgID, email string) (guest.Guest, error) {
	id, err := getAs(ctx, s, orgPK(orgID), guestEmailSK(email), guest.ErrNotFound, func(it guestEmailItem) string { return it.GuestID })
	if err != nil {
		return guest.Guest{}, err
	}
	return s.Guest(ctx, orgID, id)
}

// Invitation reads a link by the hash of its token.
func (s *Store) Invitation(ctx context.Context, tokenHash string) (guest.Invitation, error) {
	return getAs(ctx, s, invPK(tokenHash), skInv, guest.ErrLinkUnknown, invItem.invitation)
}

// CreateGuest writes a new guest, its optional new case, its links, the
// messages that carry them and the audit entries in one transaction. The guest
// email item makes a second guest with the same email in one company fail.
func (s *Store) CreateGuest(ctx context.Context, w invite.NewGuest) error {
	items := []types.TransactWriteItem{
		putNew(s.table, guestEmailItem{PK: orgPK(w.Guest.OrgID), SK: guestEmailSK(w.Guest.Email), Type: "guest-email", GuestID: w.Guest.ID}),
		putNew(s.table, newGuestItem(w.Guest)),
	}
	if w.NewCase != nil {
		items = append(items, putNew(s.table, newCaseItem(*w.NewCase)))
	}
	for _, l := range w.Links {
		items = append(items, putNew(s.table, newInvItem(l)))
	}
	for _, m := range w.Messages {
		items = append(items, putNew(s.table, newOutboxItem(m)))
	}
	for _, e := range w.Audit {
		items = append(items, putNew(s.table, newAuditItem(e)))
	}
	return s.transact(ctx, "create guest", items, guest.ErrExists)
}

// guestUnchanged is the condition that a guest is still on the invitation
// that was read, so concurrent ends, re-invites and accepts cannot interleave.
func guestUnchanged(g guest.Guest) (string, map[string]types.AttributeValue) {
	return "InvitationID = :inv AND attribute_not_exists(EndReason)", map[string]types.AttributeValue{
		":inv": str(g.InvitationID),
	}
}

// Reinvite replaces a deactivated guest's profile with the new period and
// writes the new links and messages.
func (s *Store) Reinvite(ctx context.Context, w invite.Reinvitation) error {
	put := types.TransactWriteItem{Put: &types.Put{
		TableName:                 &s.table,
		Item:                      marshal(newGuestItem(w.Guest)),
		ConditionExpression:       aws.String("InvitationID = :inv AND UpdatedAt = :upd"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":inv": str(w.Previous.InvitationID), ":upd": marshalTime(w.Previous.UpdatedAt)},
	}}
	items := []types.TransactWriteItem{put, {Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(w.Guest.OrgID), grantSK(w.Guest.ID))}}}
	for _, l := range w.Links {
		items = append(items, putNew(s.table, newInvItem(l)))
	}
	for _, m := range w.Messages {
		items = append(items, putNew(s.table, newOutboxItem(m)))
	}
	items = append(items, putNew(s.table, newAuditItem(w.Audit)))
	if w.Guest.Email != w.Previous.Email {
		// The company's email lookup moves with the address; the new one
		// must be free, as for a new invitation.
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: key(orgPK(w.Guest.OrgID), guestEmailSK(w.Previous.Email)),
			ConditionExpression:       aws.String("GuestID = :g"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(w.Guest.ID)},
		}}, putNew(s.table, guestEmailItem{PK: orgPK(w.Guest.OrgID), SK: guestEmailSK(w.Guest.Email), Type: "guest-email", GuestID: w.Guest.ID}))
		err := s.transact(ctx, "reinvite guest", items, conflictChanged)
		if failedAt(cancelReasons(err), len(items)-1) {
			return guest.ErrExists
		}
		return err
	}
	return s.transact(ctx, "reinvite guest", items, conflictChanged)
}

var conflictChanged = guestConflict()

func guestConflict() error {
	e := *guest.ErrExists
	e.Code, e.Message = "guest_changed", "The guest was changed meanwhile; reload and try again."
	return &e
}

// grantFor is the grant an acceptance makes: from the profile as read at
// accept, on the condition (in validate) that it is unchanged since.
func grantFor(a invite.Acceptance) grantItem {
	return grantOf(*a.Profile, a.GrantID, a.UserID)
}

// validate is the update that marks a guest validated on accepting, on the
// condition that the guest is still on this invitation, not ended, not yet
// validated and within the period; with the profile read, also unchanged since.
func (s *Store) validate(orgID, guestID, invitationID, userID, grantID string, at time.Time, profile *guest.Guest) types.TransactWriteItem {
	set := "SET Validated = :true, UserID = :uid, GrantID = :grant, UpdatedAt = :at"
	cond := "InvitationID = :inv AND attribute_not_exists(EndReason) AND Validated = :false AND ValidUntil > :at"
	vals := map[string]types.AttributeValue{
		":true": boolean(true), ":false": boolean(false), ":uid": str(userID), ":grant": str(grantID),
		":at": marshalTime(at), ":inv": str(invitationID),
	}
	if profile == nil || profile.Kind != access.CompanyGuest {
		set += ", GSI1PK = :gsi1pk, GSI1SK = :gsi1sk"
		vals[":gsi1pk"], vals[":gsi1sk"] = str(userPK(userID)), str("GUEST#"+orgID)
	}
	if profile != nil {
		cond += " AND UpdatedAt = :upd"
		vals[":upd"] = marshalTime(profile.UpdatedAt)
		// The profile is unchanged since read, so its status once validated
		// is known here.
		after := *profile
		after.Validated = true
		set += ", GSI3PK = :gsi3pk"
		vals[":gsi3pk"] = str(guestStatusPK(orgID, storedStatus(after)))
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(orgPK(orgID), guestSK(guestID)),
		UpdateExpression: aws.String(set), ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals,
	}}
}

// AcceptAsUser accepts a company invitation from "Companies": the signed-in
// account takes the guest access, in one transaction with the grant and audit.
func (s *Store) AcceptAsUser(ctx context.Context, g guest.Guest, userID, grantID string, at time.Time, entry audit.Entry) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		s.validate(g.OrgID, g.ID, g.InvitationID, userID, grantID, at, &g),
		putItem(s.table, grantOf(g, grantID, userID)),
		putNew(s.table, newAuditItem(entry)),
	}})
	if failedAt(cancelReasons(err), 0) {
		return invite.ErrGuestChanged
	}
	if err != nil {
		return fmt.Errorf("accept company invitation: %w", err)
	}
	return nil
}

// DeclineGuest declines a company invitation from "Companies".
func (s *Store) DeclineGuest(ctx context.Context, g guest.Guest, at time.Time, entry audit.Entry) error {
	t := marshalTime(at)
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:           &s.table,
			Key:                 key(orgPK(g.OrgID), guestSK(g.ID)),
			UpdateExpression:    aws.String("SET Active = :false, EndedAt = :at, EndReason = :r, UpdatedAt = :at, GSI3PK = :gsi3pk REMOVE GSI2PK, GSI2SK"),
			ConditionExpression: aws.String("InvitationID = :inv AND attribute_not_exists(EndReason) AND Validated = :false"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":false": boolean(false), ":at": t, ":r": str(guest.Declined), ":inv": str(g.InvitationID),
				":gsi3pk": str(guestStatusPK(g.OrgID, guest.Deactivated)),
			},
		}},
		putNew(s.table, newAuditItem(entry)),
	}})
	if failedAt(cancelReasons(err), 0) {
		return invite.ErrGuestChanged
	}
	if err != nil {
		return fmt.Errorf("decline company invitation: %w", err)
	}
	return nil
}

// Accept writes an acceptance in one transaction; see invite.Service.Accept.
func (s *Store) Accept(ctx context.Context, a invite.Acceptance) error {
	l := a.Link
	at := marshalTime(a.At)
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                &s.table,
			Key:                      key(invPK(l.TokenHash), skInv),
			UpdateExpression:         aws.String("SET #state = :accepted, UsedAt = :at"),
			ConditionExpression:      aws.String("#state = :pending AND ExpiresAt > :at"),
			ExpressionAttributeNames: map[string]string{"#state": "State"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":accepted": str(string(guest.LinkAccepted)), ":pending": str(string(guest.LinkPending)), ":at": at,
			},
		}},
		s.validate(l.OrgID, l.GuestID, l.InvitationID, a.UserID, a.GrantID, a.At, a.Profile),
		putItem(s.table, grantFor(a)),
		putNew(s.table, newOutboxItem(a.Welcome)),
		putNew(s.table, newAuditItem(a.Audit)),
	}
	const emailIdx = 5
	switch {
	case a.NewUser != nil:
		ptr := putNew(s.table, emailItem{PK: emailPK(a.NewUser.Email), SK: skUser, Type: "email", UserID: a.NewUser.ID,
			Unverified: a.NewUser.EmailUnverified})
		if a.Reclaim != nil {
			// The address moves from the unverified holder read before, and
			// only from it: a holder that verified meanwhile keeps it.
			ptr.Put.ConditionExpression = aws.String("attribute_not_exists(PK) OR (UserID = :old AND Unverified = :true)")
			ptr.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":old": str(a.Reclaim.ID), ":true": boolean(true)}
		}
		items = append(items, ptr, putNew(s.table, newUserItem(*a.NewUser)))
		if a.Reclaim != nil {
			items = append(items, s.detachEmail(a.Reclaim.ID, a.NewUser.Email), putNew(s.table, newAuditItem(a.ReclaimAudit)))
		}
	case a.PasswordHash != "":
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(userPK(a.UserID), skProfile),
			UpdateExpression:          aws.String("SET PasswordHash = :h ADD TokenVersion :one"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(PasswordHash)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(a.PasswordHash), ":one": num(1)},
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	reasons := cancelReasons(err)
	switch {
	case failedAt(reasons, 0):
		return s.linkRefusal(ctx, l.TokenHash, a.At)
	case failedAt(reasons, 1):
		return invite.ErrGuestChanged
	case failedAt(reasons, emailIdx), failedAt(reasons, emailIdx+2):
		if a.NewUser != nil {
			return invite.ErrEmailTaken
		}
		return identity.ErrPasswordSet
	case reasons != nil && containsReason(reasons, "TransactionConflict"):
		// Another accept of the same link is committing right now: it wins.
		return guest.ErrLinkUsed
	}
	return fmt.Errorf("accept invitation: %w", err)
}

// detachEmail takes addr from an account that holds it unverified and
// revokes the account's sessions; the condition makes sure it still holds
// the address unverified.
func (s *Store) detachEmail(userID, addr string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.table,
		Key:                 key(userPK(userID), skProfile),
		UpdateExpression:    aws.String("SET DetachedEmail = :addr REMOVE Email, EmailUnverified ADD TokenVersion :one"),
		ConditionExpression: aws.String("Email = :addr AND EmailUnverified = :true"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":addr": str(addr), ":true": boolean(true), ":one": num(1),
		},
	}}
}

func containsReason(reasons []string, r string) bool {
	for _, x := range reasons {
		if x == r {
			return true
		}
	}
	return false
}

// linkRefusal says why a link's condition failed: used, or expired.
func (s *Store) linkRefusal(ctx context.Context, hash string, at time.Time) error {
	inv, err := s.Invitation(ctx, hash)
	if err != nil {
		return err
	}
	if uerr := inv.Usable(at); uerr != nil {
		return uerr
	}
	return guest.ErrLinkUsed
}

// Decline marks a link declined and deactivates the guest.
func (s *Store) Decline(ctx context.Context, l guest.Invitation, at time.Time, entry audit.Entry) error {
	t := marshalTime(at)
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                &s.table,
			Key:                      key(invPK(l.TokenHash), skInv),
			UpdateExpression:         aws.String("SET #state = :declined, UsedAt = :at"),
			ConditionExpression:      aws.String("#state = :pending AND ExpiresAt > :at"),
			ExpressionAttributeNames: map[string]string{"#state": "State"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":declined": str(string(guest.LinkDeclined)), ":pending": str(string(guest.LinkPending)), ":at": t,
			},
		}},
		{Update: &types.Update{
			TableName:           &s.table,
			Key:                 key(orgPK(l.OrgID), guestSK(l.GuestID)),
			UpdateExpression:    aws.String("SET Active = :false, EndedAt = :at, EndReason = :r, UpdatedAt = :at, GSI3PK = :gsi3pk REMOVE GSI2PK, GSI2SK"),
			ConditionExpression: aws.String("InvitationID = :inv AND attribute_not_exists(EndReason) AND Validated = :false"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":false": boolean(false), ":at": t, ":r": str(guest.Declined), ":inv": str(l.InvitationID),
				":gsi3pk": str(guestStatusPK(l.OrgID, guest.Deactivated)),
			},
		}},
		putNew(s.table, newAuditItem(entry)),
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case failedAt(reasons, 0):
		return s.linkRefusal(ctx, l.TokenHash, at)
	case failedAt(reasons, 1):
		return invite.ErrGuestChanged
	}
	return fmt.Errorf("decline invitation: %w", err)
}

// End deactivates a guest and deletes the grant in one transaction.
func (s *Store) End(ctx context.Context, g guest.Guest, at time.Time, reason string, entry audit.Entry) error {
	return s.deactivate(ctx, g, at, reason, "", entry)
}

// Expire deactivates a guest whose period is over; the condition re-checks the
// end against now, so an extension that raced the sweep wins.
func (s *Store) Expire(ctx context.Context, g guest.Guest, now time.Time, entry audit.Entry) error {
	return s.deactivate(ctx, g, now, guest.Expired, " AND ValidUntil <= :at", entry)
}

func (s *Store) deactivate(ctx context.Context, g guest.Guest, at time.Time, reason, extraCond string, entry audit.Entry) error {
	cond, vals := guestUnchanged(g)
	vals[":false"], vals[":at"], vals[":r"] = boolean(false), marshalTime(at), str(reason)
	vals[":gsi3pk"] = str(guestStatusPK(g.OrgID, guest.Deactivated))
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(orgPK(g.OrgID), guestSK(g.ID)),
			UpdateExpression:          aws.String("SET Active = :false, EndedAt = :at, EndReason = :r, UpdatedAt = :at, GSI3PK = :gsi3pk REMOVE GSI2PK, GSI2SK"),
			ConditionExpression:       aws.String(cond + extraCond),
			ExpressionAttributeValues: vals,
		}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(orgPK(g.OrgID), grantSK(g.ID))}},
		putNew(s.table, newAuditItem(entry)),
	}
	return s.transact(ctx, "deactivate guest", items, conflictChanged)
}

// UpdateGuest writes an admin's change of a guest (period, Active switch,
// role, scope, privileges) to the profile, the sweep index and the grant with
// its TTL, in one transaction. Only these attributes are set, so a delivery
// status written meanwhile by the sender is kept.
func (s *Store) UpdateGuest(ctx context.Context, prev, next guest.Guest, entry audit.Entry) error {
	cond, vals := guestUnchanged(prev)
	cond += " AND UpdatedAt = :prevUpd"
	vals[":prevUpd"] = marshalTime(prev.UpdatedAt)
	vals[":u"], vals[":sk"], vals[":upd"] = marshalTime(next.ValidUntil), str(activeGuestSK(next.ValidUntil, next.OrgID, next.ID)), marshalTime(next.UpdatedAt)
	vals[":gsi3pk"], vals[":gsi3sk"] = str(guestStatusPK(next.OrgID, storedStatus(next))), str(guestStatusSK(next.ValidUntil, next.ID))
	vals[":active"], vals[":role"], vals[":ws"], vals[":privs"] = boolean(next.Active), str(next.RoleID),
		mustMarshal(next.Workspace), &types.AttributeValueMemberL{Value: strList(privStrings(next.Privileges))}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(orgPK(next.OrgID), guestSK(next.ID)),
			UpdateExpression:          aws.String("SET ValidUntil = :u, GSI2SK = :sk, GSI3PK = :gsi3pk, GSI3SK = :gsi3sk, UpdatedAt = :upd, Active = :active, RoleID = :role, Workspace = :ws, #privs = :privs"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#privs": "Privileges"},
			ExpressionAttributeValues: vals,
		}},
		putNew(s.table, newAuditItem(entry)),
	}
	if next.GrantID != "" {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: marshal(grantOf(next, next.GrantID, next.UserID)),
			ConditionExpression:       aws.String("GrantID = :g"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(next.GrantID)},
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons := cancelReasons(err)
	if failedAt(reasons, 0) || failedAt(reasons, 2) {
		return conflictChanged
	}
	if err != nil {
		return fmt.Errorf("update guest: %w", err)
	}
	return nil
}

func strList(ss []string) []types.AttributeValue {
	out := make([]types.AttributeValue, len(ss))
	for i, x := range ss {
		out[i] = str(x)
	}
	return out
}

// GuestsEndingBy lists active guests whose period ends at or before t (GSI2).
func (s *Store) GuestsEndingBy(ctx context.Context, t time.Time) ([]guest.Guest, error) {
	var out []guest.Guest
	err := s.queryAll(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String(index2),
		KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK <= :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(gsiActiveGuests), ":t": str(sortableTime(t) + "#~"),
		},
	}, func(item map[string]types.AttributeValue) error {
		var it guestItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out = append(out, it.toGuest())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("guests ending by %s: %w", t, err)
	}
	return out, nil
}

// MarkReminded records that g was reminded for its current end and queues the
// reminder messages, once: the condition refuses a second reminder for the
// same end.
func (s *Store) MarkReminded(ctx context.Context, g guest.Guest, msgs []outbox.Message, entry audit.Entry) error {
	cond, vals := guestUnchanged(g)
	vals[":u"] = marshalTime(g.ValidUntil)
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       key(orgPK(g.OrgID), guestSK(g.ID)),
		UpdateExpression:          aws.String("SET ReminderFor = :u"),
		ConditionExpression:       aws.String(cond + " AND ValidUntil = :u AND (attribute_not_exists(ReminderFor) OR ReminderFor <> :u)"),
		ExpressionAttributeValues: vals,
	}}}
	for _, m := range msgs {
		items = append(items, putNew(s.table, newOutboxItem(m)))
	}
	items = append(items, putNew(s.table, newAuditItem(entry)))
	return s.transact(ctx, "mark reminded", items, conflictChanged)
}

func putItem(table string, item any) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: marshal(item)}}
}

func marshalTime(t time.Time) types.AttributeValue { return str(sortableTime(t)) }

// InviteLookup reads in one BatchGetItem what an invitation needs to check:
// the company, the case (when caseID is set) and whether the email has an
// account; only an existing account costs a second read, for its password
// state.
func (s *Store) InviteLookup(ctx context.Context, orgID, caseID, email string) (invite.Lookup, error) {
	keys := []map[string]types.AttributeValue{key(orgPK(orgID), skMeta), key(emailPK(email), skUser)}
	if caseID != "" {
		keys = append(keys, key(orgPK(orgID), caseSK(caseID)))
	}
	items := map[string]map[string]types.AttributeValue{}
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if attempt > 5 {
				return invite.Lookup{}, fmt.Errorf("invite lookup: keys left unprocessed")
			}
			time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return invite.Lookup{}, fmt.Errorf("invite lookup: %w", err)
		}
		for _, it := range out.Responses[s.table] {
			pk, _ := it["PK"].(*types.AttributeValueMemberS)
			sk, _ := it["SK"].(*types.AttributeValueMemberS)
			if pk != nil && sk != nil {
				items[pk.Value+"|"+sk.Value] = it
			}
		}
		req = out.UnprocessedKeys
	}
	var l invite.Lookup
	orgItemAV, ok := items[orgPK(orgID)+"|"+skMeta]
	if !ok {
		return l, identity.ErrOrgNotFound
	}
	var o orgItem
	if err := attributevalue.UnmarshalMap(orgItemAV, &o); err != nil {
		return l, err
	}
	l.Org = o.org()
	if av, ok := items[orgPK(orgID)+"|"+caseSK(caseID)]; ok && caseID != "" {
		var c caseItem
		if err := attributevalue.UnmarshalMap(av, &c); err != nil {
			return l, err
		}
		kase := c.toCase()
		l.Case = &kase
	}
	if av, ok := items[emailPK(email)+"|"+skUser]; ok {
		var e emailItem
		if err := attributevalue.UnmarshalMap(av, &e); err != nil {
			return l, err
		}
		u, err := s.User(ctx, e.UserID)
		if err != nil {
			return l, err
		}
		// An address held unverified is nobody's yet: the invitation is
		// addressed to the mailbox, whoever proves it.
		if !u.EmailUnverified {
			l.Account = u
		}
	}
	return l, nil
}

// SeedGuests writes guests as they are, without links, messages or audit, in
// batches: for load tools that need a company with many guests quickly.
func (s *Store) SeedGuests(ctx context.Context, gs []guest.Guest) error {
	for len(gs) > 0 {
		n := min(25, len(gs))
		reqs := make([]types.WriteRequest, 0, n)
		for _, g := range gs[:n] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: marshal(newGuestItem(g))}})
		}
		pending := map[string][]types.WriteRequest{s.table: reqs}
		for len(pending) > 0 {
			res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("seed guests: %w", err)
			}
			pending = res.UnprocessedItems
		}
		gs = gs[n:]
	}
	return nil
}
