package delivery

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/outbox"
)

// Parse reads one Lambda invocation payload: an SNS event carrying SES events
// (the configuration set's event destination), or a CloudWatch Logs
// subscription event carrying SNS SMS delivery status records. Records of
// other kinds (SES sends, opens; the subscription's control message) give no
// event. A payload of neither shape is an error.
func Parse(raw []byte) ([]Event, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"EventSource"`
			Sns         struct {
				Message string `json:"Message"`
			} `json:"Sns"`
		} `json:"Records"`
		AWSLogs *struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("delivery event: not JSON: %w", err)
	}
	switch {
	case probe.AWSLogs != nil:
		return parseLogs(probe.AWSLogs.Data)
	case len(probe.Records) > 0:
		var out []Event
		for i, r := range probe.Records {
			if r.EventSource != "aws:sns" {
				return nil, fmt.Errorf("delivery event: record %d is from %q, not SNS", i, r.EventSource)
			}
			ev, ok, err := ParseSES([]byte(r.Sns.Message))
			if err != nil {
				return nil, fmt.Errorf("delivery event: record %d: %w", i, err)
			}
			if ok {
				out = append(out, ev)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("delivery event: neither an SNS nor a CloudWatch Logs event")
}

// sesEvent is the part of an SES event (configuration set event publishing)
// or notification (identity feedback) that matters here.
type sesEvent struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
	} `json:"mail"`
	Delivery *struct {
		Timestamp time.Time `json:"timestamp"`
	} `json:"delivery"`
	Bounce *struct {
		BounceType        string    `json:"bounceType"`
		BounceSubType     string    `json:"bounceSubType"`
		Timestamp         time.Time `json:"timestamp"`
		BouncedRecipients []struct {
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		Timestamp             time.Time `json:"timestamp"`
		ComplaintFeedbackType string    `json:"complaintFeedbackType"`
	} `json:"complaint"`
}

// ParseSES reads one SES event. ok is false for event types that do not
// change a delivery status (Send, Open, Click, DeliveryDelay, ...).
func ParseSES(b []byte) (Event, bool, error) {
	var e sesEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, false, fmt.Errorf("SES event: %w", err)
	}
	typ := e.EventType
	if typ == "" {
		typ = e.NotificationType
	}
	ev := Event{Channel: outbox.Email, ProviderID: e.Mail.MessageID}
	switch {
	case typ == "Delivery" && e.Delivery != nil:
		ev.Status, ev.At = outbox.Delivered, e.Delivery.Timestamp
	case typ == "Bounce" && e.Bounce != nil:
		ev.Status, ev.At = outbox.Bounced, e.Bounce.Timestamp
		// "Undetermined" bounces are treated as transient: blocking an
		// address needs the receiving server's word that it is bad.
		ev.Permanent = e.Bounce.BounceType == "Permanent"
		ev.Reason = bounceReason(e.Bounce.BounceType, e.Bounce.BounceSubType)
		for _, r := range e.Bounce.BouncedRecipients {
			if r.DiagnosticCode != "" {
				ev.Reason += ": " + clip(r.DiagnosticCode, 200)
				break
			}
		}
	case typ == "Complaint" && e.Complaint != nil:
		ev.Status, ev.At, ev.Permanent = outbox.Complained, e.Complaint.Timestamp, true
		ev.Reason = "the recipient marked the message as spam"
		if t := e.Complaint.ComplaintFeedbackType; t != "" {
			ev.Reason += " (" + t + ")"
		}
	default:
		return Event{}, false, nil
	}
	if ev.ProviderID == "" {
		return Event{}, false, fmt.Errorf("SES %s event without mail.messageId", typ)
	}
	return ev, true, nil
}

func bounceReason(typ, sub string) string {
	switch typ {
	case "Permanent":
		if sub == "Suppressed" || sub == "OnAccountSuppressionList" {
			return "address on the SES suppression list"
		}
		return "address rejected by the recipient's mail server (" + strings.ToLower(sub) + ")"
	case "Transient":
		return "temporarily not accepted (" + strings.ToLower(sub) + ")"
	}
	return "bounced (" + strings.ToLower(typ) + ")"
}

// logsPayload is a CloudWatch Logs subscription delivery, after base64 and
// gzip.
type logsPayload struct {
	MessageType string `json:"messageType"`
	LogGroup    string `json:"logGroup"`
	LogEvents   []struct {
		Message string `json:"message"`
	} `json:"logEvents"`
}

// smsRecord is an SNS SMS delivery status log record.
type smsRecord struct {
	Notification struct {
		MessageID string `json:"messageId"`
		Timestamp string `json:"timestamp"`
	} `json:"notification"`
	Delivery struct {
		ProviderResponse string `json:"providerResponse"`
	} `json:"delivery"`
	Status string `json:"status"`
}

func parseLogs(data string) ([]Event, error) {
	zipped, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("logs event: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, fmt.Errorf("logs event: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("logs event: %w", err)
	}
	var p logsPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("logs event: %w", err)
	}
	if p.MessageType != "DATA_MESSAGE" {
		return nil, nil
	}
	var out []Event
	for i, le := range p.LogEvents {
		ev, err := ParseSMS([]byte(le.Message))
		if err != nil {
			return nil, fmt.Errorf("logs event %d: %w", i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// ParseSMS reads one SNS SMS delivery status record.
func ParseSMS(b []byte) (Event, error) {
	var r smsRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return Event{}, fmt.Errorf("SMS status: %w", err)
	}
	if r.Notification.MessageID == "" {
		return Event{}, fmt.Errorf("SMS status without notification.messageId")
	}
	// SNS writes "2016-06-28 00:40:34.558" in UTC.
	at, err := time.Parse("2006-01-02 15:04:05.999", r.Notification.Timestamp)
	if err != nil {
		return Event{}, fmt.Errorf("SMS status: timestamp %q", r.Notification.Timestamp)
	}
	ev := Event{Channel: outbox.SMS, ProviderID: r.Notification.MessageID, At: at.UTC()}
	switch r.Status {
	case "SUCCESS":
		ev.Status = outbox.Delivered
	case "FAILURE":
		// A carrier's refusal says nothing certain about the number (a phone
		// switched off fails as well), so SMS never blocks.
		ev.Status, ev.Reason = outbox.Failed, "not delivered by the carrier: "+clip(r.Delivery.ProviderResponse, 200)
	default:
		return Event{}, fmt.Errorf("SMS status %q", r.Status)
	}
	return ev, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
