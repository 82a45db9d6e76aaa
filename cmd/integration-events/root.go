package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// allFlags is every flag of every command of cmd's binary, from the cobra
// tree: the names an INTEGRATION_EVENTS_* variable may carry, whichever
// command reads it.
func allFlags(cmd *cobra.Command) *pflag.FlagSet {
	all := pflag.NewFlagSet("all", pflag.ContinueOnError)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all.AddFlagSet(c.PersistentFlags())
		all.AddFlagSet(c.Flags())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd.Root())
	return all
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
