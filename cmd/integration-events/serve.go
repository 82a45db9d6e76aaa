package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/integration-events/integration-events/config"
	"github.com/integration-events/integration-events/fault"
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
		token     string
		tokenFile string
		natsFlags natsServeFlags
		pol       policyFlags
	)
	cfg.Store = store.DefaultConfig()
	cfg.Pipeline = processor.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the processor and its operator API (embeds a NATS server unless --nats-url is given).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Apply(cmd.Flags(), nil, allFlags(cmd), fault.Env); err != nil {
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
			if err := natsFlags.apply(&cfg); err != nil {
				return err
			}
			if cfg.HTTP.Tokens, err = httpTokens(token, tokenFile); err != nil {
				return err
			}
			if cfg.Pipeline.Policy, err = pol.resolve(); err != nil {
				return err
			}
			err = cfg.Validate()
			if errors.Is(err, operator.ErrNoToken) {
				return fmt.Errorf("refusing to serve the HTTP API on %s, beyond loopback, without a token: give --http-token or --http-token-file (or INTEGRATION_EVENTS_HTTP_TOKEN or _FILE), listen on loopback, or turn it off with --http-listen ''", cfg.HTTP.Listen)
			}
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			svc, err := startService(ctx, cfg, log)
			if err != nil {
				return err
			}
			log.Sugar().Infow("integration-events ready",
				"nats", svc.ClientURL, "embedded", cfg.NATSURL == "", "dataDir", cfg.DataDir,
				"subjectRoot", root, "policy", pol.file, "disableAfter", cfg.Pipeline.Policy.Top().DisableAfter, "eventRetention", cfg.Store.EventRetention,
				"http", svc.HTTPAddr(), "httpTokens", len(cfg.HTTP.Tokens), "config", cmd.Flag(config.FlagName).Value.String(),
				"natsUsers", len(cfg.NATSUsers), "natsTLS", cfg.NATSCreds.TLSCert != "")
			<-ctx.Done()
			log.Info("stopping: finishing in-flight messages")
			sctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
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
	natsFlags.add(f)
	pol.add(f)
	f.StringVar(&root, "subject-root", subjects.DefaultRoot, "root token of every subject")
	f.DurationVar(&cfg.Store.EventRetention, "event-retention", cfg.Store.EventRetention, "how long events are kept")
	f.IntVar(&cfg.Store.Replicas, "replicas", cfg.Store.Replicas, "replicas of every stream and KV bucket (3 on a 3-node cluster)")
	f.IntVar(&cfg.Store.Partitions, "partitions", cfg.Store.Partitions, "partitions of INTEGRATION_RUNS; fixed for the life of a deployment, the same on every replica")
	f.DurationVar(&cfg.Store.AckWait, "ack-wait", cfg.Store.AckWait, "how long a delivered message may stay unacknowledged before JetStream redelivers it")
	f.IntVar(&cfg.Store.MaxDeliver, "max-deliver", cfg.Store.MaxDeliver, "deliveries without an acknowledgement before JetStream gives up on a message (it is then dead-lettered)")
	f.IntVar(&cfg.Store.MaxAckPending, "max-ack-pending", cfg.Store.MaxAckPending, "outcomes in flight per partition")
	f.IntVar(&cfg.Pipeline.Batch, "batch", processor.DefaultBatch, "most deliveries of one partition applied together, one round trip per step")
	f.DurationVar(&cfg.Pipeline.BatchTimeout, "batch-timeout", cfg.Pipeline.BatchTimeout, "how long a batch's writes may take before it is applied one delivery at a time; under --ack-wait")
	f.DurationVar(&cfg.Store.RunRetention, "run-retention", cfg.Store.RunRetention, "how long outcomes are kept in INTEGRATION_RUNS; at least --resend-window and 2m")
	f.DurationVar(&cfg.Store.ResendWindow, "resend-window", cfg.Store.ResendWindow, "how long a run id is remembered, so that a resend is counted once")
	f.DurationVar(&cfg.Pipeline.Heartbeat, "heartbeat", cfg.Pipeline.Heartbeat, "how often a replica renews its membership and rebalances partitions; at most half of --member-ttl")
	f.DurationVar(&cfg.Store.MemberTTL, "member-ttl", cfg.Store.MemberTTL, "how long a replica counts as live after its last heartbeat")
	f.DurationVar(&cfg.Store.PinnedTTL, "pinned-ttl", cfg.Store.PinnedTTL, "how long a partition stays pinned to a replica that stopped pulling before the server hands it to another")
	f.StringVar(&cfg.HTTP.Listen, "http-listen", "127.0.0.1:8080", "address of the HTTP API; empty turns it off; beyond loopback it needs a token")
	f.StringVar(&token, "http-token", "", "bearer token of the HTTP API, NAME:SECRET or SECRET (named \"token\"); NAME is who actions and enables with it")
	f.StringVar(&tokenFile, "http-token-file", "", "file of HTTP API tokens, one NAME:SECRET a line")
	f.StringVar(&logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal, json otherwise)")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&cfg.DrainTimeout, "drain-timeout", 30*time.Second, "how long a stop may take to finish in-flight messages; at least --ack-wait")
	config.AddFlag(f)
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
