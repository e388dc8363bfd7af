package smscapture

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

var fixedNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))

// server serves c as an SNS endpoint and counts the requests it gets.
func server(t *testing.T, c *Capture) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		c.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// client returns the real SNS client pointed at endpoint, making at most attempts attempts per
// call with short backoff.
func client(endpoint string, attempts int) *sns.Client {
	return sns.New(sns.Options{
		Region:       "eu-central-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.NewExponentialJitterBackoff(20 * time.Millisecond)
		}),
	})
}

// smsInput is a Publish of an SMS as the sender sends it, with SMS attributes.
func smsInput(phone, message string) *sns.PublishInput {
	return &sns.PublishInput{
		PhoneNumber: aws.String(phone),
		Message:     aws.String(message),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"AWS.SNS.SMS.SenderID": {DataType: aws.String("String"), StringValue: aws.String("Guestbrdg")},
			"AWS.SNS.SMS.SMSType":  {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
		},
	}
}

func TestPublishWithSDKIsCaptured(t *testing.T) {
	c := New(func() time.Time { return fixedNow })
	srv, _ := server(t, c)
	cl := client(srv.URL, 1)

	first, err := cl.Publish(t.Context(), smsInput("+4915112345678", "Your link: http://localhost:8080/s/abc"))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	second, err := cl.Publish(t.Context(), smsInput("+14155550100", "second"))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(aws.ToString(first.MessageId)) || aws.ToString(first.MessageId) == aws.ToString(second.MessageId) {
		t.Errorf("message ids %q, %q: want distinct UUIDs", aws.ToString(first.MessageId), aws.ToString(second.MessageId))
	}

	want := []SMS{
		{To: "+4915112345678", Body: "Your link: http://localhost:8080/s/abc", SentAt: fixedNow.UTC()},
		{To: "+14155550100", Body: "second", SentAt: fixedNow.UTC()},
	}
	got := c.Messages()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Messages = %v, want %v", got, want)
	}
	got[0].Body = "changed"
	if c.Messages()[0].Body != want[0].Body {
		t.Error("Messages returned the Capture's own slice")
	}
}

func TestPublishErrorsReachTheSDK(t *testing.T) {
	c := New(nil)
	srv, _ := server(t, c)
	cl := client(srv.URL, 1)

	tests := []struct {
		name        string
		input       *sns.PublishInput
		wantMessage string
	}{
		{"no phone number", &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:eu-central-1:123456789012:t"), Message: aws.String("hi")}, "PhoneNumber"},
		{"phone not E.164", smsInput("0151 1234 5678", "hi"), "not valid to publish to"},
		{"empty message", smsInput("+4915112345678", ""), "Empty message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cl.Publish(t.Context(), tt.input)
			var invalid *types.InvalidParameterException
			if !errors.As(err, &invalid) {
				t.Fatalf("err = %v, want InvalidParameterException", err)
			}
			if !strings.Contains(invalid.ErrorMessage(), tt.wantMessage) {
				t.Errorf("message %q lacks %q", invalid.ErrorMessage(), tt.wantMessage)
			}
			if status := httpStatus(err); status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", status)
			}
		})
	}

	t.Run("other action", func(t *testing.T) {
		_, err := cl.ListTopics(t.Context(), &sns.ListTopicsInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameter" || !strings.Contains(apiErr.ErrorMessage(), "ListTopics") {
			t.Fatalf("err = %v, want InvalidParameter naming ListTopics", err)
		}
		if status := httpStatus(err); status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", status)
		}
	})

	if n := len(c.Messages()); n != 0 {
		t.Errorf("captured %d messages from failed calls", n)
	}
}

func httpStatus(err error) int {
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) {
		return 0
	}
	return respErr.HTTPStatusCode()
}

func TestFailNextWithoutRetrySurfacesInternalError(t *testing.T) {
	c := New(nil)
	srv, requests := server(t, c)
	cl := client(srv.URL, 1)

	c.FailNext(1)
	_, err := cl.Publish(t.Context(), smsInput("+4915112345678", "lost"))
	var internal *types.InternalErrorException
	if !errors.As(err, &internal) {
		t.Fatalf("err = %v, want InternalErrorException", err)
	}
	if status := httpStatus(err); status != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", status)
	}
	if requests.Load() != 1 || len(c.Messages()) != 0 {
		t.Fatalf("requests = %d, messages = %d; want 1 request and nothing captured", requests.Load(), len(c.Messages()))
	}

	if _, err := cl.Publish(t.Context(), smsInput("+4915112345678", "delivered")); err != nil {
		t.Fatalf("Publish after the injected failure: %v", err)
	}
	if got := c.Messages(); len(got) != 1 || got[0].Body != "delivered" {
		t.Errorf("Messages = %v, want only the second", got)
	}
}

