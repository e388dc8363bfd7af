// Package allinone wires every Guestbridge function into one process: the
// API, the outbox sender and the sweep. The local server and the flow tests
// use it; each Lambda function wires only its own part, to stay small.
package allinone

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/notify"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

// System is the API and sweep with the sender beside them.
type System struct {
	*app.App
	Sender *outbox.Sender
}

// New wires everything from cfg; dbOptions adjust the DynamoDB client (a call
// meter in benchmarks, say).
func New(ctx context.Context, cfg config.Config, c clock.Clock, log *slog.Logger, dbOptions ...func(*dynamodb.Options)) (*System, error) {
	ac, err := config.AWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db := config.NewDynamoDB(ac, cfg, dbOptions...)
	a, err := app.NewAPI(cfg, db, config.NewS3(ac, cfg), c, log)
	if err != nil {
		return nil, err
	}
	if a.Sweeper, err = app.NewSweeper(cfg, db, c, log); err != nil {
		return nil, err
	}
	snd, err := notify.NewSender(cfg, db, ac, c, log)
	if err != nil {
		return nil, err
	}
	return &System{App: a, Sender: snd}, nil
}
