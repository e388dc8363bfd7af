package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
)

var _ identity.Store = (*Store)(nil)

// UserByEmail finds an account by its (normalised) email.
func (s *Store) UserByEmail(ctx context.Context, email string) (identity.User, error) {
	userID, err := getAs(ctx, s, emailPK(email), skUser, identity.ErrUserNotFound, func(e emailItem) string { return e.UserID })
	if err != nil {
		return identity.User{}, err
	}
	return s.User(ctx, userID)
}

// User reads an account.
func (s *Store) User(ctx context.Context, id string) (identity.User, error) {
	return getAs(ctx, s, userPK(id), skProfile, identity.ErrUserNotFound, userItem.user)
}

// Org reads a company.
func (s *Store) Org(ctx context.Context, id string) (identity.Org, error) {
	return getAs(ctx, s, orgPK(id), skMeta, identity.ErrOrgNotFound, orgItem.org)
}

// Member reads a user's membership of a company; ErrUserNotFound if none.
func (s *Store) Member(ctx context.Context, orgID, userID string) (identity.Member, error) {
	return getAs(ctx, s, orgPK(orgID), memberSK(userID), identity.ErrUserNotFound, memberItem.member)
}

// Memberships lists a user's memberships and case-guest profiles (GSI1
// USER#) and the company-guest profiles addressed to their email (GSI1
// INVITEE#).
func (s *Store) Memberships(ctx context.Context, userID, email string) ([]identity.Member, []guest.Guest, error) {
	var members []identity.Member
	guests, err := s.guestsByGSI1(ctx, userPK(userID), func(item map[string]types.AttributeValue) error {
		var m memberItem
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			return err
		}
		members = append(members, m.member())
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("memberships of %s: %w", userID, err)
	}
	if email == "" {
		return members, guests, nil
	}
	company, err := s.CompanyInvitations(ctx, email)
	if err != nil {
		return nil, nil, err
	}
	return members, append(guests, company...), nil
}

// CompanyInvitations lists the company-guest profiles addressed to email.
func (s *Store) CompanyInvitations(ctx context.Context, email string) ([]guest.Guest, error) {
	gs, err := s.guestsByGSI1(ctx, inviteePK(email), nil)
	if err != nil {
		return nil, fmt.Errorf("company invitations of %s: %w", email, err)
	}
	return gs, nil
}

// guestsByGSI1 queries one GSI1 partition, decoding guest items and handing
// member items to onMember.
func (s *Store) guestsByGSI1(ctx context.Context, pk string, onMember func(map[string]types.AttributeValue) error) ([]guest.Guest, error) {
	var guests []guest.Guest
	err := s.queryAll(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(index1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}, func(item map[string]types.AttributeValue) error {
		var kind struct{ Type string }
		if err := attributevalue.UnmarshalMap(item, &kind); err != nil {
			return err
		}
		switch kind.Type {
		case "member":
			if onMember != nil {
				return onMember(item)
			}
		case "guest":
			var g guestItem
			if err := attributevalue.UnmarshalMap(item, &g); err != nil {
				return err
			}
			guests = append(guests, g.toGuest())
		}
		return nil
	})
	return guests, err
}

// RolePrivileges returns a custom role's privileges.
func (s *Store) RolePrivileges(ctx context.Context, orgID, roleID string) ([]access.Privilege, error) {
	r, err := s.Role(ctx, orgID, roleID)
	if err != nil {
		return nil, err
	}
	return r.Privileges, nil
}

// Grant reads a guest's grant; guest.ErrNotFound if there is none.
func (s *Store) Grant(ctx context.Context, orgID, guestID string) (identity.Grant, error) {
	return getAs(ctx, s, orgPK(orgID), grantSK(guestID), guest.ErrNotFound, grantItem.grant)
}

// Guest reads a guest profile.
func (s *Store) Guest(ctx context.Context, orgID, guestID string) (guest.Guest, error) {
	return getAs(ctx, s, orgPK(orgID), guestSK(guestID), guest.ErrNotFound, guestItem.toGuest)
}

// SetPassword stores a password hash; with mustBeUnset the write only happens
// if the account has none, so two racing first-password requests cannot both win.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, mustBeUnset bool, entry *audit.Entry) error {
	cond := "attribute_exists(PK)"
	if mustBeUnset {
		cond += " AND attribute_not_exists(PasswordHash)"
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       key(userPK(userID), skProfile),
		UpdateExpression:          aws.String("SET PasswordHash = :h ADD TokenVersion :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(hash), ":one": num(1)},
	}}}
	if entry != nil {
		items = append(items, putNew(s.table, newAuditItem(*entry)))
	}
	return s.transact(ctx, "set password", items, identity.ErrPasswordSet)
}

