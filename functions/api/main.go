// Command api is the Lambda function behind the API Gateway HTTP API. It
// serves every /v1 route through the same net/http handler the local server
// uses, via the API Gateway payload v2 adapter.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/guestbridge/guestbridge/functions/internal/boot"
	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
)

func main() {
	a, err := start(context.Background())
	if err != nil {
		slog.Error("start api", "err", err)
		os.Exit(1)
	}
	lambda.Start(httpadapter.NewV2(a.Handler()).ProxyWithContext)
}

func start(ctx context.Context) (*app.App, error) {
	cfg, ac, log, err := boot.Load(ctx)
	if err != nil {
		return nil, err
	}
	return app.NewAPI(cfg, config.NewDynamoDB(ac, cfg), config.NewS3(ac, cfg), clock.System{}, log)
}
