// Package config reads Guestbridge's configuration from the environment:
// defaults first, then the environment, then validation, once at start.
package config

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/guestbridge/guestbridge/shared/phone"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
)

// Config is the service configuration; see docs/architecture.md.
type Config struct {
	Table        string
	PublicURL    string
	MailFrom     string
	Secret       []byte
	SecretARN    string
	MaxGuestDays int
	ReminderDays int
	SMSSenderID  string
	// InvitesPerHour bounds the invitations one person sends per hour.
	InvitesPerHour int
	// RedeemsPerMinute bounds link previews and accepts per client address
	// and instance.
	RedeemsPerMinute int
	// Quotas bound invitations, live sessions and SMS per user and per
	// company, durably (GB_INVITES_PER_*, GB_SESSIONS_PER_*, GB_SMS_PER_*).
	// Quotas.InvitesPerUserHour is InvitesPerHour; zero fields take
	// ratelimit.DefaultQuotas.
	Quotas ratelimit.Quotas
	// SMSCountries are the regions whose numbers may be texted
	// (GB_SMS_COUNTRIES, e.g. "EU,GB,CH,US,CA"); nil means
	// phone.DefaultCountries.
	SMSCountries phone.Countries
	// LoginFailuresPerAddress bounds failed sign-ins of one email from one
	// client address per 15 minutes; LoginFailuresPerEmail is the hourly
	// ceiling of failures of one email from all addresses, past which
	// addresses that failed are refused; from LoginSlowAfter failures every
	// attempt on the email waits (GB_LOGIN_FAILURES_PER_ADDRESS,
	// GB_LOGIN_FAILURES_PER_EMAIL, GB_LOGIN_SLOW_AFTER). Zero takes
	// ratelimit.DefaultSignInPolicy.
	LoginFailuresPerAddress int
	LoginFailuresPerEmail   int
	LoginSlowAfter          int

	Region string
	// TicketKey is the 32-byte Ed25519 seed that signs relay join tickets
	// (GB_TICKET_KEY, base64); without it the key is derived from Secret.
	TicketKey []byte
	// RelayEventsSecret checks the relay's signed events
	// (GB_RELAY_EVENTS_SECRET, or RELAY_EVENTS_SECRET_ARN in AWS); without it
	// the key is derived from Secret.
	RelayEventsSecret    []byte
	RelayEventsSecretARN string
	// RelayOrigins are the ws/wss origins browsers reach the relays at
	// (GB_RELAY_URLS); the web client's Content-Security-Policy allows
	// connections to them and nowhere else but the API.
	RelayOrigins []string
	// Endpoints override the AWS endpoints, for the local stack.
	DynamoDBEndpoint string
	SESEndpoint      string
	SNSEndpoint      string
	S3Endpoint       string
	// AttachmentsBucket holds the files of cases: snapshots and recordings
	// (GB_ATTACHMENTS_BUCKET).
	AttachmentsBucket string
	// SESConfigurationSet is the SES configuration set every email goes
	// through (GB_SES_CONFIGURATION_SET); its event destination reports
	// deliveries, bounces and complaints. Empty sends without one (local).
	SESConfigurationSet string
}

