package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/role"
)

// maxFilteredReads bounds the queries one filtered page may make; a page cut
// short by it still carries a cursor, so the caller goes on from there.
const maxFilteredReads = 8

// segment is one key range a list reads: a partition of the table or of an
// index, with an optional sort-key condition.
type segment struct {
	index          string // "" for the table
	pkName, skName string
	pk             string
	skCond         string // e.g. "begins_with(#sk, :v)" or "#sk > :v"
	skValue        string
}

func (g segment) input(limit int, start page.Key) (*dynamodb.QueryInput, error) {
	expr := "#pk = :pk"
	names := map[string]string{"#pk": g.pkName}
	vals := map[string]types.AttributeValue{":pk": str(g.pk)}
	if g.skCond != "" {
		expr += " AND " + g.skCond
		names["#sk"] = g.skName
		vals[":v"] = str(g.skValue)
	}
	in := &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
		Limit:                     aws.Int32(int32(limit)),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	if g.index != "" {
		in.IndexName = aws.String(g.index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if len(start) > 0 {
		esk, err := g.startKey(start)
		if err != nil {
			return nil, err
		}
		in.ExclusiveStartKey = esk
	}
	return in, nil
}

// startKey turns a cursor's key back into an ExclusiveStartKey, refusing one
// outside this segment: the cursor is sealed, and this check keeps a bug
// elsewhere from reading past the company's partition.
func (g segment) startKey(k page.Key) (map[string]types.AttributeValue, error) {
	out := map[string]types.AttributeValue{}
	for name, v := range k {
		switch name {
		case "Part":
			continue
		case "PK", "SK", g.pkName, g.skName:
		default:
			return nil, page.ErrInvalidCursor
		}
		out[name] = str(v)
	}
	if out[g.pkName] == nil || k[g.pkName] != g.pk || out["PK"] == nil || out["SK"] == nil {
		return nil, page.ErrInvalidCursor
	}
	if g.index == "" && !strings.HasPrefix(k["SK"], g.skValue) {
		return nil, page.ErrInvalidCursor
	}
	return out, nil
}

func keyOf(m map[string]types.AttributeValue) page.Key {
	if len(m) == 0 {
		return nil
	}
	k := page.Key{}
	for name, v := range m {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			k[name] = s.Value
		}
	}
	return k
}

// pageOf reads one page over segments in order: up to pg.Limit items that
// keep accepts (nil keeps all), and the key to go on from, nil at the end.
// The key's Part names the segment it belongs to.
func pageOf[T, R any](ctx context.Context, s *Store, segs []segment, pg page.Request, keep func(R) bool, conv func(T) R) ([]R, page.Key, error) {
	out := make([]R, 0, pg.Limit)
	part := 0
	if p := pg.Start["Part"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n >= len(segs) {
			return nil, nil, page.ErrInvalidCursor
		}
		part = n
	}
	start := pg.Start
	if len(start) == 1 && start["Part"] != "" {
		start = nil // the previous page ended exactly at the end of a segment
	}
	for reads := 0; ; reads++ {
		seg := segs[part]
		// One item more than the page needs tells whether another page
		// follows, so a list that ends on a page boundary has no empty page.
		in, err := seg.input(pg.Limit-len(out)+1, start)
		if err != nil {
			return nil, nil, err
		}
		in.TableName = &s.table
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("list %s: %w", seg.pk, err)
		}
		for i, item := range res.Items {
			var it T
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, nil, err
			}
			if r := conv(it); keep == nil || keep(r) {
				out = append(out, r)
			}
			if len(out) == pg.Limit && (i+1 < len(res.Items) || res.LastEvaluatedKey != nil) {
				return out, seg.keyAt(part, item), nil
			}
		}
		start = keyOf(res.LastEvaluatedKey)
		if start == nil {
			if part+1 == len(segs) {
				return out, nil, nil
			}
			part++
		}
		if len(out) == pg.Limit || reads+1 == maxFilteredReads {
			next := page.Key{"Part": strconv.Itoa(part)}
			for k, v := range start {
				next[k] = v
			}
			return out, next, nil
		}
	}
}