func TestSDKRetriesInjectedFailures(t *testing.T) {
	t.Run("recovers within its attempts", func(t *testing.T) {
		c := New(nil)
		srv, requests := server(t, c)
		c.FailNext(2)
		if _, err := client(srv.URL, 3).Publish(t.Context(), smsInput("+4915112345678", "third time")); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if requests.Load() != 3 {
			t.Errorf("requests = %d, want 3 (two failures, one success)", requests.Load())
		}
		if got := c.Messages(); len(got) != 1 || got[0].Body != "third time" {
			t.Errorf("Messages = %v, want exactly one", got)
		}
	})

	t.Run("gives up after its attempts", func(t *testing.T) {
		c := New(nil)
		srv, requests := server(t, c)
		c.FailNext(5)
		_, err := client(srv.URL, 3).Publish(t.Context(), smsInput("+4915112345678", "never"))
		var internal *types.InternalErrorException
		if !errors.As(err, &internal) {
			t.Fatalf("err = %v, want InternalErrorException", err)
		}
		if requests.Load() != 3 || len(c.Messages()) != 0 {
			t.Errorf("requests = %d, messages = %d; want 3 and 0", requests.Load(), len(c.Messages()))
		}
		c.FailNext(0)
		if _, err := client(srv.URL, 1).Publish(t.Context(), smsInput("+4915112345678", "after reset")); err != nil {
			t.Errorf("Publish after FailNext(0): %v", err)
		}
	})
}

func TestServeHTTPAnswersQueryAPIXML(t *testing.T) {
	c := New(nil)
	form := url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"}, "PhoneNumber": {"+4915112345678"}, "Message": {"a < b & c"}}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)

	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/xml") {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{
		`<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">`,
		"<PublishResult>", "<MessageId>", "<ResponseMetadata>",
		"<RequestId>" + rec.Header().Get("X-Amzn-Requestid") + "</RequestId>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %q:\n%s", want, body)
		}
	}
	if got := c.Messages(); len(got) != 1 || got[0].Body != "a < b & c" {
		t.Errorf("Messages = %v", got)
	}

	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?Action=Publish", nil))
	if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), "<ErrorResponse") {
		t.Errorf("GET: status %d, body %s", rec.Code, rec.Body)
	}
}

func TestListHandlerServesJSON(t *testing.T) {
	c := New(func() time.Time { return fixedNow })
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		c.ListHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_local/sms", nil))
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		return rec.Code, strings.TrimSpace(rec.Body.String())
	}
	if code, body := get(); code != http.StatusOK || body != "[]" {
		t.Fatalf("empty list: %d %s", code, body)
	}
	publish(t, c, "+4915112345678", "one")
	publish(t, c, "+4915112345679", "two")
	_, body := get()
	want := `[{"to":"+4915112345678","body":"one","sentAt":"2026-03-14T14:09:26Z"},{"to":"+4915112345679","body":"two","sentAt":"2026-03-14T14:09:26Z"}]`
	if body != want {
		t.Errorf("list = %s\nwant   %s", body, want)
	}
	var decoded []SMS
	if err := json.Unmarshal([]byte(body), &decoded); err != nil || len(decoded) != 2 || !decoded[1].SentAt.Equal(fixedNow) {
		t.Errorf("decoded = %v, %v", decoded, err)
	}
}

// publish captures one message through ServeHTTP, failing the test unless it is accepted.
func publish(t *testing.T, c *Capture, phone, message string) {
	t.Helper()
	form := url.Values{"Action": {"Publish"}, "PhoneNumber": {phone}, "Message": {message}}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
}

func TestPageHandlerListsNewestFirstWithLinks(t *testing.T) {
	c := New(nil)
	publish(t, c, "+4915112345678", "older message")
	publish(t, c, "+4915112345679", "<script>alert(1)</script> Join: https://app.test/s/a?x=1&y=2. Thanks")

	srv := httptest.NewServer(c.PageHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<meta http-equiv="refresh"`,
		"Captured SMS (2)",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`<a href="https://app.test/s/a?x=1&amp;y=2">https://app.test/s/a?x=1&amp;y=2</a>. Thanks`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if !strings.Contains(html.UnescapeString(page), "<strong>+4915112345679</strong>") {
		t.Errorf("page lacks the recipient:\n%s", page)
	}
	if strings.Contains(page, "<script>") {
		t.Error("page contains an unescaped script tag")
	}
	if newer, older := strings.Index(page, "Join:"), strings.Index(page, "older message"); newer < 0 || older < 0 || newer > older {
		t.Errorf("newest message is not first (at %d, older at %d)", newer, older)
	}

	empty := httptest.NewRecorder()
	New(nil).PageHandler().ServeHTTP(empty, httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(empty.Body.String(), "No SMS captured yet") {
		t.Errorf("empty page: %s", empty.Body)
	}
}

func TestLinkify(t *testing.T) {
	tests := []struct {
		body string
		want []part
	}{
		{"no links", []part{{Text: "no links"}}},
		{"http://a.test/x", []part{{Text: "http://a.test/x", URL: "http://a.test/x"}}},
		{"(see https://a.test/p), ok", []part{{Text: "(see "}, {Text: "https://a.test/p", URL: "https://a.test/p"}, {Text: "), ok"}}},
		{"a https://1.test b http://2.test", []part{{Text: "a "}, {Text: "https://1.test", URL: "https://1.test"}, {Text: " b "}, {Text: "http://2.test", URL: "http://2.test"}}},
		{"javascript:alert(1)", []part{{Text: "javascript:alert(1)"}}},
	}
	for _, tt := range tests {
		if got := linkify(tt.body); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("linkify(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(nil)
	srv, _ := server(t, c)
	cl := client(srv.URL, 1)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := cl.Publish(t.Context(), smsInput(fmt.Sprintf("+491511234%04d", i), fmt.Sprintf("message %d", i))); err != nil {
				errs <- err
			}
			_ = c.Messages()
			rec := httptest.NewRecorder()
			c.PageHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(c.Messages()); got != n {
		t.Errorf("captured %d messages, want %d", got, n)
	}
}
