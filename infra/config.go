package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/guestbridge/guestbridge/shared/phone"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
)

// Context keys read by the app (cdk.json "context" or `cdk synth -c key=value`).
const (
	ctxAssetDir             = "assetDir"
	ctxMailFrom             = "mailFrom"
	ctxPublicURL            = "publicUrl"
	ctxRelayTicketPublicKey = "relayTicketPublicKey"
	ctxRelayCertificateArn  = "relayCertificateArn"
	ctxRelayDomain          = "relayDomain"
	ctxRelayMaxTasks        = "relayMaxTasks"
	ctxSMSPerOrgPerDay      = "smsPerOrgPerDay"
	ctxSMSCountries         = "smsCountries"
	ctxWebDomain            = "webDomain"
	ctxWebCertificateArn    = "webCertificateArn"
	ctxAlarmEmail           = "alarmEmail"
	ctxSenderConcurrency    = "senderConcurrency"
	ctxSMSMonthlyLimitUSD   = "smsMonthlySpendLimitUsd"
)

// Defaults used when a context value is absent, so that `cdk synth` works with
// no context at all. The mail and URL defaults are the local ones from
// docs/architecture.md; a real deployment sets them (docs/deploy.md).
const (
	defaultAssetDir      = "build/lambda"
	defaultMailFrom      = "no-reply@guestbridge.test"
	defaultPublicURL     = "http://localhost:8080"
	defaultRelayMaxTasks = 1
	maxRelayTasks        = 50
	// defaultSenderConcurrency reserves this many concurrent runs for the
	// sender, and caps it there: a retry storm cannot take the concurrency
	// the api function needs, nor hammer SES past its send rate.
	defaultSenderConcurrency = 5
	// defaultSMSMonthlyLimitUSD is the SNS account spend limit new
	// accounts get; the spend alarm fires at 80 % of it.
	defaultSMSMonthlyLimitUSD = 1
)

// relayBuildContext are the Docker ignore patterns of the relay image's build
// context, the repository root: only the module files and the packages the
// relay may import go in. Everything else (build output, node_modules,
// cdk.out, .git) stays out, so the image asset's hash changes only when the
// relay's inputs do.
var relayBuildContext = []string{"*", "!go.mod", "!go.sum", "!media-task", "!shared"}

// config is the typed configuration of the CDK app: defaults, then context,
// then validated.
type config struct {
	// AssetDir holds <fn>/bootstrap for every Lambda function.
	AssetDir string
	// RelayImageDir is the Docker build context of the relay image and
	// RelayDockerfile the Dockerfile's path inside it.
	RelayImageDir   string
	RelayDockerfile string
	// RelayImageExclude are Docker ignore patterns applied to RelayImageDir.
	RelayImageExclude []string
	// WebDir is the web client's directory and WebStageDir where synth lays
	// it out for the bucket (stageWeb).
	WebDir      string
	WebStageDir string
	// MailFrom is the verified SES sender address (GB_MAIL_FROM).
	MailFrom string
	// PublicURL is the base URL of the web client (GB_PUBLIC_URL, CORS origin).
	PublicURL string
	// RelayTicketPublicKey is the base64 raw Ed25519 public key the relay
	// verifies join tickets with; empty means not configured yet.
	RelayTicketPublicKey string
	// RelayCertificateArn is an ACM certificate for the relay's TLS listener;
	// empty means a plain TCP listener.
	RelayCertificateArn string
	// RelayDomain is the DNS name clients use for the relay's signaling
	// endpoint (it must match the certificate); empty means the load
	// balancer's own DNS name.
	RelayDomain string
	// RelayMaxTasks is the upper bound of the relay service's auto scaling.
	RelayMaxTasks int
	// SMSPerOrgPerDay is each company's daily SMS budget
	// (GB_SMS_PER_ORG_PER_DAY) and SMSCountries the regions that may be
	// texted (GB_SMS_COUNTRIES), both given to the api function: every SMS
	// is paid by this AWS account.
	SMSPerOrgPerDay int
	SMSCountries    string
	// WebDomain is the custom host name of the web distribution and
	// WebCertificateArn its ACM certificate (in us-east-1); empty means the
	// distribution's own name. With a domain, PublicURL defaults to
	// https://<WebDomain>.
	WebDomain         string
	WebCertificateArn string
	// AlarmEmail is subscribed to the alarm topic; empty means none (the
	// topic can be subscribed to by hand).
	AlarmEmail string
	// SenderConcurrency is the sender's reserved concurrency; 0 reserves
	// none (accounts whose concurrency limit is 10 cannot reserve any).
	SenderConcurrency int
	// SMSMonthlyLimitUSD is the account's SNS MonthlySpendLimit, which the
	// spend alarm compares with.
	SMSMonthlyLimitUSD int

	// Defaulted lists the context keys that were absent and took a default,
	// so the stacks can warn about the ones a deployment must set.
	Defaulted map[string]bool
}

