package test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
)

// metricsToken is the fake bearer token of the metrics tests.
const metricsToken = "prom:fake-metrics-token-0001"

// TestMetricsCountEachOutcomeOnce drives a real serve through every kind of
// outcome, a resend, a disable, enables, an action, bad input and a
// compare-and-set conflict, then scrapes GET /metrics and checks each value
// against what the store holds: every outcome counted once, whichever way
// it was applied.
func TestMetricsCountEachOutcomeOnce(t *testing.T) {
	s, nc := startServe(t, "--disable-after", "2", "--http-listen", FreePort(t), "--http-token", metricsToken)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Without the token, no metrics.
	if _, err := scrape(s.HTTP, ""); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("GET /metrics without a token: %v, want 401", err)
	}

	other := workload.Failed("m-other", "x1", subjects.StagePerform, 502)
	other.Destination = "Acme Billing"
	valid := []subjects.RunOutcome{
		workload.Succeeded("m-ok", "ok1"),
		workload.Failed("m-val", "v1", subjects.StageValidate, 0),
		workload.Failed("m-map", "m1", subjects.StageMap, 0),
		workload.Failed("m-auth", "a1", subjects.StageAuthenticate, 0),
		workload.Failed("m-perf", "p1", subjects.StagePerform, 500),
		other,
		workload.Failed("m-dis", "d1", subjects.StagePerform, 500),
		workload.Failed("m-dis", "d2", subjects.StagePerform, 500),
	}
	for _, o := range valid {
		Publish(t, nc, o)
	}
	WaitCounter(t, nc, "m-dis", Streak(2, true))
	WaitCounter(t, nc, "m-perf", Streak(1, false))
	// A resend: stored again, applied never, counted never.
	Publish(t, nc, valid[4])

	good, _ := json.Marshal(workload.Failed("m-bad", "b1", subjects.StagePerform, 500))
	bad := map[string]struct {
		subject string
		data    []byte
	}{
		"malformed_json":   {subjects.Default().Run("m-bad"), []byte(`{"runId": "b2", `)},
		"invalid_field":    {subjects.Default().Run("m-bad"), []byte(strings.Replace(string(good), `"runId":"b1"`, `"runId":""`, 1))},
		"credential_in_id": {subjects.Default().Run("m-bad"), []byte(strings.Replace(string(good), `"runId":"b1"`, `"runId":"run token=Q7xFAKE12345"`, 1))},
		"bad_subject":      {"integrations.runs.m.bad", good},
		"too_large":        {subjects.Default().Run("m-bad"), []byte(`{"runId":"` + strings.Repeat("x", subjects.MaxOutcomeBytes) + `"}`)},
	}
	for _, b := range bad {
		PublishRaw(t, nc, b.subject, b.data)
	}

	// The metrics follow the store: wait until the dead letters are counted.
	var m Metrics
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() (err error) {
		if m, err = scrape(s.HTTP, metricsToken); err != nil {
			return err
		}
		if n := m.Sum("integration_events_deadletter_total"); n != float64(len(bad)) {
			return fmt.Errorf("%v dead letters counted, want %d", n, len(bad))
		}
		return nil
	})

	// A compare-and-set conflict: another writer stores m-perf's counter
	// (as it is) under the pipeline, whose next write of it then fails and
	// is retried from a fresh read.
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx, store.BucketCounters)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "m-perf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "m-perf", e.Value()); err != nil {
		t.Fatal(err)
	}
	Publish(t, nc, workload.Failed("m-perf", "p2", subjects.StagePerform, 500))
	WaitCounter(t, nc, "m-perf", Streak(2, true))

	// Enables: of the two disabled integrations, and of one that is not.
	api := API(nc)
	for _, id := range []string{"m-dis", "m-perf", "m-ok"} {
		if _, err := api.EnableIntegration(ctx, subjects.EnableIntegrationRequest{IntegrationID: id, EnabledBy: "ops"}); err != nil {
			t.Fatalf("enable %s: %v", id, err)
		}
	}
	// An action, and the same again, which actions nothing.
	events := StoredEvents(t, nc)
	for range 2 {
		if _, err := api.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: []string{events[0].ID}, ActionedBy: "ops"}); err != nil {
			t.Fatal(err)
		}
	}

	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() (err error) {
		if m, err = scrape(s.HTTP, metricsToken); err != nil {
			return err
		}
		if v, _ := m.Value("integration_events_enabled_total"); v < 2 {
			return fmt.Errorf("%v enables counted", v)
		}
		return nil
	})
	events = StoredEvents(t, nc)
	byName := map[string]int{}
	for _, e := range events {
		byName[e.Type]++
	}
	want := map[string]float64{
		"integration_events_disabled_total":     2, // m-dis, then m-perf
		"integration_events_enabled_total":      2, // m-ok was not disabled
		"integration_events_actioned_total":     1,
		"integration_events_kv_conflicts_total": 1,
		"integration_events_events_total":       float64(len(events)),
		// ok1, 8 failures (p1 once, its resend not), p2.
		"integration_events_outcomes_total":     float64(len(valid) + 1),
		"integration_events_processing_seconds": float64(len(valid) + 1),
	}
	for name, v := range want {
		if got := m.Sum(name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	// The distinct runs applied, the resend's once; a refused copy is also
	// held when the guard read it from the stream rather than saw it
	// refused, which depends on when its epoch began.
	if got := m.Sum("integration_events_resend_window_runs"); got < float64(len(valid)+1) || got > float64(len(valid)+1+len(bad)) {
		t.Errorf("integration_events_resend_window_runs = %v, want %d to %d", got, len(valid)+1, len(valid)+1+len(bad))
	}
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"status", "succeeded", "destination", "Salesforce"}, 1},
		{[]string{"status", "failed", "destination", "Salesforce"}, float64(len(valid)) - 1},
		{[]string{"status", "failed", "destination", "other"}, 1},
		{[]string{"status", "succeeded", "destination", "other"}, 0},
		{[]string{"status", "failed", "destination", "Stripe"}, 0},
	} {
		if got, ok := m.Value("integration_events_outcomes_total", c.labels...); !ok || got != c.want {
			t.Errorf("outcomes_total%v = %v (present %v), want %v", c.labels, got, ok, c.want)
		}
	}
	if len(byName) < 5 {
		t.Errorf("events of %d kinds stored, want all 5: %v", len(byName), byName)
	}
	for _, name := range subjects.EventNames() {
		if got, ok := m.Value("integration_events_events_total", "event_name", name); !ok || got != float64(byName[name]) {
			t.Errorf("events_total{event_name=%q} = %v (present %v), %d stored", name, got, ok, byName[name])
		}
	}
	for _, reason := range []string{"malformed_json", "invalid_field", "credential_in_id", "bad_subject", "too_large", "max_deliveries", "unredactable", "other"} {
		want := 0.0
		if _, ok := bad[reason]; ok {
			want = 1
		}
		if got, ok := m.Value("integration_events_deadletter_total", "reason", reason); !ok || got != want {
			t.Errorf("deadletter_total{reason=%q} = %v (present %v), want %v", reason, got, ok, want)
		}
	}
	h := m.Series("integration_events_processing_seconds")
	if len(h) != 1 || h[0].Histogram.GetSampleSum() <= 0 || h[0].Histogram.GetSampleSum() > 60*float64(len(valid)+1) {
		t.Errorf("processing_seconds: %v", h)
	}
	pending := m.Series("integration_events_consumer_pending")
	if len(pending) != store.DefaultPartitions {
		t.Errorf("consumer_pending has %d series, want one per partition (%d)", len(pending), store.DefaultPartitions)
	}
	if n := m.Sum("integration_events_consumer_pending"); n != 0 {
		t.Errorf("consumer_pending sums to %v once everything is applied", n)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if len(m.Series(name)) == 0 {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
}

// TestConsumerPendingShowsTheBacklog stalls one partition (an
// integration's counter record is corrupt, a fault that is retried, not
// dead-lettered) and checks that consumer_pending reports the outcomes
// waiting in that partition, and only there, until it is repaired.
func TestConsumerPendingShowsTheBacklog(t *testing.T) {
	s, nc := startServe(t, "--http-listen", FreePort(t), "--http-token", metricsToken)
	const id, stuck = "backlog", 5
	Publish(t, nc, workload.Failed(id, "r0", subjects.StagePerform, 500))
	good := WaitCounter(t, nc, id, Streak(1, false))
	repair := corruptCounter(t, nc, id)
	for i := 1; i <= stuck; i++ {
		Publish(t, nc, workload.Failed(id, fmt.Sprintf("r%d", i), subjects.StagePerform, 500))
	}
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		m, err := scrape(s.HTTP, metricsToken)
		if err != nil {
			return err
		}
		var held []string
		for _, p := range m.Series("integration_events_consumer_pending") {
			if v := p.Gauge.GetValue(); v != 0 {
				held = append(held, fmt.Sprintf("%s=%v", p.GetLabel()[0].GetValue(), v))
			}
		}
		if len(held) != 1 || !strings.HasSuffix(held[0], fmt.Sprintf("=%d", stuck)) {
			return fmt.Errorf("pending by partition %v, want %d in one partition", held, stuck)
		}
		return nil
	})
	repair(good)
	WaitCounter(t, nc, id, Streak(1+stuck, false))
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		m, err := scrape(s.HTTP, metricsToken)
		if err != nil {
			return err
		}
		if p, o := m.Sum("integration_events_consumer_pending"), m.Sum("integration_events_outcomes_total"); p != 0 || o != 1+stuck {
			return fmt.Errorf("pending %v, outcomes %v, want 0 and %d", p, o, 1+stuck)
		}
		return nil
	})
}
