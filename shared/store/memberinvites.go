package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/memberinvite"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/page"
)

func memberInvPK(hash string) string { return "MINV#" + hash }
func memberInvSK(id string) string   { return "MEMBERINV#" + id }

// memberInvItem is a member invitation, kept twice: under the token's hash
// for the link (MINV#), and in the company's partition for its list and
// delivery status (MEMBERINV#). Both carry the state; accepting sets both.
type memberInvItem struct {
	PK, SK      string
	Type        string
	ID          string
	TokenHash   string
	OrgID       string
	OrgName     string
	Email       string
	Name        string
	Role        string
	RoleName    string
	InvitedBy   string
	InviterName string
	State       string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      time.Time
	UserID      string `dynamodbav:",omitempty"`
	Deliveries  map[string]outbox.Delivery
	TTL         int64 `dynamodbav:"ttl,omitempty"`
}

func newMemberInvItems(inv memberinvite.Invitation) (link, listed memberInvItem) {
	it := memberInvItem{Type: "member-invitation", ID: inv.ID, TokenHash: inv.TokenHash, OrgID: inv.OrgID, OrgName: inv.OrgName,
		Email: inv.Email, Name: inv.Name, Role: inv.Role, RoleName: inv.RoleName, InvitedBy: inv.InvitedBy,
		InviterName: inv.InviterName, State: inv.State, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
		Deliveries: map[string]outbox.Delivery{}}
	for c, d := range inv.Deliveries {
		it.Deliveries[string(c)] = d
	}
	link, listed = it, it
	link.PK, link.SK, link.TTL = memberInvPK(inv.TokenHash), skInv, inv.ExpiresAt.Add(invitationRetention).Unix()
	// The listed copy stays until the company's data goes: it is the record
	// of who was invited to join.
	listed.PK, listed.SK = orgPK(inv.OrgID), memberInvSK(inv.ID)
	return link, listed
}

func (it memberInvItem) invitation() memberinvite.Invitation {
	inv := memberinvite.Invitation{ID: it.ID, TokenHash: it.TokenHash, OrgID: it.OrgID, OrgName: it.OrgName, Email: it.Email,
		Name: it.Name, Role: it.Role, RoleName: it.RoleName, InvitedBy: it.InvitedBy, InviterName: it.InviterName, State: it.State,
		CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt, UsedAt: it.UsedAt, UserID: it.UserID,
		Deliveries: map[outbox.Channel]outbox.Delivery{}}
	for c, d := range it.Deliveries {
		inv.Deliveries[outbox.Channel(c)] = d
	}
	return inv
}

// CreateMemberInvitation writes the link, the listed invitation, the message
// that carries the link and the audit entry in one transaction.
func (s *Store) CreateMemberInvitation(ctx context.Context, inv memberinvite.Invitation, m outbox.Message, e audit.Entry) error {
	link, listed := newMemberInvItems(inv)
	return s.transact(ctx, "create member invitation", []types.TransactWriteItem{
		putNew(s.table, link), putNew(s.table, listed), putNew(s.table, newOutboxItem(m)), putNew(s.table, newAuditItem(e)),
	}, fmt.Errorf("create member invitation: token collision"))
}

// MemberInvitation reads a link by the hash of its token.
func (s *Store) MemberInvitation(ctx context.Context, tokenHash string) (memberinvite.Invitation, error) {
	return getAs(ctx, s, memberInvPK(tokenHash), skInv, memberinvite.ErrUnknown, memberInvItem.invitation)
}

// MemberInvitationsPage reads a page of a company's member invitations.
func (s *Store) MemberInvitationsPage(ctx context.Context, orgID string, pg page.Request) ([]memberinvite.Invitation, page.Key, error) {
	return pageOf(ctx, s, prefixSegment(orgID, "MEMBERINV#"), pg, nil, memberInvItem.invitation)
}

// AcceptMemberInvitation uses the link and adds the member (and a new
// account) in one transaction; see memberinvite.Store.
func (s *Store) AcceptMemberInvitation(ctx context.Context, a memberinvite.Acceptance) error {
	inv, at := a.Invitation, marshalTime(a.At)
	used := func(pk, sk, cond string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(pk, sk),
			UpdateExpression:         aws.String("SET #state = :accepted, UsedAt = :at, UserID = :uid"),
			ConditionExpression:      aws.String(cond),
			ExpressionAttributeNames: map[string]string{"#state": "State"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":accepted": str(memberinvite.Accepted), ":pending": str(memberinvite.Pending), ":at": at, ":uid": str(a.Member.UserID),
			},
		}}
	}
	m := a.Member
	items := []types.TransactWriteItem{
		used(memberInvPK(inv.TokenHash), skInv, "#state = :pending AND ExpiresAt > :at"),
		putNew(s.table, memberItem{PK: orgPK(m.OrgID), SK: memberSK(m.UserID), GSI1PK: userPK(m.UserID), GSI1SK: "MEMBER#" + m.OrgID,
			Type: "member", OrgID: m.OrgID, OrgName: m.OrgName, UserID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role}),
		used(orgPK(inv.OrgID), memberInvSK(inv.ID), "#state = :pending"),
		putNew(s.table, newAuditItem(a.Audit)),
	}
	const emailIdx = 4
	if a.NewUser != nil {
		items = append(items,
			putNew(s.table, emailItem{PK: emailPK(a.NewUser.Email), SK: skUser, Type: "email", UserID: a.NewUser.ID}),
			putNew(s.table, newUserItem(*a.NewUser)))
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	reasons := cancelReasons(err)
	switch {
	case failedAt(reasons, 0), failedAt(reasons, 2):
		cur, rerr := s.MemberInvitation(ctx, inv.TokenHash)
		if rerr == nil && cur.State == memberinvite.Pending && !a.At.Before(cur.ExpiresAt) {
			return memberinvite.ErrExpired
		}
		return memberinvite.ErrUsed
	case failedAt(reasons, 1):
		return memberinvite.ErrAlreadyMember
	case failedAt(reasons, emailIdx):
		return identity.ErrEmailTaken
	case reasons != nil && containsReason(reasons, "TransactionConflict"):
		// Another accept of the same link is committing right now: it wins.
		return memberinvite.ErrUsed
	}
	return fmt.Errorf("accept member invitation: %w", err)
}
