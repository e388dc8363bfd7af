// Command sweep is the Lambda function the EventBridge schedule runs: it
// deactivates guests whose period ended and sends reminders before the end.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/guestbridge/guestbridge/functions/internal/boot"
	"github.com/guestbridge/guestbridge/shared/sweep"
)

func main() {
	a, err := boot.App(context.Background())
	if err != nil {
		slog.Error("start sweep", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context) (sweep.Result, error) {
		res, err := a.Sweeper.Run(ctx)
		a.Log.InfoContext(ctx, "sweep done", "expired", res.Expired, "reminded", res.Reminded, "err", err)
		return res, err
	})
}
