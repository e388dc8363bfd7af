// Package smscapture is a local stand-in for Amazon SNS SMS: it speaks the SNS Query API
// Publish action, so the real aws-sdk-go-v2 SNS client publishes to it (point the client's
// BaseEndpoint, or AWS_ENDPOINT_URL_SNS, at where the Capture is served), and it keeps the texts
// it receives for a JSON list and a small inbox page.
//
// Like SNS it accepts only direct SMS publishes (PhoneNumber in E.164 form and a non-empty
// Message) and answers everything else with the SNS XML error format, so mistakes surface
// locally as the SDK errors they would be in AWS.
package smscapture

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// xmlns is the namespace of SNS Query API responses.
const xmlns = "https://sns.amazonaws.com/doc/2010-03-31/"

// maxRequestBytes bounds a request body; SNS allows messages up to 256 KiB.
const maxRequestBytes = 1 << 20

// e164 matches a phone number as SNS accepts it for SMS.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// SMS is one captured text message.
type SMS struct {
	To     string    `json:"to"`
	Body   string    `json:"body"`
	SentAt time.Time `json:"sentAt"`
}

// Capture receives SNS Publish calls and keeps the SMS they carry. It is safe for concurrent
// use; the zero value is not usable, call New.
type Capture struct {
	now func() time.Time

	mu       sync.Mutex
	messages []SMS
	failNext int
}

// New returns an empty Capture that stamps messages with now (time.Now when nil).
func New(now func() time.Time) *Capture {
	if now == nil {
		now = time.Now
	}
	return &Capture{now: now}
}

// FailNext makes the next n Publish calls answer 500 InternalError without capturing anything,
// as SNS does when it has a transient fault; the SDK retries such answers. n <= 0 clears it.
func (c *Capture) FailNext(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failNext = max(n, 0)
}

// Messages returns a copy of the captured messages, oldest first (empty, not nil, when there
// are none).
func (c *Capture) Messages() []SMS {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]SMS, len(c.messages))
	copy(out, c.messages)
	return out
}

// ServeHTTP answers one SNS Query API request: a POST form with Action=Publish, PhoneNumber
// and Message (MessageAttributes such as AWS.SNS.SMS.SenderID are accepted and ignored).
func (c *Capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newID()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, requestID, "Sender", "InvalidAction",
			"The SNS Query API takes POST requests; this stand-in does not take "+r.Method)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, requestID, "Sender", "InvalidParameter",
			"Invalid parameter: request body: "+err.Error())
		return
	}
	if action := r.Form.Get("Action"); action != "Publish" {
		writeError(w, http.StatusBadRequest, requestID, "Sender", "InvalidParameter",
			fmt.Sprintf("Invalid parameter: Action: the local SMS capture handles only Publish, not %q", action))
		return
	}

	c.mu.Lock()
	failing := c.failNext > 0
	if failing {
		c.failNext--
	}
	c.mu.Unlock()
	if failing {
		writeError(w, http.StatusInternalServerError, requestID, "Receiver", "InternalError",
			"Internal Error (injected by FailNext)")
		return
	}

	phone, message := r.Form.Get("PhoneNumber"), r.Form.Get("Message")
	switch {
	case phone == "":
		writeError(w, http.StatusBadRequest, requestID, "Sender", "InvalidParameter",
			"Invalid parameter: PhoneNumber Reason: the local SMS capture handles only SMS, so PhoneNumber is required")
		return
	case !e164.MatchString(phone):
		writeError(w, http.StatusBadRequest, requestID, "Sender", "InvalidParameter",
			fmt.Sprintf("Invalid parameter: PhoneNumber Reason: %s is not valid to publish to (E.164 form, like +4915112345678, is required)", phone))
		return
	case message == "":
		writeError(w, http.StatusBadRequest, requestID, "Sender", "InvalidParameter",
			"Invalid parameter: Empty message")
		return
	}

	c.mu.Lock()
	c.messages = append(c.messages, SMS{To: phone, Body: message, SentAt: c.now().UTC()})
	c.mu.Unlock()

	writeXML(w, http.StatusOK, requestID, publishResponse{
		XMLNS:     xmlns,
		MessageID: newID(),
		RequestID: requestID,
	})
}

// ListHandler serves the captured messages as a JSON array, oldest first.
func (c *Capture) ListHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := json.Marshal(c.Messages())
		if err != nil {
			http.Error(w, "encode messages", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(append(body, '\n'))
	})
}

// PageHandler serves a small HTML page listing the captured messages, newest first, with the
// links in them clickable. The page reloads itself every few seconds.
func (c *Capture) PageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		messages := c.Messages()
		views := make([]messageView, 0, len(messages))
		for _, m := range slices.Backward(messages) {
			views = append(views, messageView{
				To:     m.To,
				SentAt: m.SentAt.Format(time.RFC3339),
				Shown:  m.SentAt.Local().Format("2006-01-02 15:04:05"),
				Parts:  linkify(m.Body),
			})
		}
		var page strings.Builder
		if err := pageTemplate.Execute(&page, views); err != nil {
			http.Error(w, "render page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(page.String()))
	})
}

// messageView is one message as the page shows it.
type messageView struct {
	To     string
	SentAt string
	Shown  string
	Parts  []part
}

// part is a piece of a message body: plain text, or a link when URL is set.
type part struct {
	Text string
	URL  string
}

// linkPattern matches http and https URLs in a message body.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify splits body into text and links. Trailing punctuation stays text, so that "see
// https://x.test/a." links to https://x.test/a.
func linkify(body string) []part {
	var parts []part
	rest := body
	for {
		loc := linkPattern.FindStringIndex(rest)
		if loc == nil {
			break
		}
		url := strings.TrimRight(rest[loc[0]:loc[1]], ".,;:!?)]}")
		end := loc[0] + len(url)
		if loc[0] > 0 {
			parts = append(parts, part{Text: rest[:loc[0]]})
		}
		parts = append(parts, part{Text: url, URL: url})
		rest = rest[end:]
	}
	if rest != "" {
		parts = append(parts, part{Text: rest})
	}
	return parts
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="3">
<title>SMS capture ({{len .}})</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 48rem; padding: 0 1rem; color: #1d2733; }
h1 { font-size: 1.4rem; }
article { border: 1px solid #d4dbe3; border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
header { color: #52606d; font-size: .9rem; margin-bottom: .4rem; }
p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>Captured SMS ({{len .}})</h1>
{{range .}}<article>
<header>To <strong>{{.To}}</strong> · <time datetime="{{.SentAt}}">{{.Shown}}</time></header>
<p>{{range .Parts}}{{if .URL}}<a href="{{.URL}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}</p>
</article>
{{else}}<p>No SMS captured yet. This page reloads every 3 seconds.</p>
{{end}}</body>
</html>
`))

// publishResponse is the Query API answer to a successful Publish.
type publishResponse struct {
	XMLName   xml.Name `xml:"PublishResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	MessageID string   `xml:"PublishResult>MessageId"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

// errorResponse is the Query API error format.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// writeError writes an SNS error: errType is Sender (the caller's fault) or Receiver.
func writeError(w http.ResponseWriter, status int, requestID, errType, code, message string) {
	writeXML(w, status, requestID, errorResponse{
		XMLNS:     xmlns,
		Type:      errType,
		Code:      code,
		Message:   message,
		RequestID: requestID,
	})
}

// writeXML writes v as an XML document with the request id header SNS sends.
func writeXML(w http.ResponseWriter, status int, requestID string, v any) {
	body, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
	_, _ = w.Write([]byte("\n"))
}

// newID returns a random UUID (version 4), the form of SNS message and request ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
