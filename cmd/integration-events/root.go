package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "integration-events",
		Short:         "Turns integration run outcomes into integration error events, over NATS JetStream.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), demoCmd(), benchCmd(), eventsCmd(), integrationsCmd(), runsCmd(), mappingsCmd(), statusCmd())
	return root
}

func newLogger(format string, level zapcore.Level) (*zap.Logger, error) {
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
		cfg.EncoderConfig.EncodeDuration = zapcore.StringDurationEncoder
		// Every dead letter and resend is logged once: no sampling.
		cfg.Sampling = nil
	case "console":
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	default:
		return nil, fmt.Errorf("log format %q: want json or console", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(level)
	return cfg.Build()
}
