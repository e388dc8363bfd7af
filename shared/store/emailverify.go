package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/emailverify"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

var _ emailverify.Store = (*Store)(nil)

// verifyItem is a pending proof of an address, keyed by the token's hash.
type verifyItem struct {
	PK, SK           string
	Type             string
	TokenHash        string
	UserID           string
	Email            string
	ExpiresAt        time.Time
	CreatedAt        time.Time
	OrgID            string    `dynamodbav:",omitempty"`
	OrgName          string    `dynamodbav:",omitempty"`
	AccountCreatedAt time.Time `dynamodbav:",omitempty"`
	// Used is set once, by the confirm's or the decline's conditional write;
	// Declined says it was the decline.
	Used     bool
	Declined bool  `dynamodbav:",omitempty"`
	TTL      int64 `dynamodbav:"ttl"`
}

func verifyPK(hash string) string { return "EMAILVERIFY#" + hash }

func (it verifyItem) verification() emailverify.Verification {
	return emailverify.Verification{TokenHash: it.TokenHash, UserID: it.UserID, Email: it.Email, ExpiresAt: it.ExpiresAt,
		CreatedAt: it.CreatedAt, OrgID: it.OrgID, OrgName: it.OrgName, AccountCreatedAt: it.AccountCreatedAt,
		Used: it.Used, Declined: it.Declined}
}

// CreateEmailVerification writes a verification and the message with its link.
func (s *Store) CreateEmailVerification(ctx context.Context, v emailverify.Verification, m outbox.Message) error {
	return s.transact(ctx, "create email verification", []types.TransactWriteItem{
		putNew(s.table, verifyItem{PK: verifyPK(v.TokenHash), SK: skInv, Type: "email-verification", TokenHash: v.TokenHash,
			UserID: v.UserID, Email: v.Email, ExpiresAt: v.ExpiresAt, CreatedAt: v.CreatedAt,
			OrgID: v.OrgID, OrgName: v.OrgName, AccountCreatedAt: v.AccountCreatedAt,
			TTL: v.ExpiresAt.Add(invitationRetention).Unix()}),
		putNew(s.table, newOutboxItem(m)),
	}, emailverify.ErrUnknown)
}

// EmailVerification reads a verification by the hash of its token.
func (s *Store) EmailVerification(ctx context.Context, tokenHash string) (emailverify.Verification, error) {
	return getAs(ctx, s, verifyPK(tokenHash), skInv, emailverify.ErrUnknown, verifyItem.verification)
}

// ConfirmEmail uses the verification, clears the account's unverified mark
// and the pointer's, in one transaction.
func (s *Store) ConfirmEmail(ctx context.Context, v emailverify.Verification, at time.Time) error {
	t := marshalTime(at)
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(verifyPK(v.TokenHash), skInv),
			UpdateExpression:          aws.String("SET Used = :true, UsedAt = :at"),
			ConditionExpression:       aws.String("Used = :false AND ExpiresAt > :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": t, ":true": boolean(true), ":false": boolean(false)},
		}},
		{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(userPK(v.UserID), skProfile),
			UpdateExpression:          aws.String("REMOVE EmailUnverified"),
			ConditionExpression:       aws.String("Email = :addr AND EmailUnverified = :true"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":addr": str(v.Email), ":true": boolean(true)},
		}},
		{Update: &types.Update{
			TableName:                 &s.table,
			Key:                       key(emailPK(v.Email), skUser),
			UpdateExpression:          aws.String("REMOVE Unverified"),
			ConditionExpression:       aws.String("UserID = :uid"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":uid": str(v.UserID)},
		}},
	}})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case failedAt(reasons, 0):
		// Used by a concurrent confirm, or expired since it was read.
		return s.verificationRefusal(ctx, v.TokenHash)
	case failedAt(reasons, 1), failedAt(reasons, 2):
		return emailverify.ErrVoid
	case reasons != nil && containsReason(reasons, "TransactionConflict"):
		return emailverify.ErrUsed
	}
	return fmt.Errorf("confirm email: %w", err)
}

// verificationRefusal says why a verification's condition failed.
func (s *Store) verificationRefusal(ctx context.Context, hash string) error {
	cur, err := s.EmailVerification(ctx, hash)
	switch {
	case err == nil && cur.Declined:
		return emailverify.ErrDeclined
	case err == nil && cur.Used:
		return emailverify.ErrUsed
	}
	return emailverify.ErrExpired
}

// DeclineEmailVerification uses the verification without confirming, and
// writes the audit entry in the same transaction.
func (s *Store) DeclineEmailVerification(ctx context.Context, v emailverify.Verification, at time.Time, e *audit.Entry) error {
	t := marshalTime(at)
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       key(verifyPK(v.TokenHash), skInv),
		UpdateExpression:          aws.String("SET Used = :true, Declined = :true, UsedAt = :at"),
		ConditionExpression:       aws.String("Used = :false AND ExpiresAt > :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": t, ":true": boolean(true), ":false": boolean(false)},
	}}}
	if e != nil {
		items = append(items, putNew(s.table, newAuditItem(*e)))
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case failedAt(reasons, 0):
		return s.verificationRefusal(ctx, v.TokenHash)
	case reasons != nil && containsReason(reasons, "TransactionConflict"):
		return emailverify.ErrUsed
	}
	return fmt.Errorf("decline email verification: %w", err)
}
