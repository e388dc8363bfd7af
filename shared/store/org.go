package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/role"
)

var (
	_ role.Store   = (*Store)(nil)
	_ device.Store = (*Store)(nil)
)

func roleSK(id string) string   { return "ROLE#" + id }
func groupSK(id string) string  { return "GROUP#" + id }
func deviceSK(id string) string { return "DEVICE#" + id }

type roleItem struct {
	PK, SK     string
	Type       string
	ID         string
	OrgID      string
	Name       string
	Privileges []string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (it roleItem) role() role.Role {
	r := role.Role{ID: it.ID, OrgID: it.OrgID, Name: it.Name, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Privileges: []access.Privilege{}}
	for _, p := range it.Privileges {
		r.Privileges = append(r.Privileges, access.Privilege(p))
	}
	return r
}

// Role reads a custom role.
func (s *Store) Role(ctx context.Context, orgID, id string) (role.Role, error) {
	return getAs(ctx, s, orgPK(orgID), roleSK(id), role.ErrNotFound, roleItem.role)
}

// Roles lists a company's custom roles.
func (s *Store) Roles(ctx context.Context, orgID string) ([]role.Role, error) {
	return listAs(ctx, s, orgPK(orgID), "ROLE#", roleItem.role)
}

// PutRole creates or replaces a custom role.
func (s *Store) PutRole(ctx context.Context, r role.Role, create bool, entry audit.Entry) error {
	it := roleItem{PK: orgPK(r.OrgID), SK: roleSK(r.ID), Type: "role", ID: r.ID, OrgID: r.OrgID, Name: r.Name,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Privileges: []string{}}
	for _, p := range r.Privileges {
		it.Privileges = append(it.Privileges, string(p))
	}
	return s.putWithAudit(ctx, it, create, entry, role.ErrNotFound)
}

// putWithAudit writes item (new, or replacing an existing one) and an audit
// entry together; notFound is returned when a replaced item has gone.
func (s *Store) putWithAudit(ctx context.Context, item any, create bool, entry audit.Entry, notFound error) error {
	cond := "attribute_exists(PK)"
	if create {
		cond = "attribute_not_exists(PK)"
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: marshal(item), ConditionExpression: aws.String(cond)}},
		putNew(s.table, newAuditItem(entry)),
	}})
	if failedAt(cancelReasons(err), 0) && !create {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("put %T: %w", item, err)
	}
	return nil
}

// deleteWithAudit deletes an existing item and writes an audit entry.
func (s *Store) deleteWithAudit(ctx context.Context, pk, sk string, entry audit.Entry, notFound error) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(pk, sk), ConditionExpression: aws.String("attribute_exists(PK)")}},
		putNew(s.table, newAuditItem(entry)),
	}})
	if failedAt(cancelReasons(err), 0) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("delete %s/%s: %w", pk, sk, err)
	}
	return nil
}

// DeleteRole deletes a custom role.
func (s *Store) DeleteRole(ctx context.Context, orgID, id string, entry audit.Entry) error {
	return s.deleteWithAudit(ctx, orgPK(orgID), roleSK(id), entry, role.ErrNotFound)
}

// RoleHolders lists the members and company guests holding a role.
func (s *Store) RoleHolders(ctx context.Context, orgID, roleID string) ([]role.Holder, error) {
	var out []role.Holder
	err := s.queryAll(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk"),
		FilterExpression:          aws.String("(#t = :member AND #role = :r) OR (#t = :guest AND RoleID = :r AND Active = :true)"),
		ExpressionAttributeNames:  map[string]string{"#t": "Type", "#role": "Role"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(orgPK(orgID)), ":member": str("member"), ":guest": str("guest"), ":r": str(roleID), ":true": boolean(true)},
		ConsistentRead:            aws.Bool(true),
	}, func(item map[string]types.AttributeValue) error {
		var h struct{ Type, Email string }
		if err := attributevalue.UnmarshalMap(item, &h); err != nil {
			return err
		}
		out = append(out, role.Holder{Email: h.Email, Kind: h.Type})
		return nil
	})
	return out, err
}

