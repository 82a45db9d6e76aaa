package test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// corruptCounter overwrites an integration's counter record with bytes that
// do not parse, as a faulty tool might, and returns a function that writes a
// good record back.
func corruptCounter(t *testing.T, nc *nats.Conn, id string) (repair func(subjects.FailureCounter)) {
	t.Helper()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, store.BucketCounters)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, id, []byte("{not a counter")); err != nil {
		t.Fatal(err)
	}
	return func(good subjects.FailureCounter) {
		t.Helper()
		b, _ := json.Marshal(good)
		if _, err := kv.Put(ctx, id, b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAStoreFaultIsRetriedNotDeadLettered corrupts one integration's counter
// record in KV, a fault that is not the input's: its next outcome must be
// retried with backoff (not dead-lettered) while the integrations of every
// other partition go on; once the record is repaired the outcome is applied
// exactly once and the integrations queued behind it follow.
func TestAStoreFaultIsRetriedNotDeadLettered(t *testing.T) {
	s, nc := startServe(t, "--disable-after", "50")
	dead := subscribe(t, nc, "integrations.deadletter")
	const poison = "poison-int"
	Publish(t, nc, workload.Failed(poison, "p1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(poison, "p2", subjects.StagePerform, 500))
	good := WaitCounter(t, nc, poison, Streak(2, false))

	repair := corruptCounter(t, nc, poison)
	Publish(t, nc, workload.Failed(poison, "p3", subjects.StagePerform, 500))

	// Others go on, in every partition, while the poisoned one is retried.
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 9, Integrations: 64, Outcomes: 400, FailRate: 0.3})
	for _, o := range w.Outcomes {
		Publish(t, nc, o)
	}
	model := w.Model(policy.After(50))
	stuck := subjects.PartitionOf(poison, store.DefaultPartitions)
	var elsewhere []string
	for _, id := range model.Integrations() {
		if subjects.PartitionOf(id, store.DefaultPartitions) != stuck {
			elsewhere = append(elsewhere, id)
		}
	}
	agree := func(ids []string) func() error {
		return func() error {
			for _, id := range ids {
				c, ok := Counter(t, nc, id)
				if !ok {
					return fmt.Errorf("%s: no counter", id)
				}
				if d := model.Diff(id, c); d != "" {
					return fmt.Errorf("%s", d)
				}
			}
			return nil
		}
	}
	CheckFor(t, time.Minute, 50*time.Millisecond, agree(elsewhere))
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if n := strings.Count(s.Output(), "step failed, retrying"); n < 3 {
			return fmt.Errorf("%d retries logged", n)
		}
		return nil
	})
	if !strings.Contains(s.Output(), "is not a FailureCounter") {
		t.Fatalf("the retry does not say why:\n%s", s.Output())
	}
	t.Logf("%d integrations of the %d other partitions applied while %s was retried", len(elsewhere), store.DefaultPartitions-1, poison)

	// Repair the record: p3 is applied once, on top of p1 and p2.
	repair(good)
	c := WaitCounter(t, nc, poison, Streak(3, false))
	if c.LastRunID != "p3" {
		t.Fatalf("after repair: %+v", c)
	}
	if n := storedEventsOf(t, nc, poison); n != 3 {
		t.Fatalf("%s has %d events, want 3", poison, n)
	}
	CheckFor(t, 30*time.Second, 50*time.Millisecond, agree(model.Integrations()))
	if got := len(dead.all()); got != 0 {
		t.Fatalf("%d dead letters for a fault that is not the input's", got)
	}
}

// TestUndeliveredMessagesAreDeadLettered makes JetStream give up on messages:
// a one-second ack wait, at most two deliveries, one lane, and an outcome
// stuck on a corrupted counter with others queued behind it. The
// max-deliveries advisories must turn into dead-letter records holding the
// messages; once the counter is repaired everything is applied once.
func TestUndeliveredMessagesAreDeadLettered(t *testing.T) {
	s, nc := startServe(t, "--ack-wait", "1s", "--batch-timeout", "500ms", "--max-deliver", "2", "--batch", "1", "--http-listen", FreePort(t))
	dead := subscribe(t, nc, "integrations.deadletter")
	const poison = "stuck-int"
	queued := probeIn(subjects.PartitionOf(poison, store.DefaultPartitions), store.DefaultPartitions, "queued")
	Publish(t, nc, workload.Failed(poison, "s1", subjects.StagePerform, 500))
	good := WaitCounter(t, nc, poison, Streak(1, false))
	repair := corruptCounter(t, nc, poison)
	Publish(t, nc, workload.Failed(poison, "s2", subjects.StagePerform, 500))
	for _, run := range []string{"q1", "q2", "q3"} {
		Publish(t, nc, workload.Failed(queued, run, subjects.StageValidate, 0))
	}
	got := dead.waitCount(t, 3)
	for _, m := range got {
		var dl subjects.DeadLetter
		if err := json.Unmarshal(m.Data, &dl); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(dl.Reason, "not acknowledged after 2 deliveries") || dl.OriginalSubject != subjects.Default().Run(queued) || !strings.Contains(dl.Payload, `"integrationId":"`+queued+`"`) {
			t.Fatalf("dead letter %+v", dl)
		}
	}
	// The stuck outcome itself stays in progress: it is retried, never given up.
	repair(good)
	WaitCounter(t, nc, poison, Streak(2, false))
	WaitCounter(t, nc, queued, Streak(3, false))
	if n := len(dead.all()); n != 3 {
		t.Fatalf("%d dead letters, want the 3 queued messages", n)
	}
	if n := storedEventsOf(t, nc, queued); n != 3 {
		t.Fatalf("%s has %d events, want 3", queued, n)
	}
	// Counted as such, once each, though applied later too.
	m := Scrape(t, s.HTTP, "")
	if v, _ := m.Value("integration_events_deadletter_total", "reason", "max_deliveries"); v != 3 || m.Sum("integration_events_deadletter_total") != 3 {
		t.Errorf("deadletter_total{reason=max_deliveries} = %v of %v, want 3 of 3", v, m.Sum("integration_events_deadletter_total"))
	}
	if n := m.Sum("integration_events_outcomes_total"); n != 5 {
		t.Errorf("%v outcomes counted, want the 5 published", n)
	}
}
