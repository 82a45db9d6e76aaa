package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
)

// envPrefix prefixes the environment variable of every flag.
const envPrefix = "INTEGRATION_EVENTS_"

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "integration-events",
		Short:         "Turns integration run outcomes into integration error events, over NATS JetStream.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), demoCmd(), benchCmd(), eventsCmd(), integrationsCmd(), runsCmd(), mappingsCmd())
	return root
}

// bindEnv gives every flag of cmd not set on the command line the value of its
// INTEGRATION_EVENTS_* variable, e.g. --data-dir from INTEGRATION_EVENTS_DATA_DIR.
func bindEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, serr)
			}
		}
	})
	return err
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