// FromEnv reads the configuration from the environment.
func FromEnv() (Config, error) {
	c := Config{
		Table:            "guestbridge",
		PublicURL:        "http://localhost:8080",
		MailFrom:         "no-reply@guestbridge.test",
		MaxGuestDays:     365,
		ReminderDays:     3,
		SMSSenderID:      "Guestbrdg",
		InvitesPerHour:   60,
		RedeemsPerMinute: 60,
		Region:           "eu-central-1",

		AttachmentsBucket: "guestbridge-attachments",
		Quotas:            ratelimit.DefaultQuotas,
		SMSCountries:      phone.DefaultCountries,

		LoginFailuresPerAddress: ratelimit.DefaultSignInPolicy.PerAddress.Limit,
		LoginFailuresPerEmail:   ratelimit.DefaultSignInPolicy.PerEmail.Limit,
		LoginSlowAfter:          ratelimit.DefaultSignInPolicy.SlowAfter,
	}
	str := func(name string, dst *string) {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			*dst = v
		}
	}
	var errs []error
	integer := func(name string, dst *int) {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: not a number: %q", name, v))
				return
			}
			*dst = n
		}
	}
	str("GB_TABLE", &c.Table)
	str("GB_PUBLIC_URL", &c.PublicURL)
	str("GB_MAIL_FROM", &c.MailFrom)
	str("GB_SES_CONFIGURATION_SET", &c.SESConfigurationSet)
	str("GB_SECRET_ARN", &c.SecretARN)
	str("GB_SMS_SENDER_ID", &c.SMSSenderID)
	str("AWS_REGION", &c.Region)
	str("RELAY_EVENTS_SECRET_ARN", &c.RelayEventsSecretARN)
	if v := os.Getenv("GB_RELAY_EVENTS_SECRET"); v != "" {
		c.RelayEventsSecret = []byte(v)
	}
	if v := os.Getenv("GB_TICKET_KEY"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != 32 {
			errs = append(errs, errors.New("GB_TICKET_KEY: must be base64 of a 32-byte Ed25519 seed"))
		}
		c.TicketKey = b
	}
	str("AWS_ENDPOINT_URL_DYNAMODB", &c.DynamoDBEndpoint)
	str("AWS_ENDPOINT_URL_SESV2", &c.SESEndpoint)
	str("AWS_ENDPOINT_URL_SNS", &c.SNSEndpoint)
	str("AWS_ENDPOINT_URL_S3", &c.S3Endpoint)
	str("GB_ATTACHMENTS_BUCKET", &c.AttachmentsBucket)
	integer("GB_MAX_GUEST_DAYS", &c.MaxGuestDays)
	integer("GB_REMINDER_DAYS", &c.ReminderDays)
	integer("GB_INVITES_PER_HOUR", &c.InvitesPerHour)
	integer("GB_REDEEMS_PER_MINUTE", &c.RedeemsPerMinute)
	q := &c.Quotas
	integer("GB_INVITES_PER_USER_PER_DAY", &q.InvitesPerUserDay)
	integer("GB_INVITES_PER_ORG_PER_HOUR", &q.InvitesPerOrgHour)
	integer("GB_INVITES_PER_ORG_PER_DAY", &q.InvitesPerOrgDay)
	integer("GB_SESSIONS_PER_USER_PER_HOUR", &q.SessionsPerUserHour)
	integer("GB_SESSIONS_PER_USER_PER_DAY", &q.SessionsPerUserDay)
	integer("GB_SESSIONS_PER_ORG_PER_HOUR", &q.SessionsPerOrgHour)
	integer("GB_SESSIONS_PER_ORG_PER_DAY", &q.SessionsPerOrgDay)
	integer("GB_SMS_PER_ORG_PER_DAY", &q.SMSPerOrgDay)
	integer("GB_SMS_PER_PHONE_PER_DAY", &q.SMSPerPhoneDay)
	integer("GB_LOGIN_FAILURES_PER_ADDRESS", &c.LoginFailuresPerAddress)
	integer("GB_LOGIN_FAILURES_PER_EMAIL", &c.LoginFailuresPerEmail)
	integer("GB_LOGIN_SLOW_AFTER", &c.LoginSlowAfter)
	if v := os.Getenv("GB_SMS_COUNTRIES"); v != "" {
		cs, err := phone.ParseCountries(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("GB_SMS_COUNTRIES: %w", err))
		}
		c.SMSCountries = cs
	}
	if v := os.Getenv("GB_SECRET"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			errs = append(errs, errors.New("GB_SECRET: not base64"))
		}
		c.Secret = b
	}
	if origins, err := ParseRelayOrigins(os.Getenv("GB_RELAY_URLS")); err != nil {
		errs = append(errs, err)
	} else {
		c.RelayOrigins = origins
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.validate(c.SecretARN != "")
}

func (c Config) validate(secretLater bool) error {
	var errs []error
	if c.Table == "" {
		errs = append(errs, errors.New("GB_TABLE is empty"))
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, errors.New("GB_PUBLIC_URL must start with http:// or https://"))
	}
	if !secretLater && len(c.Secret) < 32 {
		errs = append(errs, errors.New("GB_SECRET must be base64 of at least 32 bytes (or set GB_SECRET_ARN)"))
	}
	if c.MaxGuestDays < 1 || c.MaxGuestDays > 3650 {
		errs = append(errs, errors.New("GB_MAX_GUEST_DAYS must be between 1 and 3650"))
	}
	if c.RedeemsPerMinute < 1 {
		errs = append(errs, errors.New("GB_REDEEMS_PER_MINUTE must be at least 1"))
	}
	if c.InvitesPerHour < 1 {
		errs = append(errs, errors.New("GB_INVITES_PER_HOUR must be at least 1"))
	}
	q := c.Quotas
	for _, f := range []struct {
		env string
		n   int
	}{
		{"GB_INVITES_PER_USER_PER_DAY", q.InvitesPerUserDay}, {"GB_INVITES_PER_ORG_PER_HOUR", q.InvitesPerOrgHour},
		{"GB_INVITES_PER_ORG_PER_DAY", q.InvitesPerOrgDay}, {"GB_SESSIONS_PER_USER_PER_HOUR", q.SessionsPerUserHour},
		{"GB_SESSIONS_PER_USER_PER_DAY", q.SessionsPerUserDay}, {"GB_SESSIONS_PER_ORG_PER_HOUR", q.SessionsPerOrgHour},
		{"GB_SESSIONS_PER_ORG_PER_DAY", q.SessionsPerOrgDay}, {"GB_SMS_PER_ORG_PER_DAY", q.SMSPerOrgDay},
		{"GB_SMS_PER_PHONE_PER_DAY", q.SMSPerPhoneDay},
		{"GB_LOGIN_FAILURES_PER_ADDRESS", c.LoginFailuresPerAddress}, {"GB_LOGIN_FAILURES_PER_EMAIL", c.LoginFailuresPerEmail},
		{"GB_LOGIN_SLOW_AFTER", c.LoginSlowAfter},
	} {
		if f.n < 1 {
			errs = append(errs, fmt.Errorf("%s must be at least 1", f.env))
		}
	}
	if c.LoginSlowAfter > c.LoginFailuresPerEmail {
		errs = append(errs, errors.New("GB_LOGIN_SLOW_AFTER must not exceed GB_LOGIN_FAILURES_PER_EMAIL: attempts slow down before addresses are refused"))
	}
	if len(c.SMSCountries) == 0 {
		errs = append(errs, errors.New("GB_SMS_COUNTRIES lists no country"))
	}
	if c.ReminderDays < 0 || c.ReminderDays > 60 {
		errs = append(errs, errors.New("GB_REMINDER_DAYS must be between 0 and 60"))
	}
	return errors.Join(errs...)
}