// SetMemberRole changes a member's role, on the condition that they still
// hold fromRole as checked; keepAdmin, when set, must still be an admin, so an
// admin demoting another while being removed cannot leave the company without one.
func (s *Store) SetMemberRole(ctx context.Context, orgID, userID, fromRole, roleID, keepAdmin string, entry audit.Entry) error {
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(orgPK(orgID), memberSK(userID)),
			UpdateExpression:          aws.String("SET #role = :r"),
			ConditionExpression:       aws.String("#role = :from"),
			ExpressionAttributeNames:  map[string]string{"#role": "Role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(roleID), ":from": str(fromRole)},
		}},
		putNew(s.table, newAuditItem(entry)),
	}
	roleAt, adminAt := -1, -1
	if _, builtin := access.BuiltinRoles[roleID]; !builtin {
		roleAt = len(items)
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(orgPK(orgID), roleSK(roleID)), ConditionExpression: aws.String("attribute_exists(PK)"),
		}})
	}
	if keepAdmin != "" {
		adminAt = len(items)
		items = append(items, s.stillAdmin(orgID, keepAdmin))
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case failedAt(reasons, 0):
		return role.ErrMemberChanged
	case roleAt >= 0 && failedAt(reasons, roleAt):
		return role.ErrNotFound
	case adminAt >= 0 && failedAt(reasons, adminAt):
		return role.ErrLastAdmin
	case slices.Contains(reasons, "TransactionConflict"):
		return role.ErrMemberChanged
	}
	return fmt.Errorf("set member role: %w", err)
}

// RemoveMember deletes a membership, on the condition that it still has the
// role it was read with, and raises the account's token version in the same
// transaction so no session token of it outlives the membership. keepAdmin,
// when set, must still be an admin at the moment of the write.
func (s *Store) RemoveMember(ctx context.Context, orgID, userID, roleID, keepAdmin string, entry audit.Entry) error {
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: key(orgPK(orgID), memberSK(userID)),
			ConditionExpression:       aws.String("#role = :r"),
			ExpressionAttributeNames:  map[string]string{"#role": "Role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(roleID)},
		}},
		s.raiseTokenVersion(userID),
		putNew(s.table, newAuditItem(entry)),
	}
	if keepAdmin != "" {
		items = append(items, s.stillAdmin(orgID, keepAdmin))
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case failedAt(reasons, 0):
		return role.ErrMemberChanged
	case failedAt(reasons, 1):
		return identity.ErrUserNotFound
	case failedAt(reasons, 3):
		return role.ErrLastAdmin
	case slices.Contains(reasons, "TransactionConflict"):
		// Another write to the same members is under way: let the caller
		// look again rather than guess which one wins.
		return role.ErrMemberChanged
	}
	return fmt.Errorf("remove member: %w", err)
}

// Members lists a company's members.
func (s *Store) Members(ctx context.Context, orgID string) ([]role.Member, error) {
	return listAs(ctx, s, orgPK(orgID), "MEMBER#", func(it memberItem) role.Member {
		return role.Member{UserID: it.UserID, Email: it.Email, Name: it.Name, Role: it.Role}
	})
}

// Groups and devices ------------------------------------------------------

type groupItem struct {
	PK, SK    string
	Type      string
	ID        string
	OrgID     string
	Name      string
	CreatedAt time.Time
}

type deviceItem struct {
	PK, SK    string
	Type      string
	ID        string
	OrgID     string
	GroupID   string
	Name      string
	CreatedAt time.Time
}

func (it groupItem) group() device.Group {
	return device.Group{ID: it.ID, OrgID: it.OrgID, Name: it.Name, CreatedAt: it.CreatedAt}
}

func (it deviceItem) device() device.Device {
	return device.Device{ID: it.ID, OrgID: it.OrgID, GroupID: it.GroupID, Name: it.Name, CreatedAt: it.CreatedAt}
}

