package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
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

// newLogger returns a logger writing to stderr in format: "json", "console",
// or "auto", which is console when stderr (where the log goes) is a
// terminal and JSON otherwise, for a log collector.
func newLogger(format string, level zapcore.Level) (*zap.Logger, error) {
	if format == "auto" {
		format = "json"
		if term.IsTerminal(int(os.Stderr.Fd())) {
			format = "console"
		}
	}
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
		return nil, fmt.Errorf("log format %q: want auto, json or console", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(level)
	return cfg.Build()
}
