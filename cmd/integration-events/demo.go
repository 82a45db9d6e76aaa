package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/integration-events/integration-events/config"
	"github.com/integration-events/integration-events/fault"
	"github.com/integration-events/integration-events/natsauth"
	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

// demoTrickleEvery is how often the demo's runners run once the day is
// played: often enough that the console's live update shows, seldom enough
// to read.
const demoTrickleEvery = 3 * time.Second

// demoOptions are the demo's flags.
type demoOptions struct {
	pace   time.Duration
	keep   bool
	exit   bool
	listen string
	// authFile is --nats-auth: users on the demo's embedded server.
	authFile string
	// listenGiven: the address was asked for, so it is not swapped for a
	// free one when taken.
	listenGiven bool
}

func demoCmd() *cobra.Command {
	var opts demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system in-process with simulated runners and open the console; runs until Ctrl-C (or --exit).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Apply(cmd.Flags(), nil, allFlags(cmd), fault.Env); err != nil {
				return err
			}
			// Given in the file or the environment counts as asked for.
			opts.listenGiven = cmd.Flags().Changed("http-listen")
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, cmd.OutOrStdout(), opts)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&opts.pace, "pace", 40*time.Millisecond, "pause after each simulated failed run")
	f.BoolVar(&opts.keep, "keep", false, "keep the temporary data directory")
	f.BoolVar(&opts.exit, "exit", false, "exit after the script instead of serving the console until Ctrl-C")
	f.StringVar(&opts.authFile, "nats-auth", "", "YAML users file for the embedded server, as serve's (the demo's runners connect as the processor)")
	f.StringVar(&opts.listen, "http-listen", "127.0.0.1:8080", "address of the console and the HTTP API, on loopback; when the default is taken a free port is used; empty turns it off")
	config.AddFlag(f)
	return cmd
}

