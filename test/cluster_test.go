package test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// checkModel waits until every counter matches the model, then checks that
// the stored events and disable commands are exactly the model's.
func checkModel(t *testing.T, nc *nats.Conn, model *workload.Model) {
	t.Helper()
	defer func() {
		if t.Failed() {
			logConsumers(t, nc)
		}
	}()
	checkForThenGoOn(t, 2*time.Minute, 100*time.Millisecond, func() error {
		var diffs []string
		for _, id := range model.Integrations() {
			c, ok := Counter(t, nc, id)
			if !ok {
				diffs = append(diffs, id+": no counter")
			} else if d := model.Diff(id, c); d != "" {
				diffs = append(diffs, d)
			}
		}
		if len(diffs) > 0 {
			return fmt.Errorf("%d differences: %s", len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
		}
		return nil
	})
	got, byName := map[string]int{}, map[string]int{}
	for _, name := range model.Events {
		byName[name]++
	}
	t.Logf("the model's events by name: %v", byName)
	for _, e := range StoredEvents(t, nc) {
		got[e.ID]++
		if want, ok := model.Events[e.ID]; !ok || want != e.Type {
			t.Errorf("unexpected event %s %s on %s", e.ID, e.Type, e.Subject)
		}
	}
	for id, name := range model.Events {
		if got[id] != 1 {
			t.Errorf("event %s (%s, run %s) stored %d times, want 1", id, name, model.Runs[id], got[id])
		}
	}
	disables := map[string]int{}
	for _, m := range Stored(t, nc, store.StreamCommands) {
		if strings.Contains(m.Subject, ".disable.") {
			disables[m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]]++
		}
	}
	for _, id := range model.Integrations() {
		if disables[id] != model.Disables[id] {
			t.Errorf("%s: %d disable commands, model says %d", id, disables[id], model.Disables[id])
		}
	}
}

// TestServeOnAClusterSurvivesNodeLoss runs serve against a 3-node cluster
// with replicated streams, stops one node while a runner publishes, brings it
// back, and compares the final state with the model.
func TestServeOnAClusterSurvivesNodeLoss(t *testing.T) {
	const disableAfter = 5
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	c := StartCluster(t, 3)
	s := StartServe(t, t.TempDir(), "127.0.0.1:0", "--nats-url", c.URLs(), "--replicas", "3", "--policy", polFile)
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 7, Integrations: 60, Outcomes: 1500, FailRate: 0.3, Broken: 0.15, ResendRate: 0.03})
	r := StartRunner(t, c.URLs(), w.Outcomes, 3*time.Minute)
	nc, js := r.NC, r.JS
	ctx := context.Background()
	for _, name := range []string{store.StreamRuns, store.StreamEvents, store.StreamCommands, "KV_" + store.BucketCounters} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Fatalf("%s has %d replicas, want 3", name, r)
		}
	}

	r.WaitSent(400)
	c.Stop(1)
	t.Logf("stopped node 2 after %d outcomes", r.Sent())
	r.WaitSent(1000)
	c.Restart(1)
	t.Logf("node 2 back after %d outcomes", r.Sent())
	r.Wait()
	checkModel(t, nc, w.Model(pol))
	if err := s.Terminate(30 * time.Second); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("SIGTERM: %v\n%s", err, s.Output())
	}
}

// logConsumers logs the state of every partition consumer, to tell a stuck
// partition from a lost message when a fault test fails.
func logConsumers(t *testing.T, nc *nats.Conn) {
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runs, err := js.Stream(ctx, store.StreamRuns)
	if err != nil {
		t.Logf("stream: %v", err)
		return
	}
	for p := range store.DefaultPartitions {
		c, err := runs.Consumer(ctx, fmt.Sprint(store.ConsumerPartitionPrefix, p))
		if err != nil {
			t.Logf("partition %d: %v", p, err)
			continue
		}
		i, err := c.Info(ctx)
		if err != nil {
			t.Logf("partition %d: %v", p, err)
			continue
		}
		t.Logf("partition %d: delivered %d/%d ackFloor %d/%d ackPending %d pending %d redelivered %d waiting %d pins %+v",
			p, i.Delivered.Consumer, i.Delivered.Stream, i.AckFloor.Consumer, i.AckFloor.Stream, i.NumAckPending, i.NumPending, i.NumRedelivered, i.NumWaiting, i.PriorityGroups)
	}
}

// checkForThenGoOn is CheckFor that marks the test failed but lets it go on,
// so that a fault test reports every difference, not only the first kind.
func checkForThenGoOn(t *testing.T, timeout, interval time.Duration, f func() error) {
	t.Helper()
	if err := poll(timeout, interval, f); err != nil {
		t.Errorf("not true after %s: %v", timeout, err)
	}
}
