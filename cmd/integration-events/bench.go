package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/integration-events/integration-events/bench"
	"github.com/integration-events/integration-events/config"
	"github.com/integration-events/integration-events/fault"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"
)

func benchCmd() *cobra.Command {
	cfg := bench.DefaultConfig()
	var jsonFile, cpuProfile, memProfile, logLevel string
	var pol policyFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the processor against raw JetStream on an embedded server, and check it applied every outcome exactly once.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Apply(cmd.Flags(), nil, allFlags(cmd), fault.Env); err != nil {
				return err
			}
			// The processor runs, and the verification's model replays,
			// under the same policy.
			var err error
			if cfg.Pipeline.Policy, err = pol.resolve(); err != nil {
				return err
			}
			var level zapcore.Level
			if err := level.Set(logLevel); err != nil {
				return err
			}
			log, err := newLogger("console", level)
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if memProfile != "" {
				f, err := os.Create(memProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				cfg.HeapProfile = f
			}
			cfg.Progress = cmd.ErrOrStderr()
			res, err := bench.Run(cmd.Context(), cfg, log)
			if res == nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			if werr := res.WriteTable(cmd.OutOrStdout()); werr != nil {
				return werr
			}
			if jsonFile != "" {
				b, jerr := json.MarshalIndent(res, "", "  ")
				if jerr != nil {
					return jerr
				}
				if werr := os.WriteFile(jsonFile, append(b, '\n'), 0o644); werr != nil {
					return werr
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&jsonFile, "json", "", "also write the figures as JSON to this file")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	f.StringVar(&memProfile, "memprofile", "", "write a heap profile, taken where the peak memory is read, to this file")
	f.StringVar(&logLevel, "log-level", "warn", "processor log level")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory for the embedded server's files (default: a temporary one, removed afterwards)")
	f.IntVar(&cfg.Baseline, "baseline", cfg.Baseline, "messages published and consumed by the raw JetStream baseline")
	f.IntVar(&cfg.Healthy, "healthy", cfg.Healthy, "outcomes of the healthy workload (95% succeeded)")
	f.IntVar(&cfg.HealthyIntegrations, "healthy-integrations", cfg.HealthyIntegrations, "integrations of the healthy workload")
	f.IntVar(&cfg.Outage, "outage", cfg.Outage, "outcomes of the outage workload (100% failed)")
	f.IntVar(&cfg.OutageIntegrations, "outage-integrations", cfg.OutageIntegrations, "integrations of the outage workload")
	f.IntVar(&cfg.Scale, "scale", cfg.Scale, "outcomes of the healthy mix at each scale point (at least one per integration)")
	f.IntSliceVar(&cfg.ScaleIntegrations, "scale-integrations", cfg.ScaleIntegrations, "integration counts of the scale points; the peak memory is read at the last")
	f.IntVar(&cfg.RunsInWindow, "runs-in-window", cfg.RunsInWindow, "distinct run ids in the resend window when the peak memory is read (the last scale point pads its untimed outcomes to reach it)")
	f.IntVar(&cfg.Rate, "rate", cfg.Rate, "offered load of the latency phase, outcomes per second")
	f.DurationVar(&cfg.LatencyFor, "latency-for", cfg.LatencyFor, "how long the latency phase offers its load")
	f.IntVar(&cfg.EventsStored, "events-stored", cfg.EventsStored, "events stored before timing the queries")
	pol.add(f)
	f.IntVar(&cfg.Pipeline.Batch, "batch", processor.DefaultBatch, "most deliveries of one partition applied together")
	f.StringVar(&cfg.NATSURL, "nats-url", "", "run on this NATS server (JetStream enabled, nothing else on it) instead of an embedded one")
	f.BoolVar(&cfg.LoopbackTCP, "loopback-tcp", false, "connect over loopback TCP instead of in-process, as serve does")
	f.IntVar(&cfg.Store.Partitions, "partitions", store.DefaultPartitions, "partitions of INTEGRATION_RUNS")
	f.IntVar(&cfg.Store.MaxAckPending, "max-ack-pending", store.DefaultConfig().MaxAckPending, "outcomes in flight per partition")
	config.AddFlag(f)
	return cmd
}
