package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/audit"
)

// Store is the DynamoDB adapter.
type Store struct {
	db    *dynamodb.Client
	table string
}

// New returns a store on table through db.
func New(db *dynamodb.Client, table string) *Store {
	return &Store{db: db, table: table}
}

// errNoItem reports a GetItem that found nothing; callers turn it into their
// own domain error.
var errNoItem = errors.New("store: no such item")

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

func (s *Store) get(ctx context.Context, pk, sk string, out any) error {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", pk, sk, err)
	}
	if res.Item == nil {
		return errNoItem
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s/%s: %w", pk, sk, err)
	}
	return nil
}

func marshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) {
		o.OmitEmptyTime = true
		// Times are written fixed-width in UTC so that string comparisons in
		// condition and key expressions order them correctly.
		o.EncodeTime = func(t time.Time) (types.AttributeValue, error) { return str(sortableTime(t)), nil }
	})
	if err != nil {
		// Items are our own structs; a failure is a programming error that
		// tests catch, not an input problem.
		panic(fmt.Sprintf("store: marshal %T: %v", v, err))
	}
	return m
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func boolean(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
}

func putNew(table string, item any) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:           &table,
		Item:                marshal(item),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}
}

// cancelReasons returns the per-item cancellation codes of a cancelled
// transaction ("None", "ConditionalCheckFailed", ...), or nil.
func cancelReasons(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	out := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		out[i] = aws.ToString(r.Code)
	}
	return out
}

// failedAt reports whether item i of a cancelled transaction failed its condition.
func failedAt(reasons []string, i int) bool {
	return i < len(reasons) && reasons[i] == "ConditionalCheckFailed"
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// queryAll runs a query and follows pagination.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput, each func(map[string]types.AttributeValue) error) error {
	in.TableName = &s.table
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		for _, it := range page.Items {
			if err := each(it); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) queryPrefix(ctx context.Context, pk, skPrefix string, each func(map[string]types.AttributeValue) error) error {
	return s.queryAll(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pk), ":p": str(skPrefix),
		},
		ConsistentRead: aws.Bool(true),
	}, each)
}

// CreateTable creates the table with the layout the CDK app deploys, for
// DynamoDB Local. An existing table is left as it is.
func CreateTable(ctx context.Context, db *dynamodb.Client, table string) error {
	attr := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	gsi := func(name string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(name + "PK"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(name + "SK"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   &table,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			attr("PK"), attr("SK"), attr("GSI1PK"), attr("GSI1SK"), attr("GSI2PK"), attr("GSI2SK"), attr("GSI3PK"), attr("GSI3SK"),
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi(index1), gsi(index2), gsi(index3)},
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage,
		},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(db)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", table, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)},
	})
	if err != nil && !strings.Contains(err.Error(), "already enabled") {
		return fmt.Errorf("enable ttl on %s: %w", table, err)
	}
	return nil
}

// DB returns the DynamoDB client, for tests and tools that inspect the table.
func (s *Store) DB() *dynamodb.Client { return s.db }

// getAs reads one item as T and converts it; notFound is returned when the
// item does not exist.
func getAs[T, R any](ctx context.Context, s *Store, pk, sk string, notFound error, conv func(T) R) (R, error) {
	var it T
	var zero R
	if err := s.get(ctx, pk, sk, &it); err != nil {
		if errors.Is(err, errNoItem) {
			return zero, notFound
		}
		return zero, err
	}
	return conv(it), nil
}

// listAs reads the items of one partition whose sort key starts with prefix,
// as T, converted.
func listAs[T, R any](ctx context.Context, s *Store, pk, prefix string, conv func(T) R) ([]R, error) {
	var out []R
	err := s.queryPrefix(ctx, pk, prefix, func(item map[string]types.AttributeValue) error {
		var it T
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out = append(out, conv(it))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s %s: %w", pk, prefix, err)
	}
	return out, nil
}

// updateWithAudit applies one update to an existing item and writes an audit
// entry, together; notFound is returned when the item does not exist.
func (s *Store) updateWithAudit(ctx context.Context, pk, sk, expr string, names map[string]string, values map[string]types.AttributeValue, entry audit.Entry, notFound error) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(pk, sk), UpdateExpression: aws.String(expr),
			ConditionExpression: aws.String("attribute_exists(PK)"), ExpressionAttributeNames: names,
			ExpressionAttributeValues: values,
		}},
		putNew(s.table, newAuditItem(entry)),
	}})
	if failedAt(cancelReasons(err), 0) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("update %s/%s: %w", pk, sk, err)
	}
	return nil
}

// transact writes items in one transaction. When the first item's condition
// fails, ifFirstFails is returned: by convention the first item carries the
// condition the caller's domain explains (exists, changed, ended).
func (s *Store) transact(ctx context.Context, op string, items []types.TransactWriteItem, ifFirstFails error) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failedAt(cancelReasons(err), 0) {
		return ifFirstFails
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
