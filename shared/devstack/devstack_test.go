package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

const region = "eu-central-1"

var localCreds = credentials.NewStaticCredentialsProvider("local", "local", "")

// startStack starts a stack for one test and stops it when the test ends.
func startStack(t *testing.T, o Options) *Stack {
	t.Helper()
	if o.Progress == nil {
		o.Progress = t.Output()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func dynamoClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  localCreds,
	})
}

func sesClient(endpoint string) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  localCreds,
	})
}

func createTable(t *testing.T, db *dynamodb.Client, name string) {
	t.Helper()
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: ddbtypes.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

func itemKey(pk, sk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"PK": &ddbtypes.AttributeValueMemberS{Value: pk},
		"SK": &ddbtypes.AttributeValueMemberS{Value: sk},
	}
}

func putItem(t *testing.T, db *dynamodb.Client, table, pk, sk, name string) {
	t.Helper()
	item := itemKey(pk, sk)
	item["name"] = &ddbtypes.AttributeValueMemberS{Value: name}
	if _, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

// getName reads the name attribute of an item; it fails the test when the item is missing.
func getName(t *testing.T, db *dynamodb.Client, table, pk, sk string) string {
	t.Helper()
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            itemKey(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if out.Item == nil {
		t.Fatalf("GetItem %s/%s: no item", pk, sk)
	}
	name, ok := out.Item["name"].(*ddbtypes.AttributeValueMemberS)
	if !ok {
		t.Fatalf("GetItem %s/%s: name is %T", pk, sk, out.Item["name"])
	}
	return name.Value
}

// processGone reports whether no process of the group pgid is left, zombies aside.
func processGone(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	if errors.Is(err, syscall.ESRCH) {
		return true
	}
	// A zombie still counts for kill(2); it has stopped all the same.
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pgid), "stat"))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	_, after, ok := strings.Cut(string(stat), ") ")
	return ok && strings.HasPrefix(after, "Z")
}

// waitGone waits until processGone(pgid), failing the test after limit.
func waitGone(t *testing.T, pgid int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !processGone(pgid) {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still running after %s", pgid, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStackServesDynamoDBAndSES(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	s := startStack(t, Options{})
	if !strings.HasPrefix(s.DynamoDBEndpoint, "http://127.0.0.1:") || !strings.HasPrefix(s.SESEndpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoints = %q, %q", s.DynamoDBEndpoint, s.SESEndpoint)
	}
	if len(s.children) != 2 {
		t.Fatalf("children = %d, want 2", len(s.children))
	}

	t.Run("DynamoDB", func(t *testing.T) {
		db := dynamoClient(s.DynamoDBEndpoint)
		createTable(t, db, "guestbridge")
		putItem(t, db, "guestbridge", "ORG#1", "GUEST#1", "Ada")
		if got := getName(t, db, "guestbridge", "ORG#1", "GUEST#1"); got != "Ada" {
			t.Errorf("name = %q, want Ada", got)
		}
	})

	t.Run("SES", func(t *testing.T) {
		ses := sesClient(s.SESEndpoint)
		before := time.Now().Add(-time.Second).Truncate(time.Second)
		out, err := ses.SendEmail(t.Context(), &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("no-reply@guestbridge.test"),
			ReplyToAddresses: []string{"support@guestbridge.test"},
			Destination: &sestypes.Destination{
				ToAddresses: []string{"guest@example.test", "second@example.test"},
				CcAddresses: []string{"cc@example.test"},
			},
			Content: &sestypes.EmailContent{Simple: &sestypes.Message{
				Subject: &sestypes.Content{Data: aws.String("You are invited")},
				Body: &sestypes.Body{
					Html: &sestypes.Content{Data: aws.String(`<p>Open <a href="http://localhost:8080/i/abc">your invitation</a></p>`)},
					Text: &sestypes.Content{Data: aws.String("Open http://localhost:8080/i/abc")},
				},
			}},
		})
		if err != nil {
			t.Fatalf("SendEmail: %v", err)
		}
		emails, err := SESEmails(t.Context(), s.SESEndpoint)
		if err != nil {
			t.Fatalf("SESEmails: %v", err)
		}
		i := slices.IndexFunc(emails, func(e Email) bool { return e.MessageID == aws.ToString(out.MessageId) })
		if i < 0 {
			t.Fatalf("email %q not in store: %+v", aws.ToString(out.MessageId), emails)
		}
		e := emails[i]
		if e.From != "no-reply@guestbridge.test" || e.Subject != "You are invited" ||
			!slices.Equal(e.Destination.To, []string{"guest@example.test", "second@example.test"}) ||
			!slices.Equal(e.Destination.Cc, []string{"cc@example.test"}) ||
			len(e.Destination.Bcc) != 0 ||
			!slices.Equal(e.ReplyTo, []string{"support@guestbridge.test"}) ||
			!strings.Contains(e.Body.HTML, `href="http://localhost:8080/i/abc"`) ||
			e.Body.Text != "Open http://localhost:8080/i/abc" {
			t.Errorf("stored email = %+v", e)
		}
		if at := e.SentAt(); at.Before(before) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("SentAt = %v, want about now", at)
		}

		// Email must model every field the emulator stores.
		raw := rawStore(t, s.SESEndpoint)
		t.Logf("GET /store: %s", raw)
		var store struct {
			Emails []map[string]json.RawMessage `json:"emails"`
		}
		if err := json.Unmarshal(raw, &store); err != nil {
			t.Fatalf("decode store: %v", err)
		}
		known := []string{"messageId", "from", "replyTo", "destination", "subject", "body", "attachments", "headers", "at"}
		for _, email := range store.Emails {
			for key := range email {
				if !slices.Contains(known, key) {
					t.Errorf("emulator stores field %q that Email does not have", key)
				}
			}
		}
	})

	pids := []int{s.children[0].pid, s.children[1].pid}
	for _, pid := range pids {
		if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
			t.Errorf("child %d: process group %d (%v), want its own", pid, pgid, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("process group %d still running after Close", pid)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The goroutines that waited for the children are gone, and so are the clients'
	// connections, closed by the stopped servers.
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > goroutines {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before Start:\n%s", runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func rawStore(t *testing.T, endpoint string) []byte {
	t.Helper()
	resp, err := http.Get(endpoint + "/store")
	if err != nil {
		t.Fatalf("GET /store: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET /store: %v", err)
	}
	return body
}

func TestDataDirKeepsItemsAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "dynamodb")

	first := startStack(t, Options{SESPort: -1, DataDir: dir})
	if first.SESEndpoint != "" || len(first.children) != 1 {
		t.Fatalf("SES started although SESPort is -1: %q, %d children", first.SESEndpoint, len(first.children))
	}
	db := dynamoClient(first.DynamoDBEndpoint)
	createTable(t, db, "guestbridge")
	putItem(t, db, "guestbridge", "ORG#1", "GUEST#7", "Grace")
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "shared-local-instance.db")); err != nil {
		t.Fatalf("no database file in the data dir: %v", err)
	}

	second := startStack(t, Options{SESPort: -1, DataDir: dir})
	db = dynamoClient(second.DynamoDBEndpoint)
	if got := getName(t, db, "guestbridge", "ORG#1", "GUEST#7"); got != "Grace" {
		t.Errorf("name after restart = %q, want Grace", got)
	}
}

