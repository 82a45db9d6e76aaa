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
	"github.com/integration-events/integration-events/store"
	"github.com/nats-io/nats.go"
)

// latency offers failed outcomes at a fixed rate to a running pipeline and
// times each from its publish to its event arriving at a subscriber.
func (r *runner) latency(ctx context.Context) error {
	n := int(float64(r.cfg.Rate) * r.cfg.LatencyFor.Seconds())
	m := mix{name: "latency", integrations: r.cfg.HealthyIntegrations, failEvery: 1}
	before, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	sent := make([]time.Time, n)
	took := make([]time.Duration, n)
	var mu sync.Mutex
	arrived := 0
	prefix := m.name + "-run-"
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
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	_ = sub.SetPendingLimits(-1, -1)

	p, err := processor.NewPipeline(r.cfg.Pipeline, r.st, r.log)
	if err != nil {
		return err
	}
	if err := p.Start(ctx); err != nil {
		return err
	}
	defer p.Stop(ctx)
	r.prog.phase(fmt.Sprintf("latency: offering %s outcomes/s", thousands(r.cfg.Rate)), n)
	start := time.Now()
	interval := time.Second / time.Duration(r.cfg.Rate)
	err = r.st.PublishAll(ctx, n, func(i int) store.RawMsg {
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
		return err
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
		return err
	}
	mu.Lock()
	ds := slices.Clone(took)
	mu.Unlock()
	slices.Sort(ds)
	r.res.LatencyRate, r.res.LatencyEvents = r.cfg.Rate, n
	r.res.LatencyP50Ms = msOf(ds[n/2])
	r.res.LatencyP99Ms = msOf(ds[min(n-1, n*99/100)])
	r.res.LatencyMaxMs = msOf(ds[n-1])
	r.prog.printf("latency: %s events at %s/s: p50 %s, p99 %s, max %s", thousands(n), thousands(r.cfg.Rate), ms(r.res.LatencyP50Ms), ms(r.res.LatencyP99Ms), ms(r.res.LatencyMaxMs))
	p.Stop(ctx)
	return r.verify(ctx, m.name, before)
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
