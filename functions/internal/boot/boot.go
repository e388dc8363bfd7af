// Package boot reads the configuration and the AWS configuration once per
// Lambda cold start.
package boot

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/guestbridge/guestbridge/shared/config"
)

// Load returns the configuration (with the secret read from Secrets Manager
// when GB_SECRET_ARN is set), the AWS configuration and a JSON logger.
func Load(ctx context.Context) (config.Config, aws.Config, *slog.Logger, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	slog.SetDefault(log)
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, aws.Config{}, log, err
	}
	ac, err := config.AWS(ctx, cfg)
	if err != nil {
		return cfg, ac, log, err
	}
	if err := config.LoadSecret(ctx, &cfg, ac); err != nil {
		return cfg, ac, log, err
	}
	return cfg, ac, log, nil
}
