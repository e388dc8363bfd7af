package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Email is one message as the SES emulator stores it (the JSON of `GET /store`), field for
// field.
type Email struct {
	// MessageID is the id SendEmail returned, e.g. "ses-123456789".
	MessageID string `json:"messageId"`
	// From is the FromEmailAddress as sent.
	From string `json:"from"`
	// ReplyTo holds the ReplyToAddresses; empty, not nil, when there were none.
	ReplyTo     []string          `json:"replyTo"`
	Destination EmailDestination  `json:"destination"`
	Subject     string            `json:"subject"`
	Body        EmailBody         `json:"body"`
	Attachments []EmailAttachment `json:"attachments"`
	// Headers holds the custom headers of a simple message, if any.
	Headers []EmailHeader `json:"headers,omitempty"`
	// At is when the emulator received the message, in seconds since the Unix epoch.
	At int64 `json:"at"`
}

// EmailDestination holds the recipients of an Email.
type EmailDestination struct {
	To  []string `json:"to"`
	Cc  []string `json:"cc"`
	Bcc []string `json:"bcc"`
}

// EmailBody holds the bodies of an Email; a part that was not sent is "".
type EmailBody struct {
	HTML string `json:"html,omitempty"`
	Text string `json:"text,omitempty"`
}

// EmailAttachment is one attachment of an Email; Content is base64.
type EmailAttachment struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
	Size        int    `json:"size"`
}

// EmailHeader is one custom header of an Email.
type EmailHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SentAt returns At as a time.
func (e Email) SentAt() time.Time { return time.Unix(e.At, 0) }

// SESEmails returns every email the SES emulator at sesEndpoint has received, oldest first.
func SESEmails(ctx context.Context, sesEndpoint string) ([]Email, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(sesEndpoint, "/")+"/store", nil)
	if err != nil {
		return nil, fmt.Errorf("devstack: read SES store: %w", err)
	}
	resp, err := (&http.Client{Transport: noKeepAlive}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("devstack: read SES store: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("devstack: read SES store: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var store struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, fmt.Errorf("devstack: read SES store: %w", err)
	}
	if store.Emails == nil {
		store.Emails = []Email{}
	}
	return store.Emails, nil
}
