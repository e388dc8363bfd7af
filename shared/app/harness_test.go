package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/allinone"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/smscapture"
	"github.com/guestbridge/guestbridge/shared/store"
)

// stack is the DynamoDB Local and SES emulator pair shared by the package's tests.
var stack *devstack.Stack

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s, err := devstack.Start(ctx, devstack.Options{S3: true, S3Buckets: []string{testBucket}})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local stack:", err)
		os.Exit(1)
	}
	stack = s
	code := m.Run()
	stack.Close()
	os.Exit(code)
}

const testPassword = "correct horse battery"

// testBucket is the attachments bucket of the S3 emulator the tests share;
// object keys carry the org id, and each env has its own orgs.
const testBucket = "guestbridge-test-attachments"

var tableSeq atomic.Int64

// parallelTests remembers the tests runBeside has made parallel: a test may
// build more than one env, and t.Parallel may be called only once.
var parallelTests sync.Map

// runBeside lets the test run beside the package's other tests when
// GB_TEST_PARALLEL=1: each env has its own table, clock, SMS capture,
// servers and addresses. It is off by default: under `make test` the
// package shares the two cores with the relay's timing-sensitive tests
// (media-task/netsim, the live relay tests here), which then miss their
// deadlines now and then.
func runBeside(t *testing.T) {
	if os.Getenv("GB_TEST_PARALLEL") == "" {
		return
	}
	if _, seen := parallelTests.LoadOrStore(t, true); !seen {
		t.Parallel()
	}
}

// contractAlways is the test whose envs check the OpenAPI contract
// whatever GB_OPENAPI_VALIDATE says (no t.Setenv: it cannot be used in a
// parallel test).
var contractAlways atomic.Pointer[testing.T]

// env is one isolated Guestbridge: its own table, clock, SMS capture and API server.
type env struct {
	t     *testing.T
	app   *allinone.System
	srv   *httptest.Server
	clock *clock.Manual
	sms   *smscapture.Capture
	db    *dynamodb.Client
	table string
	org   string // the host company, "acme"
	tag   string // makes emails unique across tests sharing the SES emulator
	relay *fakeRelay
}

type envOption func(*config.Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	runBeside(t)
	e := &env{t: t, clock: clock.NewManual(time.Now().UTC().Truncate(time.Second)), sms: smscapture.New(time.Now)}
	e.table = fmt.Sprintf("gb_%d_%d", time.Now().UnixNano(), tableSeq.Add(1))
	e.tag = strings.TrimPrefix(e.table, "gb_")
	smsSrv := httptest.NewServer(e.sms)
	t.Cleanup(smsSrv.Close)
	e.app = e.build(smsSrv.URL, opts...)
	e.db = e.app.Store.DB()
	ctx := context.Background()
	if err := store.CreateTable(ctx, e.db, e.table); err != nil {
		t.Fatal(err)
	}
	e.org = "acme"
	must(t, e.app.SeedOrg(ctx, "acme", "Acme Support", []app.DemoAccount{
		{Email: e.email("admin"), Name: "Ann Admin", Role: "admin"},
		{Email: e.email("tech"), Name: "Tim Tech", Role: "technician"},
	}, testPassword))
	must(t, e.app.SeedOrg(ctx, "other", "Other Corp", []app.DemoAccount{
		{Email: e.email("otheradmin"), Name: "Oscar Other", Role: "admin"},
	}, testPassword))
	e.srv = httptest.NewServer(checkContract(t, e.app.Handler(), contractAlways.Load() == t))
	t.Cleanup(e.srv.Close)
	e.relay = newFakeRelay(t, e.app.Minter.PublicKey())
	e.registerRelay("task-1", e.relay.signalURL(), 0)
	return e
}

// build wires an App on this env's table; options change its configuration
// (a broken SES endpoint, say).
func (e *env) build(smsURL string, opts ...envOption) *allinone.System {
	cfg := config.Config{
		Table: e.table, PublicURL: "http://guestbridge.test", MailFrom: "no-reply@guestbridge.test",
		Secret: bytes.Repeat([]byte{7}, 32), MaxGuestDays: 365, ReminderDays: 3, InvitesPerHour: 1000, RedeemsPerMinute: 60, Region: "eu-central-1",
		DynamoDBEndpoint: stack.DynamoDBEndpoint, SESEndpoint: stack.SESEndpoint, SNSEndpoint: smsURL,
		S3Endpoint: stack.S3Endpoint, AttachmentsBucket: testBucket,
	}
	for _, o := range opts {
		o(&cfg)
	}
	var logTo io.Writer = io.Discard
	if os.Getenv("GB_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	quiet := slog.New(slog.NewJSONHandler(logTo, nil))
	a, err := allinone.New(context.Background(), cfg, e.clock, quiet)
	must(e.t, err)
	return a
}

func (e *env) email(who string) string { return fmt.Sprintf("%s-%s@example.test", who, e.tag) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// resp is a decoded API answer.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r resp) code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (r resp) field() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		s, _ := e["field"].(string)
		return s
	}
	return ""
}