// MailDomain returns the domain part of MailFrom.
func (c config) MailDomain() string {
	return c.MailFrom[strings.LastIndex(c.MailFrom, "@")+1:]
}

// PublicOrigin returns the scheme://host[:port] of PublicURL: the CORS origin
// of the web client.
func (c config) PublicOrigin() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		// parseConfig has validated PublicURL already.
		return c.PublicURL
	}
	return u.Scheme + "://" + u.Host
}

// parseConfig reads the app's configuration through get (a context lookup that
// returns nil for an absent key), applies defaults and validates the result.
func parseConfig(get func(key string) any) (config, error) {
	cfg := config{
		RelayImageDir:     ".",
		RelayDockerfile:   "media-task/Dockerfile",
		RelayImageExclude: relayBuildContext,
		WebDir:            "web",
		WebStageDir:       "cdk.out",
		Defaulted:         map[string]bool{},
	}
	var errs []error
	str := func(key, def string) string {
		v := get(key)
		if v == nil {
			cfg.Defaulted[key] = true
			return def
		}
		s, ok := v.(string)
		if !ok {
			errs = append(errs, fmt.Errorf("context %s: want a string, got %T", key, v))
			return def
		}
		s = strings.TrimSpace(s)
		if s == "" {
			cfg.Defaulted[key] = true
			return def
		}
		return s
	}

	cfg.AssetDir = str(ctxAssetDir, defaultAssetDir)
	cfg.MailFrom = str(ctxMailFrom, defaultMailFrom)
	cfg.WebDomain = str(ctxWebDomain, "")
	cfg.WebCertificateArn = str(ctxWebCertificateArn, "")
	cfg.AlarmEmail = str(ctxAlarmEmail, "")
	publicDefault := defaultPublicURL
	if cfg.WebDomain != "" {
		publicDefault = "https://" + cfg.WebDomain
	}
	cfg.PublicURL = str(ctxPublicURL, publicDefault)
	cfg.RelayTicketPublicKey = str(ctxRelayTicketPublicKey, "")
	cfg.RelayCertificateArn = str(ctxRelayCertificateArn, "")
	cfg.RelayDomain = str(ctxRelayDomain, "")

	n, err := intContext(get(ctxRelayMaxTasks), defaultRelayMaxTasks)
	if err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", ctxRelayMaxTasks, err))
	}
	if get(ctxRelayMaxTasks) == nil {
		cfg.Defaulted[ctxRelayMaxTasks] = true
	}
	cfg.RelayMaxTasks = n

	if cfg.SMSPerOrgPerDay, err = intContext(get(ctxSMSPerOrgPerDay), ratelimit.DefaultQuotas.SMSPerOrgDay); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", ctxSMSPerOrgPerDay, err))
	}
	cfg.SMSCountries = str(ctxSMSCountries, phone.DefaultCountries.String())
	if cfg.SenderConcurrency, err = intContext(get(ctxSenderConcurrency), defaultSenderConcurrency); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", ctxSenderConcurrency, err))
	}
	if cfg.SMSMonthlyLimitUSD, err = intContext(get(ctxSMSMonthlyLimitUSD), defaultSMSMonthlyLimitUSD); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", ctxSMSMonthlyLimitUSD, err))
	}

	if err := cfg.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// intContext converts a context value to an int: `-c key=4` gives a string,
// a number in cdk.json gives a float64.
func intContext(v any, def int) (int, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return def, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return def, fmt.Errorf("want an integer, got %q", x)
		}
		return n, nil
	case float64:
		if x != float64(int(x)) {
			return def, fmt.Errorf("want an integer, got %v", x)
		}
		return int(x), nil
	default:
		return def, fmt.Errorf("want an integer, got %T", v)
	}
}

