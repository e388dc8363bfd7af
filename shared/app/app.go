// Package app wires Guestbridge's API and sweep from configuration and a
// DynamoDB client, once per process: the Lambda mains and the local server
// build the same thing here, so there is one code path. It imports no SES or
// SNS code, so the api and sweep binaries do not carry it.
package app

import (
	"encoding/hex"
	"errors"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"net/url"

	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/attachment"
	"github.com/guestbridge/guestbridge/shared/blobstore"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/emailverify"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/httpapi"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/invite"
	"github.com/guestbridge/guestbridge/shared/notes"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/relayctl"
	"github.com/guestbridge/guestbridge/shared/role"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/session"
	"github.com/guestbridge/guestbridge/shared/store"
	"github.com/guestbridge/guestbridge/shared/sweep"
)

// App holds the wired services.
type App struct {
	Config   config.Config
	Store    *store.Store
	Identity *identity.Service
	Invites  *invite.Service
	Cases    *casefile.Service
	Sessions *session.Service
	Minter   *session.Minter
	API      *httpapi.API
	Sweeper  *sweep.Sweeper
	Clock    clock.Clock
	Log      *slog.Logger
}

// NewAPI wires the HTTP API alone, for the api function.
func NewAPI(cfg config.Config, db *dynamodb.Client, s3c *s3.Client, c clock.Clock, log *slog.Logger) (*App, error) {
	keys, err := secret.Derive(cfg.Secret)
	if err != nil {
		return nil, err
	}
	st := store.New(db, cfg.Table)
	ids := identity.NewService(st, identity.NewSigner(keys.Session, c.Now), c)
	durable := store.NewLimiter(st, c)
	local := ratelimit.NewMemory(c.Now)
	limits := Limits(cfg)
	inv := invite.NewService(st, c, ids, keys.Seal, durable, local, invite.Config{
		DefaultMaxGuestDays: cfg.MaxGuestDays,
		Quotas:              limits.Quotas,
		SMSCountries:        limits.SMSCountries,
		RedeemLimit:         ratelimit.Rule{Name: ratelimit.RedeemPerIP.Name, Limit: cfg.RedeemsPerMinute, Window: time.Minute},
	})
	cases := casefile.NewService(st, c)
	seed := cfg.TicketKey
	if len(seed) == 0 {
		seed = keys.TicketSeed
	}
	minter, err := session.NewMinter(seed, c.Now)
	if err != nil {
		return nil, err
	}
	sessions := session.NewService(st, minter, relayctl.New(minter), c, keys.Seal, cfg.PublicURL, log, durable, limits)
	inv.OnGuestEnded(sessions.DisconnectGuest)
	attachments := attachment.NewService(st, blobstore.New(s3c, cfg.AttachmentsBucket, c), c, log)
	sessions.OnRecording(attachments)
	roles := role.NewService(st, c)
	roles.OnMemberRemoved(sessions.DisconnectMember)
	redeem := ratelimit.Rule{Name: ratelimit.RedeemPerIP.Name, Limit: cfg.RedeemsPerMinute, Window: time.Minute}
	// One throttle for every password check: the sign-in's and the accept's.
	signIns := ratelimit.NewSignIns(durable, c, SignInPolicy(cfg), func(err error) bool {
		return errors.Is(err, identity.ErrBadCredentials) || errors.Is(err, guest.ErrWrongPass)
	})
	inv.ThrottlePasswords(signIns)
	api := httpapi.New(httpapi.Deps{
		Identity: ids, Invites: inv, Cases: cases, Roles: roles, Devices: device.NewService(st, c), Orgs: identity.NewOrgService(st, c),
		Sessions: sessions, Attachments: attachments, Notes: notes.NewService(st, c), Audit: st, Limiter: durable, Local: local, Log: log,
		RelayEventsKey: RelayEventsKey(cfg, keys), RedeemLimit: redeem, Browser: BrowserPolicy(cfg),
		SignIns:     signIns,
		EmailVerify: emailverify.NewService(st, c, keys.Seal, durable, local, redeem),
	})
	return &App{Config: cfg, Store: st, Identity: ids, Invites: inv, Cases: cases, Sessions: sessions, Minter: minter,
		API: api, Clock: c, Log: log}, nil
}