// keyAt is the position just after item in segment part.
func (g segment) keyAt(part int, item map[string]types.AttributeValue) page.Key {
	k := page.Key{"Part": strconv.Itoa(part)}
	for _, name := range []string{"PK", "SK", g.pkName, g.skName} {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			k[name] = v.Value
		}
	}
	return k
}

func prefixSegment(orgID, prefix string) []segment {
	return []segment{{pkName: "PK", skName: "SK", pk: orgPK(orgID), skCond: "begins_with(#sk, :v)", skValue: prefix}}
}

// CasesPage reads a page of a company's cases in key order.
func (s *Store) CasesPage(ctx context.Context, orgID string, pg page.Request, keep func(casefile.Case) bool) ([]casefile.Case, page.Key, error) {
	return pageOf(ctx, s, prefixSegment(orgID, "CASE#"), pg, keep, caseItem.toCase)
}

// RolesPage reads a page of a company's custom roles.
func (s *Store) RolesPage(ctx context.Context, orgID string, pg page.Request) ([]role.Role, page.Key, error) {
	return pageOf(ctx, s, prefixSegment(orgID, "ROLE#"), pg, nil, roleItem.role)
}

// MembersPage reads a page of a company's members.
func (s *Store) MembersPage(ctx context.Context, orgID string, pg page.Request) ([]role.Member, page.Key, error) {
	return pageOf(ctx, s, prefixSegment(orgID, "MEMBER#"), pg, nil, func(it memberItem) role.Member {
		return role.Member{UserID: it.UserID, Email: it.Email, Name: it.Name, Role: it.Role}
	})
}

// GroupsPage reads a page of a company's groups that keep accepts.
func (s *Store) GroupsPage(ctx context.Context, orgID string, pg page.Request, keep func(device.Group) bool) ([]device.Group, page.Key, error) {
	return pageOf(ctx, s, prefixSegment(orgID, "GROUP#"), pg, keep, groupItem.group)
}

// DevicesPage reads a page of a company's devices that keep accepts.
func (s *Store) DevicesPage(ctx context.Context, orgID string, pg page.Request, keep func(device.Device) bool) ([]device.Device, page.Key, error) {
	return pageOf(ctx, s, prefixSegment(orgID, "DEVICE#"), pg, keep, deviceItem.device)
}

// GuestsPage reads a page of a company's guests; with a status, from the
// status index (GSI3), whose partitions hold each guest under the status its
// stored state gives. A period that ended before the sweep recorded it
// still counts as deactivated: such guests are the part of the active,
// pending and inactive partitions whose end is at or before now, so the
// deactivated list reads four key ranges in turn and the others one.
func (s *Store) GuestsPage(ctx context.Context, orgID string, status guest.Status, now time.Time, pg page.Request) ([]guest.Guest, page.Key, error) {
	if status == "" {
		return pageOf(ctx, s, prefixSegment(orgID, "GUEST#"), pg, nil, guestItem.toGuest)
	}
	t := sortableTime(now) + "#~"
	seg := func(st guest.Status, cond string) segment {
		return segment{index: index3, pkName: "GSI3PK", skName: "GSI3SK", pk: guestStatusPK(orgID, st), skCond: cond, skValue: t}
	}
	var segs []segment
	if status == guest.Deactivated {
		segs = []segment{
			{index: index3, pkName: "GSI3PK", skName: "GSI3SK", pk: guestStatusPK(orgID, guest.Deactivated)},
			seg(guest.Active, "#sk <= :v"), seg(guest.Pending, "#sk <= :v"), seg(guest.Inactive, "#sk <= :v"),
		}
	} else {
		segs = []segment{seg(status, "#sk > :v")}
	}
	return pageOf(ctx, s, segs, pg, nil, guestItem.toGuest)
}
