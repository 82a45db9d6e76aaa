// Package bench measures the processor against raw JetStream on the same
// embedded server, with the same payloads, in one run, and checks after
// every processor run that nothing was lost or applied twice.
package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/google/uuid"
	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// ErrNotVerified is returned when a processor run's final state differs
// from what its workload implies.
var ErrNotVerified = errors.New("exactly-once check failed")

// runner holds what the phases share.
type runner struct {
	cfg  Config
	st   *store.Store
	nc   *nats.Conn
	js   jetstream.JetStream
	subj subjects.Subjects
	log  *zap.Logger
	res  *Result
	prog *progress
	// nonce prefixes the integrations of this run.
	nonce string
	// runsStored counts the outcomes the processor runs have stored, each
	// with a run id of its own.
	runsStored int
}

// Run runs every phase on one embedded server and returns the figures. A
// result is returned with Verified false, and ErrNotVerified, when a
// processor run did not match the reference model.
func Run(ctx context.Context, cfg Config, log *zap.Logger) (*Result, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench config: %w", err)
	}
	began := time.Now()
	url, opts := cfg.NATSURL, []nats.Option{nats.Name("integration-events-bench")}
	if url == "" {
		dir := cfg.DataDir
		if dir == "" {
			tmp, err := os.MkdirTemp("", "integration-events-bench-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}
		srv, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", DataDir: dir, Name: "bench"})
		if err != nil {
			return nil, err
		}
		defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
		url = srv.ClientURL()
		if !cfg.LoopbackTCP {
			opts = append(opts, nats.InProcessServer(srv))
		}
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact.URLs(url), redact.URLError(err, url))
	}
	defer nc.Close()
	st, err := store.Open(ctx, nc, cfg.Store, log)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, st: st, nc: nc, js: js, subj: st.Subjects(), log: log,
		res:  &Result{Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()), Verified: true, Connection: connection(cfg)},
		prog: newProgress(cfg.Progress), nonce: uuid.NewString()[:4] + "-"}
	defer r.prog.stop()
	var notVerified error
	for _, phase := range []func(context.Context) error{r.baseline, r.latencyFresh, r.healthy, r.outage, r.scale, r.latencyLoaded, r.query} {
		err := phase(ctx)
		if errors.Is(err, ErrNotVerified) {
			r.res.Verified = false
			notVerified = errors.Join(notVerified, err)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	r.res.Seconds = time.Since(began).Seconds()
	r.res.Targets = targets(r.res)
	return r.res, notVerified
}

func healthyMix(name string, integrations int) mix {
	return mix{name: name, integrations: integrations, failEvery: 20}
}

func (r *runner) healthy(ctx context.Context) error {
	rate, err := r.process(ctx, healthyMix("healthy", r.cfg.HealthyIntegrations), r.cfg.Healthy, nil)
	r.res.HealthyPerSec = rate
	return err
}

func (r *runner) outage(ctx context.Context) error {
	m := mix{name: "outage", integrations: r.cfg.OutageIntegrations, failEvery: 1, enableAfter: r.cfg.Pipeline.Policy.Top().DisableAfter}
	rate, err := r.process(ctx, m, r.cfg.Outage, nil)
	r.res.OutagePerSec = rate
	return err
}

// scale runs the healthy mix at each integration count; the peak memory is
// read over the last. Each integration's first outcome is not timed: it is
// the one that loads (and for a new integration, stores) its counter, so
// timing only the Scale outcomes after it compares the same work per
// outcome at every count. The last point applies more untimed outcomes
// when that is what it takes to have RunsInWindow runs in the resend
// window at the peak.
func (r *runner) scale(ctx context.Context) error {
	var errs error
	for i, n := range r.cfg.ScaleIntegrations {
		m := healthyMix(fmt.Sprintf("scale%d", n), n)
		m.untimed = n
		var atEnd func(*processor.Pipeline)
		if i == len(r.cfg.ScaleIntegrations)-1 {
			m.untimed = max(n, r.cfg.RunsInWindow-r.runsStored-r.cfg.Scale)
			resetPeakRSS()
			atEnd = func(p *processor.Pipeline) {
				r.res.PeakRSSBytes, r.res.Integrations = peakRSS(), n
				r.res.RunsInResendWindow = p.RunsInResendWindow()
				if r.cfg.HeapProfile != nil {
					runtime.GC()
					_ = pprof.WriteHeapProfile(r.cfg.HeapProfile)
				}
			}
		}
		rate, err := r.process(ctx, m, m.untimed+r.cfg.Scale, atEnd)
		r.res.ScalePerSec = append(r.res.ScalePerSec, ScalePoint{Integrations: n, PerSec: rate})
		if !errors.Is(err, ErrNotVerified) && err != nil {
			return err
		}
		errs = errors.Join(errs, err)
	}
	return errs
}

// process stores a workload of n outcomes (and its enables), then starts a
// pipeline and times it until every message is applied and acknowledged.
// atEnd, when set, runs before the pipeline stops. The run is verified
// against the reference model of what was stored.
func (r *runner) process(ctx context.Context, m mix, n int, atEnd func(*processor.Pipeline)) (rate float64, err error) {
	m.nonce = r.nonce
	before, err := r.snapshot(ctx)
	if err != nil {
		return 0, err
	}
	count, next := m.messages(r.subj, n)
	r.prog.phase(m.name+": storing outcomes", count)
	if err := workload.Publish(ctx, r.nc, count, next, func(i int, _ uint64) { r.prog.set(i + 1) }); err != nil {
		return 0, err
	}
	// Enables reach INTEGRATION_RUNS through a source: wait for them too.
	if err := r.waitFor(ctx, func() (bool, error) {
		last, err := r.lastRunSeq(ctx)
		return last >= before.runs+uint64(count), err
	}); err != nil {
		return 0, fmt.Errorf("%s: outcomes not all stored: %w", m.name, err)
	}
	runtime.GC()

	r.prog.phase(m.name+": processing", count)
	p, err := processor.NewPipeline(r.cfg.Pipeline, r.st, r.log)
	if err != nil {
		return 0, err
	}
	start, from := time.Now(), 0
	if err := p.Start(ctx); err != nil {
		return 0, err
	}
	timing := m.untimed == 0
	err = r.waitFor(ctx, func() (bool, error) {
		left, err := r.backlog(ctx)
		applied := count - int(left)
		r.prog.set(applied)
		if !timing && applied >= m.untimed {
			timing, start, from = true, time.Now(), applied
		}
		return left == 0, err
	})
	elapsed := time.Since(start)
	if err == nil && atEnd != nil {
		atEnd(p)
	}
	r.runsStored += n
	p.Stop(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", m.name, err)
	}
	rate = float64(count-from) / elapsed.Seconds()
	r.prog.printf("%s: %s messages over %s integrations in %s: %s", m.name, thousands(count-from), thousands(m.integrations), elapsed.Round(time.Millisecond), perSec(rate))
	return rate, r.verify(ctx, m.name, before)
}

// waitFor polls done until it says so, an error, or ctx ends.
func (r *runner) waitFor(ctx context.Context, done func() (bool, error)) error {
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func connection(cfg Config) string {
	switch {
	case cfg.NATSURL != "":
		return "separate NATS server"
	case cfg.LoopbackTCP:
		return "embedded server, loopback TCP"
	}
	return "embedded server, in-process"
}