// BrowserPolicy is the security-header policy of the API and of whatever
// serves the web client, from the configuration.
func BrowserPolicy(cfg config.Config) httpapi.BrowserPolicy {
	return httpapi.BrowserPolicy{RelayOrigins: cfg.RelayOrigins, HTTPS: strings.HasPrefix(cfg.PublicURL, "https://"),
		StorageOrigins: StorageOrigins(cfg)}
}

// StorageOrigins are the origins browsers reach the attachments bucket at:
// the local emulator's, or the bucket's virtual-hosted S3 origin.
func StorageOrigins(cfg config.Config) []string {
	if cfg.S3Endpoint != "" {
		u, err := url.Parse(cfg.S3Endpoint)
		if err != nil || u.Host == "" {
			return nil
		}
		return []string{u.Scheme + "://" + u.Host}
	}
	if cfg.AttachmentsBucket == "" || cfg.Region == "" {
		return nil
	}
	return []string{"https://" + cfg.AttachmentsBucket + ".s3." + cfg.Region + ".amazonaws.com"}
}

// RelayEventsKey is the key the relays sign their events with: configured, or
// derived from the root secret (as hex text, the form the relay is given).
func RelayEventsKey(cfg config.Config, keys secret.Keys) []byte {
	if len(cfg.RelayEventsSecret) > 0 {
		return cfg.RelayEventsSecret
	}
	return []byte(hex.EncodeToString(keys.RelayEvents))
}

// NewSweeper wires the expiry sweep alone, for the sweep function; expired
// guests are also disconnected from live sessions.
func NewSweeper(cfg config.Config, db *dynamodb.Client, c clock.Clock, log *slog.Logger) (*sweep.Sweeper, error) {
	keys, err := secret.Derive(cfg.Secret)
	if err != nil {
		return nil, err
	}
	seed := cfg.TicketKey
	if len(seed) == 0 {
		seed = keys.TicketSeed
	}
	minter, err := session.NewMinter(seed, c.Now)
	if err != nil {
		return nil, err
	}
	st := store.New(db, cfg.Table)
	// The sweep only disconnects; it invites no one.
	sessions := session.NewService(st, minter, relayctl.New(minter), c, keys.Seal, cfg.PublicURL, log, store.NewLimiter(st, c), Limits(cfg))
	return sweep.New(st, c, cfg.ReminderDays, log, sessions.DisconnectGuest), nil
}

// Handler is the HTTP handler of the API.
func (a *App) Handler() http.Handler { return a.API }

// Limits are the durable quotas and the SMS countries from cfg. The hourly
// invitations per person keep their older setting, GB_INVITES_PER_HOUR.
func Limits(cfg config.Config) session.Limits {
	q := cfg.Quotas
	q.InvitesPerUserHour = cfg.InvitesPerHour
	return session.Limits{Quotas: q.WithDefaults(), SMSCountries: cfg.SMSCountries}
}

// SignInPolicy is the sign-in throttle from cfg.
func SignInPolicy(cfg config.Config) ratelimit.SignInPolicy {
	p := ratelimit.DefaultSignInPolicy
	if cfg.LoginFailuresPerAddress > 0 {
		p.PerAddress.Limit = cfg.LoginFailuresPerAddress
	}
	if cfg.LoginFailuresPerEmail > 0 {
		p.PerEmail.Limit = cfg.LoginFailuresPerEmail
	}
	if cfg.LoginSlowAfter > 0 {
		p.SlowAfter = cfg.LoginSlowAfter
	}
	p.SlowAfter = min(p.SlowAfter, p.PerEmail.Limit)
	return p
}
