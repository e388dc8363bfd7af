// Package boot builds the application once per Lambda cold start from the
// environment.
package boot

import (
	"context"
	"log/slog"
	"os"

	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/config"
)

// App reads the configuration, builds the AWS clients and wires the services.
func App(ctx context.Context) (*app.App, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	slog.SetDefault(log)
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	cl, err := config.NewClients(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := config.LoadSecret(ctx, &cfg, cl); err != nil {
		return nil, err
	}
	return app.New(cfg, cl, clock.System{}, log)
}