// AWS returns the AWS SDK configuration: the region, and credentials from the
// environment, which is where Lambda and ECS put them (ECS through
// AWS_CONTAINER_CREDENTIALS_*, which the relay reads with the full chain).
// With a local endpoint and no credentials, static local ones are used:
// DynamoDB Local and the emulators accept any. The SDK's shared-config loader
// is not used on purpose: it links the STS, SSO and sign-in clients into every
// Lambda binary, and a Lambda needs none of them.
func AWS(_ context.Context, c Config) (aws.Config, error) {
	id, key := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id != "" && key != "":
	case c.DynamoDBEndpoint != "":
		id, key = "local", "local"
	default:
		return aws.Config{}, errors.New("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or local endpoints")
	}
	return aws.Config{
		Region:      c.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, key, os.Getenv("AWS_SESSION_TOKEN"))),
	}, nil
}

// NewDynamoDB returns the DynamoDB client.
func NewDynamoDB(ac aws.Config, c Config, extra ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(ac, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		if c.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(c.DynamoDBEndpoint)
			// DynamoDB Local's CRC32 header does not match the bodies of some
			// error responses, which makes the SDK log a warning on every
			// cancelled transaction; the real service's does.
			o.DisableValidateResponseChecksum = true
		}
	}}, extra...)...)
}

// NewS3 returns the S3 client. With a local endpoint it addresses buckets
// by path (the emulator has no per-bucket host names) and, unless AWS
// credentials are set, signs with the emulator's own key: the emulator
// checks signatures, so presigned URLs are refused there as in AWS once
// they expire or when a signed header differs.
func NewS3(ac aws.Config, c Config, extra ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(ac, append([]func(*s3.Options){func(o *s3.Options) {
		if c.S3Endpoint == "" {
			return
		}
		o.BaseEndpoint = aws.String(c.S3Endpoint)
		o.UsePathStyle = true
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			o.Credentials = credentials.NewStaticCredentialsProvider(devstackS3Key, devstackS3Key, "")
		}
	}}, extra...)...)
}

// devstackS3Key is the key pair of the local S3 emulator (devstack.S3AccessKey;
// not imported, so that no Lambda links the devstack package).
const devstackS3Key = "S3RVER"

// LoadSecret fills c.Secret from Secrets Manager when GB_SECRET_ARN is set.
func LoadSecret(ctx context.Context, c *Config, ac aws.Config) error {
	if c.SecretARN == "" {
		return nil
	}
	sm := secretsmanager.NewFromConfig(ac)
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.SecretARN)})
	if err != nil {
		return fmt.Errorf("read secret %s: %w", c.SecretARN, err)
	}
	v := aws.ToString(out.SecretString)
	c.Secret = ParseSecret(v)
	if c.RelayEventsSecretARN != "" && len(c.RelayEventsSecret) == 0 {
		ev, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.RelayEventsSecretARN)})
		if err != nil {
			return fmt.Errorf("read secret %s: %w", c.RelayEventsSecretARN, err)
		}
		c.RelayEventsSecret = []byte(aws.ToString(ev.SecretString))
	}
	if len(c.Secret) < 32 {
		return errors.New("the secret in GB_SECRET_ARN is shorter than 32 bytes")
	}
	return nil
}

// ParseSecret reads the root secret as stored in Secrets Manager: base64 of
// at least 32 bytes, or else the text itself.
func ParseSecret(v string) []byte {
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) >= 32 {
		return b
	}
	return []byte(v)
}
