package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/locale"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/signup"
)

func signupPK(hash string) string       { return "SIGNUP#" + hash }
func signupEmailPK(email string) string { return "SIGNUPEMAIL#" + email }

// signupItem is a pending sign-up, under its token's hash (the link) and
// under its address (for the sign-in's clear refusal; the newest wins).
type signupItem struct {
	PK, SK       string
	Type         string
	TokenHash    string
	Email        string
	Name         string
	PasswordHash string
	CompanyName  string
	OrgID        string
	Language     string
	TimeZone     string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Used         bool
	TTL          int64 `dynamodbav:"ttl"`
}

func newSignupItem(p signup.Pending, pk, sk string) signupItem {
	return signupItem{PK: pk, SK: sk, Type: "signup", TokenHash: p.TokenHash, Email: p.Email, Name: p.Name,
		PasswordHash: p.PasswordHash, CompanyName: p.CompanyName, OrgID: p.OrgID, Language: string(p.Language),
		TimeZone: p.TimeZone, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, Used: p.Used,
		TTL: p.ExpiresAt.Add(invitationRetention).Unix()}
}

func (it signupItem) pending() signup.Pending {
	return signup.Pending{TokenHash: it.TokenHash, Email: it.Email, Name: it.Name, PasswordHash: it.PasswordHash,
		CompanyName: it.CompanyName, OrgID: it.OrgID, Language: locale.Lang(it.Language), TimeZone: it.TimeZone,
		CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt, Used: it.Used}
}

// CreateSignup writes a pending sign-up and its message together.
func (s *Store) CreateSignup(ctx context.Context, p signup.Pending, m outbox.Message) error {
	return s.transact(ctx, "create signup", []types.TransactWriteItem{
		putNew(s.table, newSignupItem(p, signupPK(p.TokenHash), skInv)),
		putItem(s.table, newSignupItem(p, signupEmailPK(p.Email), skUser)),
		putNew(s.table, newOutboxItem(m)),
	}, fmt.Errorf("create signup: token collision"))
}

// Signup reads a sign-up by its token's hash.
func (s *Store) Signup(ctx context.Context, tokenHash string) (signup.Pending, error) {
	return getAs(ctx, s, signupPK(tokenHash), skInv, signup.ErrUnknown, signupItem.pending)
}

// PendingSignup reads the newest sign-up of an address.
func (s *Store) PendingSignup(ctx context.Context, email string) (signup.Pending, error) {
	return getAs(ctx, s, signupEmailPK(email), skUser, signup.ErrUnknown, signupItem.pending)
}

// ConfirmSignup uses the link and creates the account, its email, the
// company and the admin membership in one transaction.
func (s *Store) ConfirmSignup(ctx context.Context, c signup.Creation) error {
	p, u, o, m := c.Pending, c.User, c.Org, c.Member
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(signupPK(p.TokenHash), skInv),
			UpdateExpression:          aws.String("SET Used = :true"),
			ConditionExpression:       aws.String("Used = :false AND ExpiresAt > :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":true": boolean(true), ":false": boolean(false), ":at": marshalTime(c.At)},
		}},
		putNew(s.table, emailItem{PK: emailPK(u.Email), SK: skUser, Type: "email", UserID: u.ID}),
		putNew(s.table, newUserItem(u)),
		putNew(s.table, orgItem{PK: orgPK(o.ID), SK: skMeta, Type: "org", ID: o.ID, Name: o.Name, MaxGuestDays: o.MaxGuestDays,
			ReminderDays: o.ReminderDays, Language: string(o.Language), TimeZone: o.TimeZone, CreatedAt: o.CreatedAt}),
		putNew(s.table, memberItem{PK: orgPK(m.OrgID), SK: memberSK(u.ID), GSI1PK: userPK(u.ID), GSI1SK: "MEMBER#" + m.OrgID,
			Type: "member", OrgID: m.OrgID, OrgName: m.OrgName, UserID: u.ID, Email: u.Email, Name: u.Name, Role: m.Role}),
		{Delete: &types.Delete{TableName: &s.table, Key: key(signupEmailPK(u.Email), skUser)}},
		putNew(s.table, newAuditItem(c.Audit)),
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	reasons := cancelReasons(err)
	switch {
	case failedAt(reasons, 0):
		cur, rerr := s.Signup(ctx, p.TokenHash)
		if rerr == nil && !cur.Used {
			return signup.ErrExpired
		}
		return signup.ErrUsed
	case failedAt(reasons, 1):
		return identity.ErrEmailTaken
	case reasons != nil && containsReason(reasons, "TransactionConflict"):
		return signup.ErrUsed
	}
	return fmt.Errorf("confirm signup: %w", err)
}