func runDemo(ctx context.Context, out io.Writer, opts demoOptions) error {
	dir, err := os.MkdirTemp("", "integration-events-demo-")
	if err != nil {
		return err
	}
	if !opts.keep {
		defer os.RemoveAll(dir)
	}
	cfg := serviceConfig{NATSListen: "127.0.0.1:-1", DataDir: dir, Store: store.DefaultConfig(), Pipeline: processor.DefaultConfig(),
		HTTP: operator.HTTPConfig{Listen: opts.listen}, DrainTimeout: 10 * time.Second}
	if opts.authFile != "" {
		if cfg.NATSUsers, err = natsauth.ReadFile(opts.authFile); err != nil {
			return fmt.Errorf("--nats-auth: %w", err)
		}
	}
	if opts.listen != "" {
		if err := cfg.HTTP.Validate(); errors.Is(err, operator.ErrNoToken) {
			return fmt.Errorf("the demo serves its console without a token, so on loopback only: --http-listen 127.0.0.1:PORT, not %s", opts.listen)
		} else if err != nil {
			return err
		}
	}
	log := zap.NewNop()
	svc, err := startService(ctx, cfg, log)
	if errors.Is(err, syscall.EADDRINUSE) && !opts.listenGiven {
		fmt.Fprintf(out, "%s is in use (a serve or another demo?): the console takes a free port instead.\n", opts.listen)
		cfg.HTTP.Listen = "127.0.0.1:0"
		svc, err = startService(ctx, cfg, log)
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("the console cannot listen on %s, which is in use (a serve or another demo?): give another address, or --http-listen 127.0.0.1:0 for any free port", cfg.HTTP.Listen)
	}
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
		defer cancel()
		svc.Stop(sctx)
	}()
	nc, err := nats.Connect(svc.ClientURL, svc.InternalOptions()...)
	if err != nil {
		return err
	}
	defer nc.Close()
	subj := subjects.Default()
	console := ""
	if addr := svc.HTTPAddr(); addr != "" {
		console = "http://" + addr + "/"
	}
	fmt.Fprintf(out, "integration-events demo: embedded NATS at %s, data in %s\n", svc.ClientURL, dir)
	if console != "" {
		fmt.Fprintf(out, "\n    Console: %s\n\n", console)
	}

	const row = "%-14s  %-39s  %-16s  %-6s  %-23s  %s\n"
	var mu sync.Mutex
	received := 0
	disabled := map[string]subjects.DisableCommand{}
	fmt.Fprintf(out, "The last %d hours of six integrations' runs, then live runs; their events as they arrive:\n", workload.DayHours)
	fmt.Fprintf(out, row, "TIME (UTC)", "EVENT", "INTEGRATION", "STREAK", "FOLLOW-UP", "MESSAGE")
	sub, err := nc.Subscribe(subj.Events(), func(m *nats.Msg) {
		var ce struct {
			Time time.Time          `json:"time"`
			Data subjects.EventData `json:"data"`
		}
		if json.Unmarshal(m.Data, &ce) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		received++
		d := ce.Data
		fmt.Fprintf(out, row, ce.Time.UTC().Format("01-02 15:04:05"), d.EventName, d.IntegrationID,
			fmt.Sprintf("%d/%d", d.ConsecutiveFailures, d.DisableAfter), d.FollowUp.Action, gist(d, 160))
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	dsub, err := nc.Subscribe(subj.Disable("*"), func(m *nats.Msg) {
		var c subjects.DisableCommand
		if json.Unmarshal(m.Data, &c) == nil {
			mu.Lock()
			disabled[c.IntegrationID] = c
			mu.Unlock()
		}
	})
	if err != nil {
		return err
	}
	defer dsub.Unsubscribe()
	stopped := func() error {
		fmt.Fprintln(out, "\nstopping the demo")
		return nil
	}

	// The day, backdated, so the console's chart and dates look like one.
	// Only failures raise events; the pause after each keeps their order.
	failures := 0
	for _, o := range workload.Day(time.Now()) {
		b, _ := json.Marshal(o)
		if err := nc.Publish(subj.Run(o.IntegrationID), b); err != nil {
			return err
		}
		if o.Failure == nil {
			continue
		}
		failures++
		select {
		case <-ctx.Done():
			return stopped()
		case <-time.After(opts.pace):
		}
	}
	want := failures + 2 // every failure, and NetSuite's and Xero's disabled events
	for deadline := time.Now().Add(30 * time.Second); ; {
		mu.Lock()
		done := received >= want && len(disabled) == 2
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d events and %d of 2 disable commands within 30s", received, want, len(disabled))
		}
		select {
		case <-ctx.Done():
			return stopped()
		case <-time.After(20 * time.Millisecond):
		}
	}
	mu.Lock()
	for _, id := range []string{workload.DayNetSuite, workload.DayXero} {
		c := disabled[id]
		fmt.Fprintf(out, "\ndisable command for %s (episode %d): %s", c.IntegrationID, c.Episode, clip(c.Reason, 160))
	}
	fmt.Fprintln(out)
	mu.Unlock()

	// The operator follows up: actions the Salesforce events and re-enables
	// NetSuite; Xero is left for whoever opens the console.
	api := operator.NewClient(nc, subj)
	page, err := api.ListEvents(ctx, subjects.ListEventsRequest{IntegrationID: workload.DaySalesforce})
	if ctx.Err() != nil {
		return stopped()
	}
	if err != nil {
		return err
	}
	ids := make([]string, len(page.Data))
	for i, r := range page.Data {
		ids[i] = r.ID
	}
	acted, err := api.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: ids, ActionedBy: "demo-operator", Note: "fixed the bill data"})
	if ctx.Err() != nil {
		return stopped()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "actioned %d %s events\n", len(acted.Actioned), workload.DaySalesforce)
	counter, err := api.EnableIntegration(ctx, subjects.EnableIntegrationRequest{IntegrationID: workload.DayNetSuite, EnabledBy: "demo-operator", Reason: "new NetSuite token issued"})
	if ctx.Err() != nil {
		return stopped()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "re-enabled %s: disabled=%t consecutiveFailures=%d episode=%d\n", workload.DayNetSuite, counter.Disabled, counter.ConsecutiveFailures, counter.Episode)
	if page, err = api.ListEvents(ctx, subjects.ListEventsRequest{PageSize: 5}); err != nil {
		if ctx.Err() != nil {
			return stopped()
		}
		return err
	}
	fmt.Fprintf(out, "\nnewest not-actioned events (events list --page-size 5):\n")
	printEvents(out, page.Data)

	if opts.exit {
		return nil
	}
	if console != "" {
		fmt.Fprintf(out, "\n%s is still disabled: re-enable it at %sintegrations/%s\n", workload.DayXero, console, workload.DayXero)
		fmt.Fprintf(out, "\n    Console: %s\n\n", console)
	}
	fmt.Fprintf(out, "The runners go on, a run every %s (every sixth fails); the demo runs until Ctrl-C.\n", demoTrickleEvery)
	tick := time.NewTicker(demoTrickleEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return stopped()
		case <-tick.C:
		}
		o := workload.Trickle(n, time.Now())
		b, _ := json.Marshal(o)
		if err := nc.Publish(subj.Run(o.IntegrationID), b); err != nil {
			return err
		}
	}
}