func (r resp) str(path ...string) string {
	var v any = r.Body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// call sends a request; body may be a string (sent as is) or a value (JSON).
func (e *env) call(method, path, token string, body any) resp {
	e.t.Helper()
	return e.do(e.request(method, path, token, body))
}

// request builds a request to the API.
func (e *env) request(method, path, token string, body any) *http.Request {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		must(e.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	must(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// do sends a request and decodes the answer.
func (e *env) do(req *http.Request) resp {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

func (e *env) expect(r resp, status int, code string) {
	e.t.Helper()
	if r.Status != status || (code != "" && r.code() != code) {
		e.t.Fatalf("got %d %s, want %d %s: %s", r.Status, r.code(), status, code, r.Raw)
	}
}

func (e *env) login(email string) string {
	e.t.Helper()
	r := e.call("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": testPassword})
	e.expect(r, 200, "")
	return r.str("token")
}

func (e *env) createCase(token, title string) string {
	e.t.Helper()
	r := e.call("POST", "/v1/orgs/"+e.org+"/cases", token, map[string]string{"title": title})
	e.expect(r, 201, "")
	return r.str("id")
}

// invite invites a guest by email (and SMS if phone is set) for days.
func (e *env) invite(token, who, phone, caseID string, days int) resp {
	e.t.Helper()
	body := map[string]any{"email": e.email(who), "name": "Guest " + who, "caseId": caseID, "period": map[string]int{"days": days}}
	if phone != "" {
		body["phone"] = phone
		body["channels"] = []string{"email", "sms"}
	}
	r := e.call("POST", "/v1/orgs/"+e.org+"/guests", token, body)
	e.expect(r, 201, "")
	return r
}

func (e *env) deliver() {
	e.t.Helper()
	if _, err := e.app.Sender.DeliverDue(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

var linkRe = regexp.MustCompile(`http://guestbridge\.test/invite#([A-Za-z0-9_-]+)`)

// emailLink reads the newest invitation link sent to addr from the SES emulator.
func (e *env) emailLink(addr string) string {
	e.t.Helper()
	mails, err := sesEmails()
	must(e.t, err)
	for i := len(mails) - 1; i >= 0; i-- {
		m := mails[i]
		if len(m.Destination.To) > 0 && m.Destination.To[0] == addr {
			if mm := linkRe.FindStringSubmatch(m.Body.Text); mm != nil {
				return mm[1]
			}
		}
	}
	e.t.Fatalf("no invitation email to %s in the SES emulator", addr)
	return ""
}

// mailsTo lists the subjects of the emails sent to addr.
func (e *env) mailsTo(addr string) []string {
	e.t.Helper()
	mails, err := devstack.SESEmails(context.Background(), stack.SESEndpoint)
	must(e.t, err)
	var out []string
	for _, m := range mails {
		if len(m.Destination.To) > 0 && m.Destination.To[0] == addr {
			out = append(out, m.Subject)
		}
	}
	return out
}

func (e *env) smsLink(phone string) string {
	e.t.Helper()
	msgs := e.sms.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == phone {
			if mm := linkRe.FindStringSubmatch(msgs[i].Body); mm != nil {
				return mm[1]
			}
		}
	}
	e.t.Fatalf("no SMS to %s captured", phone)
	return ""
}

// scan returns every item of the table.
func (e *env) scan() []map[string]types.AttributeValue {
	e.t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(e.db, &dynamodb.ScanInput{TableName: aws.String(e.table)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		must(e.t, err)
		out = append(out, page.Items...)
	}
	return out
}

func (e *env) item(pk, sk string) map[string]types.AttributeValue {
	e.t.Helper()
	res, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
	})
	must(e.t, err)
	return res.Item
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// guestIn returns the guest with id from a guest list answer.
func guestIn(r resp, id string) map[string]any {
	list, _ := r.Body["guests"].([]any)
	for _, g := range list {
		m, _ := g.(map[string]any)
		if m["id"] == id {
			return m
		}
	}
	return nil
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sesEmails() ([]devstack.Email, error) {
	return devstack.SESEmails(context.Background(), stack.SESEndpoint)
}