func (c config) validate() error {
	var errs []error
	if addr, err := mail.ParseAddress(c.MailFrom); err != nil || addr.Address != c.MailFrom || addr.Name != "" {
		errs = append(errs, fmt.Errorf("context %s: want a bare email address such as no-reply@example.com, got %q", ctxMailFrom, c.MailFrom))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("context %s: want an absolute http(s) URL such as https://app.example.com, got %q", ctxPublicURL, c.PublicURL))
	}
	if c.RelayTicketPublicKey != "" {
		if b, err := base64.StdEncoding.DecodeString(c.RelayTicketPublicKey); err != nil || len(b) != 32 {
			errs = append(errs, fmt.Errorf("context %s: want base64 of a 32-byte raw Ed25519 public key", ctxRelayTicketPublicKey))
		}
	}
	if c.RelayCertificateArn != "" && !strings.HasPrefix(c.RelayCertificateArn, "arn:") {
		errs = append(errs, fmt.Errorf("context %s: want a certificate ARN (arn:aws:acm:...), got %q", ctxRelayCertificateArn, c.RelayCertificateArn))
	}
	if c.RelayDomain != "" && (strings.ContainsAny(c.RelayDomain, "/: ") || !strings.Contains(c.RelayDomain, ".")) {
		errs = append(errs, fmt.Errorf("context %s: want a host name such as relay.example.com, got %q", ctxRelayDomain, c.RelayDomain))
	}
	if c.SMSPerOrgPerDay < 1 {
		errs = append(errs, fmt.Errorf("context %s: want at least 1, got %d", ctxSMSPerOrgPerDay, c.SMSPerOrgPerDay))
	}
	if _, err := phone.ParseCountries(c.SMSCountries); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", ctxSMSCountries, err))
	}
	if c.WebDomain != "" && (strings.ContainsAny(c.WebDomain, "/: ") || !strings.Contains(c.WebDomain, ".")) {
		errs = append(errs, fmt.Errorf("context %s: want a host name such as app.example.com, got %q", ctxWebDomain, c.WebDomain))
	}
	if (c.WebDomain == "") != (c.WebCertificateArn == "") {
		errs = append(errs, fmt.Errorf("context %s and %s: give both (CloudFront needs a certificate for a custom name) or neither", ctxWebDomain, ctxWebCertificateArn))
	}
	if c.WebCertificateArn != "" && !strings.HasPrefix(c.WebCertificateArn, "arn:aws:acm:us-east-1:") {
		errs = append(errs, fmt.Errorf("context %s: want an ACM certificate ARN in us-east-1 (CloudFront reads certificates only there), got %q", ctxWebCertificateArn, c.WebCertificateArn))
	}
	if c.WebDomain != "" {
		if u, err := url.Parse(c.PublicURL); err == nil && u.Host != c.WebDomain {
			errs = append(errs, fmt.Errorf("context %s: %q is not on %s %q, where the web client is served", ctxPublicURL, c.PublicURL, ctxWebDomain, c.WebDomain))
		}
	}
	if c.AlarmEmail != "" {
		if addr, err := mail.ParseAddress(c.AlarmEmail); err != nil || addr.Address != c.AlarmEmail {
			errs = append(errs, fmt.Errorf("context %s: want a bare email address, got %q", ctxAlarmEmail, c.AlarmEmail))
		}
	}
	if c.SenderConcurrency < 0 || c.SenderConcurrency > 100 {
		errs = append(errs, fmt.Errorf("context %s: want 0..100, got %d", ctxSenderConcurrency, c.SenderConcurrency))
	}
	if c.SMSMonthlyLimitUSD < 1 {
		errs = append(errs, fmt.Errorf("context %s: want at least 1, got %d", ctxSMSMonthlyLimitUSD, c.SMSMonthlyLimitUSD))
	}
	if c.RelayMaxTasks < 1 || c.RelayMaxTasks > maxRelayTasks {
		errs = append(errs, fmt.Errorf("context %s: want 1..%d, got %d", ctxRelayMaxTasks, maxRelayTasks, c.RelayMaxTasks))
	}
	return errors.Join(errs...)
}
