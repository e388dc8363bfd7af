package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/emailverify"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

var _ emailverify.Store = (*Store)(nil)

// verifyItem is a pending proof of an address, keyed by the token's hash.
type verifyItem struct {
	PK, SK    string
	Type      string
	TokenHash string
	UserID    string
	Email     string
	ExpiresAt time.Time
	CreatedAt time.Time
	// Used is set once, by the confirm's conditional write.
	Used bool
	TTL  int64 `dynamodbav:"ttl"`
}

func verifyPK(hash string) string { return "EMAILVERIFY#" + hash }

func (it verifyItem) verification() emailverify.Verification {
	return emailverify.Verification{TokenHash: it.TokenHash, UserID: it.UserID, Email: it.Email, ExpiresAt: it.ExpiresAt,
		CreatedAt: it.CreatedAt, Used: it.Used}
}

// CreateEmailVerification writes a verification and the message with its link.
func (s *Store) CreateEmailVerification(ctx context.Context, v emailverify.Verification, m outbox.Message) error {
	return s.transact(ctx, "create email verification", []types.TransactWriteItem{
		putNew(s.table, verifyItem{PK: verifyPK(v.TokenHash), SK: skInv, Type: "email-verification", TokenHash: v.TokenHash,
			UserID: v.UserID, Email: v.Email, ExpiresAt: v.ExpiresAt, CreatedAt: v.CreatedAt,
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
		cur, rerr := s.EmailVerification(ctx, v.TokenHash)
		if rerr == nil && cur.Used {
			return emailverify.ErrUsed
		}
		return emailverify.ErrExpired
	case failedAt(reasons, 1), failedAt(reasons, 2):
		return emailverify.ErrVoid
	case reasons != nil && containsReason(reasons, "TransactionConflict"):
		return emailverify.ErrUsed
	}
	return fmt.Errorf("confirm email: %w", err)
}
