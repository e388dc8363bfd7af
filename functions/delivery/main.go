// Command delivery is the Lambda function that records what SES and SNS
// report after they accepted a message: SES delivery, bounce and complaint
// events (the configuration set's SNS topic) and SNS SMS delivery status
// records (a CloudWatch Logs subscription on the SMS status log groups). It
// reads and writes only the table; it sends nothing.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/delivery"
	"github.com/guestbridge/guestbridge/shared/store"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	st, err := start(context.Background())
	if err != nil {
		log.Error("start delivery", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) error {
		return delivery.Handle(ctx, st, log, raw)
	})
}

// start needs only the table: the function holds no secret and no
// sending right.
func start(ctx context.Context) (*store.Store, error) {
	cfg := config.Config{Table: os.Getenv("GB_TABLE"), Region: os.Getenv("AWS_REGION")}
	if cfg.Table == "" {
		return nil, errors.New("GB_TABLE is empty")
	}
	ac, err := config.AWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return store.New(config.NewDynamoDB(ac, cfg), cfg.Table), nil
}
