// Command sender is the Lambda function that delivers outbox messages. The
// table's stream invokes it for each new message, so mail goes out at once;
// an EventBridge schedule invokes it every minute for retries that are due.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/guestbridge/guestbridge/functions/internal/boot"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
	"github.com/guestbridge/guestbridge/shared/notify"
	"github.com/guestbridge/guestbridge/shared/outbox"
)

func main() {
	s, log, err := start(context.Background())
	if err != nil {
		slog.Error("start sender", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (events.DynamoDBEventResponse, error) {
		return handle(ctx, s, log, raw)
	})
}

func start(ctx context.Context) (*outbox.Sender, *slog.Logger, error) {
	cfg, ac, log, err := boot.Load(ctx)
	if err != nil {
		return nil, log, err
	}
	s, err := notify.NewSender(cfg, config.NewDynamoDB(ac, cfg), ac, clock.System{}, log)
	return s, log, err
}

// handle delivers the messages named by a stream batch, reporting the ones that
// could not be recorded as batch item failures so only those are retried; a
// scheduled event delivers whatever is due.
func handle(ctx context.Context, s *outbox.Sender, log *slog.Logger, raw json.RawMessage) (events.DynamoDBEventResponse, error) {
	var batch events.DynamoDBEvent
	if err := json.Unmarshal(raw, &batch); err != nil || len(batch.Records) == 0 {
		n, err := s.DeliverDue(ctx)
		log.InfoContext(ctx, "scheduled delivery", "sent", n, "err", err)
		// The scheduled run measures the backlog once a minute, so the
		// metric keeps flowing when no new message arrives and the alarm
		// sees a queue that stopped moving.
		if left, age, berr := s.Backlog(ctx); berr != nil {
			log.ErrorContext(ctx, "outbox backlog not measured", "err", berr)
		} else if werr := writeBacklogMetrics(os.Stdout, time.Now(), left, age); werr != nil {
			log.ErrorContext(ctx, "outbox backlog metric not written", "err", werr)
		}
		return events.DynamoDBEventResponse{}, err
	}
	var resp events.DynamoDBEventResponse
	for _, rec := range batch.Records {
		pk := rec.Change.Keys["PK"].String()
		id, ok := strings.CutPrefix(pk, "OUTBOX#")
		if !ok || rec.EventName != "INSERT" {
			continue
		}
		if err := s.Deliver(ctx, id); err != nil {
			log.ErrorContext(ctx, "delivery not recorded", "message", id, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return resp, nil
}