// RaiseTokenVersion revokes every session token of the account: tokens carry
// the version they were issued under and Resolve compares it on each request.
func (s *Store) RaiseTokenVersion(ctx context.Context, userID string, entry *audit.Entry) error {
	items := []types.TransactWriteItem{s.raiseTokenVersion(userID)}
	if entry != nil {
		items = append(items, putNew(s.table, newAuditItem(*entry)))
	}
	return s.transact(ctx, "raise token version", items, identity.ErrUserNotFound)
}

// raiseTokenVersion is the transaction item that revokes every session token
// of an existing account.
func (s *Store) raiseTokenVersion(userID string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       key(userPK(userID), skProfile),
		UpdateExpression:          aws.String("ADD TokenVersion :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)},
	}}
}

// Seed data ---------------------------------------------------------------

// CreateOrg writes a company.
func (s *Store) CreateOrg(ctx context.Context, o identity.Org) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: marshal(orgItem{PK: orgPK(o.ID), SK: skMeta, Type: "org", ID: o.ID, Name: o.Name,
			MaxGuestDays: o.MaxGuestDays, ReminderDays: o.ReminderDays, Language: string(o.Language), TimeZone: o.TimeZone,
			CreatedAt: o.CreatedAt}),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if isConditionFailed(err) {
		return identity.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	return nil
}

// CreateMember creates an account with its unique email and makes it a member
// of a company, in one transaction.
func (s *Store) CreateMember(ctx context.Context, u identity.User, m identity.Member) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		putNew(s.table, emailItem{PK: emailPK(u.Email), SK: skUser, Type: "email", UserID: u.ID}),
		putNew(s.table, newUserItem(u)),
		putNew(s.table, memberItem{PK: orgPK(m.OrgID), SK: memberSK(u.ID), GSI1PK: userPK(u.ID), GSI1SK: "MEMBER#" + m.OrgID,
			Type: "member", OrgID: m.OrgID, OrgName: m.OrgName, UserID: u.ID, Email: u.Email, Name: u.Name, Role: m.Role}),
	}})
	if failedAt(cancelReasons(err), 0) {
		return identity.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create member: %w", err)
	}
	return nil
}

// Cases -------------------------------------------------------------------

// CreateCase writes a new case and its audit entry.
func (s *Store) CreateCase(ctx context.Context, c casefile.Case, entry audit.Entry) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		putNew(s.table, newCaseItem(c)),
		putNew(s.table, newAuditItem(entry)),
	}})
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	return nil
}

// Case reads one case.
func (s *Store) Case(ctx context.Context, orgID, caseID string) (casefile.Case, error) {
	return getAs(ctx, s, orgPK(orgID), caseSK(caseID), casefile.ErrNotFound, caseItem.toCase)
}

// Cases lists a company's cases.
func (s *Store) Cases(ctx context.Context, orgID string) ([]casefile.Case, error) {
	return listAs(ctx, s, orgPK(orgID), "CASE#", caseItem.toCase)
}

// Audit -------------------------------------------------------------------

// auditScanPages bounds how many pages one filtered request reads, so a
// filter that matches nothing costs a bounded number of reads; the caller
// gets a cursor to go on from where the scan stopped.
const auditScanPages = 10

// AuditLog returns a company's audit entries, newest first, at most q.Limit
// of those q selects, starting after q.Cursor (an SK from a previous page).
// The filters match names kept in the entries, which DynamoDB cannot index
// case-insensitively, so they are applied here page by page.
func (s *Store) AuditLog(ctx context.Context, orgID string, q audit.Query) ([]audit.Entry, string, error) {
	out := make([]audit.Entry, 0, q.Limit)
	cursor := q.Cursor
	for page := 0; page < auditScanPages; page++ {
		in := &dynamodb.QueryInput{
			TableName:              &s.table,
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(orgPK(orgID)), ":p": str("AUDIT#"),
			},
			ScanIndexForward: aws.Bool(false),
			Limit:            aws.Int32(int32(q.Limit - len(out))),
		}
		if q.Filtered() {
			in.Limit = aws.Int32(100)
		}
		if cursor != "" {
			in.ExclusiveStartKey = key(orgPK(orgID), cursor)
		}
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("audit log: %w", err)
		}
		cursor = ""
		if sk, ok := res.LastEvaluatedKey["SK"].(*types.AttributeValueMemberS); ok {
			cursor = sk.Value
		}
		for _, item := range res.Items {
			var it auditItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, "", err
			}
			e := it.entry()
			if !q.Match(e) {
				continue
			}
			out = append(out, e)
			if len(out) == q.Limit {
				// Go on after this entry, not after the page it came from.
				return out, it.SK, nil
			}
		}
		if cursor == "" {
			break
		}
	}
	return out, cursor, nil
}
