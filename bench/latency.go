package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// Latency is the time from an outcome's publish to its event arriving at a
// subscriber, at a fixed offered load.
type Latency struct {
	P50Ms  float64 `json:"p50Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
	Events int     `json:"events"`
}

// latencyFresh times latency on a new server; latencyLoaded after the
// workloads, when the embedded server holds their streams and indexes.
func (r *runner) latencyFresh(ctx context.Context) error {
	l, err := r.latency(ctx, "latency")
	r.res.LatencyP50Ms, r.res.LatencyP99Ms, r.res.LatencyMaxMs, r.res.LatencyEvents = l.P50Ms, l.P99Ms, l.MaxMs, l.Events
	return err
}

func (r *runner) latencyLoaded(ctx context.Context) error {
	l, err := r.latency(ctx, "loaded")
	r.res.LatencyLoaded = l
	return err
}

// latency offers failed outcomes at a fixed rate to a running pipeline and
// times each from its publish to its event arriving at a subscriber.
func (r *runner) latency(ctx context.Context, name string) (Latency, error) {
	n := int(float64(r.cfg.Rate) * r.cfg.LatencyFor.Seconds())
	m := mix{name: name, integrations: r.cfg.HealthyIntegrations, failEvery: 1, nonce: r.nonce}
	before, err := r.snapshot(ctx)
	if err != nil {
		return Latency{}, err
	}
	sent := make([]time.Time, n)
	took := make([]time.Duration, n)
	var mu sync.Mutex
	arrived := 0
	prefix := m.runPrefix()
	sub, err := r.nc.Subscribe(r.subj.Events(), func(msg *nats.Msg) {
		at := time.Now()
		var ev struct {
			Data struct {
				RunID string `json:"runId"`
			} `json:"data"`
		}
		if json.Unmarshal(msg.Data, &ev) != nil || !strings.HasPrefix(ev.Data.RunID, prefix) {
			return
		}
		i, err := strconv.Atoi(strings.TrimPrefix(ev.Data.RunID, prefix))
		if err != nil || i >= n {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		// A disabled event names the run too; the first event counts.
		if took[i] == 0 {
			took[i] = at.Sub(sent[i])
			arrived++
		}
	})
	if err != nil {
		return Latency{}, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	_ = sub.SetPendingLimits(-1, -1)

	p, err := processor.NewPipeline(r.cfg.Pipeline, r.st, r.log)
	if err != nil {
		return Latency{}, err
	}
	if err := p.Start(ctx); err != nil {
		return Latency{}, err
	}
	defer p.Stop(ctx)
	r.prog.phase(fmt.Sprintf("latency: offering %s outcomes/s", thousands(r.cfg.Rate)), n)
	start := time.Now()
	interval := time.Second / time.Duration(r.cfg.Rate)
	err = workload.Publish(ctx, r.nc, n, func(i int) *nats.Msg {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		msg := m.message(r.subj, i)
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		r.prog.set(i + 1)
		return msg
	}, nil)
	if err != nil {
		return Latency{}, err
	}
	deadline := time.Now().Add(time.Minute)
	err = r.waitFor(ctx, func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if time.Now().After(deadline) {
			return false, fmt.Errorf("%w: latency: %d of %d events arrived within a minute", ErrNotVerified, arrived, n)
		}
		return arrived == n, nil
	})
	if err != nil {
		return Latency{}, err
	}
	mu.Lock()
	ds := slices.Clone(took)
	mu.Unlock()
	slices.Sort(ds)
	r.res.LatencyRate = r.cfg.Rate
	l := Latency{P50Ms: msOf(ds[n/2]), P99Ms: msOf(ds[min(n-1, n*99/100)]), MaxMs: msOf(ds[n-1]), Events: n}
	r.prog.printf("%s: %s events at %s/s: p50 %s, p99 %s, max %s", name, thousands(n), thousands(r.cfg.Rate), ms(l.P50Ms), ms(l.P99Ms), ms(l.MaxMs))
	p.Stop(ctx)
	return l, r.verify(ctx, m.name, before)
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
