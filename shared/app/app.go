// Package app wires Guestbridge's services from configuration and AWS clients,
// once per process: the Lambda mains and the local server build the same
// thing here, so there is one code path.
package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/httpapi"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/invite"
	"github.com/guestbridge/guestbridge/shared/notify"
	"github.com/guestbridge/guestbridge/shared/outbox"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/secret"
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
	API      *httpapi.API
	Sender   *outbox.Sender
	Sweeper  *sweep.Sweeper
	Clock    clock.Clock
	Log      *slog.Logger
}

// New wires the services. The clock is injected so tests can move time.
func New(cfg config.Config, cl config.Clients, c clock.Clock, log *slog.Logger) (*App, error) {
	keys, err := secret.Derive(cfg.Secret)
	if err != nil {
		return nil, err
	}
	st := store.New(cl.DynamoDB, cfg.Table)
	ids := identity.NewService(st, identity.NewSigner(keys.Session, c.Now), c)
	durable := store.NewLimiter(st, c)
	local := ratelimit.NewMemory(c.Now)
	inv := invite.NewService(st, c, ids, keys.Seal, durable, local, invite.Config{
		DefaultMaxGuestDays: cfg.MaxGuestDays,
		InviteLimit:         ratelimit.Rule{Name: ratelimit.InvitePerUser.Name, Limit: cfg.InvitesPerHour, Window: time.Hour},
	})
	cases := casefile.NewService(st, c)
	api := httpapi.New(httpapi.Deps{
		Identity: ids, Invites: inv, Cases: cases, Audit: st, Limiter: durable, Local: local, Log: log,
	})
	snd := outbox.NewSender(st, notify.NewMailer(cl.SES, cfg.MailFrom), notify.NewTexter(cl.SNS, cfg.SMSSenderID),
		c, keys.Seal, cfg.PublicURL, log)
	return &App{
		Config: cfg, Store: st, Identity: ids, Invites: inv, Cases: cases, API: api, Sender: snd,
		Sweeper: sweep.New(st, c, cfg.ReminderDays, log), Clock: c, Log: log,
	}, nil
}

// Handler is the HTTP handler of the API.
func (a *App) Handler() http.Handler { return a.API }