func TestStartWithoutToolsSaysMakeDeps(t *testing.T) {
	_, err := start(t.Context(), Options{}, t.TempDir())
	if !errors.Is(err, ErrToolsMissing) || !strings.Contains(err.Error(), "make deps") {
		t.Fatalf("err = %v, want ErrToolsMissing telling to run make deps", err)
	}
}

func TestStartOnBusyPortFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(t.Context(), Options{DynamoDBPort: port, SESPort: -1})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("err = %v, want port in use", err)
	}
}

func TestStartRejectsInvalidPorts(t *testing.T) {
	for _, o := range []Options{{DynamoDBPort: -1}, {DynamoDBPort: 70000}, {SESPort: -2}} {
		if _, err := Start(t.Context(), o); err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("Start(%+v) err = %v, want invalid port", o, err)
		}
	}
}

func TestWaitReadyReportsEarlyExitWithOutput(t *testing.T) {
	c, err := startChild("failing", "sh", []string{"-c", "echo starting; echo 'boom: bad config' >&2; exit 3"}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = waitReady(t.Context(), c, "http://127.0.0.1:1/", func(int) bool { return true }, time.Minute)
	if err == nil {
		t.Fatal("waitReady: no error")
	}
	for _, want := range []string{"failing exited before it was ready", "exit status 3", "boom: bad config", "starting"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestWaitReadyTimesOutAndCloseStopsChild(t *testing.T) {
	c, err := startChild("sleeper", "sh", []string{"-c", "echo still starting; exec sleep 300"}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = waitReady(t.Context(), c, "http://127.0.0.1:1/", func(int) bool { return true }, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("err = %v, want did not answer", err)
	}
	if err := stopChildren([]*child{c}); err != nil {
		t.Fatalf("stopChildren: %v", err)
	}
	if !c.exited() || !processGone(c.pid) {
		t.Fatalf("child %d still running", c.pid)
	}
}

func TestTailBufferKeepsLastLinesWithoutStackFrames(t *testing.T) {
	b := &tailBuffer{max: 1 << 10}
	for range 200 {
		_, _ = b.Write([]byte("noise line that pushes old output out\n"))
	}
	_, _ = b.Write([]byte("Exception in thread \"main\" java.io.IOException: Failed to bind\n" +
		"\tat org.eclipse.jetty.server.ServerConnector.open(ServerConnector.java:313)\n" +
		"Caused by: java.net.BindException: Address already in use\n" +
		"\t... 16 more\n"))
	if len(b.buf) > 1<<10 {
		t.Errorf("buffer holds %d bytes, want at most %d", len(b.buf), 1<<10)
	}
	got := b.lastLines(3)
	want := "; last output (2 stack frame lines left out):\n    noise line that pushes old output out\n" +
		"    Exception in thread \"main\" java.io.IOException: Failed to bind\n" +
		"    Caused by: java.net.BindException: Address already in use"
	if got != want {
		t.Errorf("lastLines =\n%s\nwant\n%s", got, want)
	}
	if (&tailBuffer{max: 10}).lastLines(3) != "" {
		t.Error("lastLines of no output is not empty")
	}
}

func TestRepoRootFindsThisModule(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || goModModule(data) != modulePath {
		t.Fatalf("RepoRoot = %s: go.mod module %q (%v)", root, goModModule(data), err)
	}
	if _, err := os.Stat(filepath.Join(root, "shared", "devstack")); err != nil {
		t.Errorf("RepoRoot = %s has no shared/devstack: %v", root, err)
	}
}
