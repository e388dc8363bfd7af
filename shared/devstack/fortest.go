package devstack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DynamoDBForTest starts DynamoDB Local alone for one test and returns a
// client on it; the stack stops when the test ends. The test is skipped with
// -short, or when the local tools are not installed (`make deps`).
func DynamoDBForTest(t testing.TB) *dynamodb.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stack, err := Start(ctx, Options{SESPort: -1})
	if errors.Is(err, ErrToolsMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Close() })
	return dynamodb.New(dynamodb.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(stack.DynamoDBEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}
