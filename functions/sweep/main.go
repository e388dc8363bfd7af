// Command sweep is the Lambda function the EventBridge schedule runs: it
// deactivates guests whose period ended and sends reminders before the end.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/guestbridge/guestbridge/functions/internal/boot"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/sweep"
)

func main() {
	cfg, ac, log, err := boot.Load(context.Background())
	if err != nil {
		slog.Error("start sweep", "err", err)
		os.Exit(1)
	}
	s, err := app.NewSweeper(cfg, config.NewDynamoDB(ac, cfg), clock.System{}, log)
	if err != nil {
		slog.Error("start sweep", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context) (sweep.Result, error) {
		res, err := s.Run(ctx)
		log.InfoContext(ctx, "sweep done", "expired", res.Expired, "reminded", res.Reminded, "err", err)
		return res, err
	})
}
