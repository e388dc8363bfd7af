// Package notify delivers outbox messages through Amazon SES v2 (email) and
// Amazon SNS (SMS).
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/store"
)

// Mailer sends email with SES v2.
type Mailer struct {
	client    *sesv2.Client
	from      string
	configSet string
}

var _ outbox.Mailer = (*Mailer)(nil)

// NewMailer returns a mailer sending from the verified address from, through
// the SES configuration set configSet when it is not empty.
func NewMailer(c *sesv2.Client, from, configSet string) *Mailer {
	return &Mailer{client: c, from: from, configSet: configSet}
}

// SendEmail implements outbox.Mailer.
func (m *Mailer) SendEmail(ctx context.Context, to, subject, text, html string) (string, error) {
	body := &sestypes.Body{Text: &sestypes.Content{Data: aws.String(text), Charset: aws.String("UTF-8")}}
	if html != "" {
		body.Html = &sestypes.Content{Data: aws.String(html), Charset: aws.String("UTF-8")}
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.from),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject), Charset: aws.String("UTF-8")},
			Body:    body,
		}},
	}
	if m.configSet != "" {
		// The configuration set publishes the delivery, bounce and complaint
		// events of the message (shared/delivery).
		in.ConfigurationSetName = aws.String(m.configSet)
	}
	out, err := m.client.SendEmail(ctx, in)
	if err != nil {
		return "", classify("ses", err, permanentSES)
	}
	return aws.ToString(out.MessageId), nil
}

// SES errors that retrying does not fix.
var permanentSES = map[string]bool{
	"MessageRejected": true, "MailFromDomainNotVerifiedException": true, "AccountSuspendedException": true,
	"SendingPausedException": true, "BadRequestException": true, "NotFoundException": true,
}

// Texter sends SMS with SNS.
type Texter struct {
	client   *sns.Client
	senderID string
}

var _ outbox.Texter = (*Texter)(nil)

// NewTexter returns a texter; senderID is shown as the sender where carriers allow.
func NewTexter(c *sns.Client, senderID string) *Texter { return &Texter{client: c, senderID: senderID} }

// SendSMS implements outbox.Texter. Messages are transactional: invitations
// must arrive even on numbers that opted out of promotional texts.
func (t *Texter) SendSMS(ctx context.Context, to, body string) (string, error) {
	attrs := map[string]snstypes.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if t.senderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(t.senderID)}
	}
	out, err := t.client.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(to), Message: aws.String(body), MessageAttributes: attrs})
	if err != nil {
		return "", classify("sns", err, permanentSNS)
	}
	return aws.ToString(out.MessageId), nil
}

var permanentSNS = map[string]bool{
	"InvalidParameter": true, "InvalidParameterValue": true, "OptedOut": true, "AuthorizationError": true,
}

func classify(service string, err error, permanent map[string]bool) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if permanent[api.ErrorCode()] {
			return fmt.Errorf("%w: %s %s: %s", outbox.ErrPermanent, service, api.ErrorCode(), api.ErrorMessage())
		}
		return fmt.Errorf("%s %s: %s", service, api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("%s unreachable: %w", service, err)
}

// NewSES returns the SES v2 client, on endpoint when one is set (the local
// emulator).
func NewSES(ac aws.Config, endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(ac, func(o *sesv2.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// NewSNS returns the SNS client, on endpoint when one is set (the local SMS
// capture).
func NewSNS(ac aws.Config, endpoint string) *sns.Client {
	return sns.NewFromConfig(ac, func(o *sns.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// NewSender wires the outbox sender: the store on db, SES and SNS from ac.
func NewSender(cfg config.Config, db *dynamodb.Client, ac aws.Config, c clock.Clock, log *slog.Logger) (*outbox.Sender, error) {
	keys, err := secret.Derive(cfg.Secret)
	if err != nil {
		return nil, err
	}
	return outbox.NewSender(store.New(db, cfg.Table), NewMailer(NewSES(ac, cfg.SESEndpoint), cfg.MailFrom, cfg.SESConfigurationSet),
		NewTexter(NewSNS(ac, cfg.SNSEndpoint), cfg.SMSSenderID), c, keys.Seal, cfg.PublicURL, log), nil
}
