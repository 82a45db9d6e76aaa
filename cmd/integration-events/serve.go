package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"
)

func serveCmd() *cobra.Command {
	var (
		cfg       serviceConfig
		root      string
		logFormat string
		logLevel  string
		drain     time.Duration
		token     string
		tokenFile string
	)
	cfg.Store = store.DefaultConfig()
	cfg.Pipeline = processor.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the processor and its operator API (embeds a NATS server unless --nats-url is given).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			var lvl zapcore.Level
			if err := lvl.Set(logLevel); err != nil {
				return err
			}
			log, err := newLogger(logFormat, lvl)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			if cfg.Store.Subjects, err = subjects.New(root); err != nil {
				return err
			}
			if cfg.HTTP.Tokens, err = httpTokens(token, tokenFile); err != nil {
				return err
			}
			if cfg.HTTP.Listen != "" {
				err := cfg.HTTP.Validate()
				if errors.Is(err, operator.ErrNoToken) {
					return fmt.Errorf("refusing to serve the HTTP API on %s, beyond loopback, without a token: give --http-token or --http-token-file (or INTEGRATION_EVENTS_HTTP_TOKEN or _FILE), listen on loopback, or turn it off with --http-listen ''", cfg.HTTP.Listen)
				}
				if err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			svc, err := startService(ctx, cfg, log)
			if err != nil {
				return err
			}
			log.Sugar().Infow("integration-events ready",
				"nats", svc.ClientURL, "embedded", cfg.NATSURL == "", "dataDir", cfg.DataDir,
				"subjectRoot", root, "disableAfter", cfg.Pipeline.DisableAfter, "eventRetention", cfg.Store.EventRetention,
				"http", svc.HTTPAddr(), "httpTokens", len(cfg.HTTP.Tokens))
			<-ctx.Done()
			log.Info("stopping: finishing in-flight messages")
			sctx, cancel := context.WithTimeout(context.Background(), drain)
			defer cancel()
			svc.Stop(sctx)
			log.Info("stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "./data", "directory of the embedded server's JetStream files")
	f.StringVar(&cfg.NATSURL, "nats-url", "", "connect to this NATS server or cluster instead of embedding one")
	f.StringVar(&cfg.NATSListen, "nats-listen", "127.0.0.1:4222", "client address of the embedded server")
	f.IntVar(&cfg.Pipeline.DisableAfter, "disable-after", cfg.Pipeline.DisableAfter, "successive failures that disable an integration")
	f.StringVar(&root, "subject-root", subjects.DefaultRoot, "root token of every subject")
	f.DurationVar(&cfg.Store.EventRetention, "event-retention", cfg.Store.EventRetention, "how long events are kept")
	f.IntVar(&cfg.Store.Replicas, "replicas", cfg.Store.Replicas, "replicas of every stream and KV bucket (3 on a 3-node cluster)")
	f.IntVar(&cfg.Store.Partitions, "partitions", cfg.Store.Partitions, "partitions of INTEGRATION_RUNS; fixed for the life of a deployment, the same on every replica")
	f.DurationVar(&cfg.Store.AckWait, "ack-wait", cfg.Store.AckWait, "how long a delivered message may stay unacknowledged before JetStream redelivers it")
	f.IntVar(&cfg.Store.MaxDeliver, "max-deliver", cfg.Store.MaxDeliver, "deliveries without an acknowledgement before JetStream gives up on a message (it is then dead-lettered)")
	f.IntVar(&cfg.Pipeline.Batch, "batch", processor.DefaultBatch, "most deliveries of one partition applied together, one round trip per step")
	f.StringVar(&cfg.HTTP.Listen, "http-listen", "127.0.0.1:8080", "address of the HTTP API; empty turns it off; beyond loopback it needs a token")
	f.StringVar(&token, "http-token", "", "bearer token of the HTTP API, NAME:SECRET or SECRET (named \"token\"); NAME is who actions and enables with it")
	f.StringVar(&tokenFile, "http-token-file", "", "file of HTTP API tokens, one NAME:SECRET a line")
	f.StringVar(&logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal, json otherwise)")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&drain, "drain-timeout", 30*time.Second, "how long a stop may take to finish in-flight messages")
	return cmd
}

// httpTokens returns the tokens of --http-token and --http-token-file.
// Errors name the flag, never the secret.
func httpTokens(token, file string) ([]operator.Token, error) {
	var out []operator.Token
	if token != "" {
		t, err := operator.ParseToken(token)
		if err != nil {
			return nil, fmt.Errorf("--http-token: %w", err)
		}
		out = append(out, t)
	}
	if file != "" {
		ts, err := operator.ReadTokenFile(file)
		if err != nil {
			return nil, fmt.Errorf("--http-token-file: %w", err)
		}
		out = append(out, ts...)
	}
	return out, nil
}