// Group reads a group.
func (s *Store) Group(ctx context.Context, orgID, id string) (device.Group, error) {
	return getAs(ctx, s, orgPK(orgID), groupSK(id), device.ErrGroupNotFound, groupItem.group)
}

// Groups lists a company's groups.
func (s *Store) Groups(ctx context.Context, orgID string) ([]device.Group, error) {
	return listAs(ctx, s, orgPK(orgID), "GROUP#", groupItem.group)
}

// PutGroup creates or renames a group.
func (s *Store) PutGroup(ctx context.Context, g device.Group, create bool, entry audit.Entry) error {
	return s.putWithAudit(ctx, groupItem{PK: orgPK(g.OrgID), SK: groupSK(g.ID), Type: "group", ID: g.ID, OrgID: g.OrgID,
		Name: g.Name, CreatedAt: g.CreatedAt}, create, entry, device.ErrGroupNotFound)
}

// DeleteGroup deletes a group that has no devices. Devices are counted first;
// a device added between the count and the delete would be left in a deleted
// group, which PutDevice's condition on the group prevents for new devices.
func (s *Store) DeleteGroup(ctx context.Context, orgID, id string, entry audit.Entry) error {
	ds, err := s.Devices(ctx, orgID)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.GroupID == id {
			return device.ErrGroupNotEmpty
		}
	}
	return s.deleteWithAudit(ctx, orgPK(orgID), groupSK(id), entry, device.ErrGroupNotFound)
}

// Device reads a device.
func (s *Store) Device(ctx context.Context, orgID, id string) (device.Device, error) {
	return getAs(ctx, s, orgPK(orgID), deviceSK(id), device.ErrDeviceNotFound, deviceItem.device)
}

// Devices lists a company's devices.
func (s *Store) Devices(ctx context.Context, orgID string) ([]device.Device, error) {
	return listAs(ctx, s, orgPK(orgID), "DEVICE#", deviceItem.device)
}

// PutDevice creates or changes a device, on the condition that its group exists.
func (s *Store) PutDevice(ctx context.Context, d device.Device, create bool, entry audit.Entry) error {
	cond := "attribute_exists(PK)"
	if create {
		cond = "attribute_not_exists(PK)"
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, ConditionExpression: aws.String(cond), Item: marshal(deviceItem{
			PK: orgPK(d.OrgID), SK: deviceSK(d.ID), Type: "device", ID: d.ID, OrgID: d.OrgID, GroupID: d.GroupID,
			Name: d.Name, CreatedAt: d.CreatedAt})}},
		{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: key(orgPK(d.OrgID), groupSK(d.GroupID)),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
		putNew(s.table, newAuditItem(entry)),
	}})
	reasons := cancelReasons(err)
	switch {
	case err == nil:
		return nil
	case failedAt(reasons, 0):
		return device.ErrDeviceNotFound
	case failedAt(reasons, 1):
		return device.ErrGroupNotFound
	}
	return fmt.Errorf("put device: %w", err)
}

// DeleteDevice deletes a device.
func (s *Store) DeleteDevice(ctx context.Context, orgID, id string, entry audit.Entry) error {
	return s.deleteWithAudit(ctx, orgPK(orgID), deviceSK(id), entry, device.ErrDeviceNotFound)
}

// AddAudit writes one audit entry.
func (s *Store) AddAudit(ctx context.Context, entry audit.Entry) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(newAuditItem(entry)),
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// stillAdmin is a transaction's condition that userID is an admin of orgID
// at the moment of the write, so no change leaves a company without one.
func (s *Store) stillAdmin(orgID, userID string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(orgPK(orgID), memberSK(userID)),
		ConditionExpression:       aws.String("#role = :admin"),
		ExpressionAttributeNames:  map[string]string{"#role": "Role"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":admin": str(access.RoleAdmin)},
	}}
}
