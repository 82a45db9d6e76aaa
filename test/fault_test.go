package test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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

// faultPolicy is the fault suite's disable policy, with no key left at its
// default: the suite must hold under any policy, not just the default one.
// Its workload makes every rule fire: the authentication
// kind's and Xero's disables, minStreakAge holding some back, warnings at
// both levels, validation failures that do not count, and recoveries.
const faultPolicy = `
disableAfter: 50
warnAt: [20, 60]
minStreakAge: 2m
autoActionOnRecovery: false
kinds:
  authentication:
    disableAfter: 2
  validation:
    counts: false
destinations:
  Xero:
    disableAfter: 6
`

// TestAStoreFaultIsRetriedNotDeadLettered corrupts one integration's counter
// record in KV, a fault that is not the input's: its next outcome must be
// retried with backoff (not dead-lettered) while the integrations of every
// other partition go on; once the record is repaired the outcome is applied
// exactly once and the integrations queued behind it follow. It runs under
// faultPolicy, and the final state is the model's of that policy.
func TestAStoreFaultIsRetriedNotDeadLettered(t *testing.T) {
	file, pol := WritePolicy(t, faultPolicy)
	s, nc := startServe(t, "--policy", file)
	dead := subscribe(t, nc, "integrations.deadletter")
	const poison = "poison-int"
	p1, p2, p3 := workload.Failed(poison, "p1", subjects.StagePerform, 500), workload.Failed(poison, "p2", subjects.StagePerform, 500), workload.Failed(poison, "p3", subjects.StagePerform, 500)
	Publish(t, nc, p1)
	Publish(t, nc, p2)
	good := WaitCounter(t, nc, poison, Streak(2, false))

	repair := corruptCounter(t, nc, poison)
	Publish(t, nc, p3)

	// Others go on, in every partition, while the poisoned one is retried.
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 9, Integrations: 64, Outcomes: 400, FailRate: 0.3, Broken: 0.2})
	outcomes := w.Outcomes
	for _, o := range outcomes {
		Publish(t, nc, o)
	}
	model := workload.Workload{Outcomes: append([]subjects.RunOutcome{p1, p2, p3}, outcomes...)}.Model(pol)
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
	// Every event the model expects is stored once, and no other; as many
	// disable commands.
	checkModel(t, nc, model)
	if got := len(dead.all()); got != 0 {
		t.Fatalf("%d dead letters for a fault that is not the input's", got)
	}
	checkPolicyExercised(t, nc, pol)
	// minStreakAge held some disable back: without it the model differs.
	_, noAge := WritePolicy(t, strings.Replace(faultPolicy, "minStreakAge: 2m", "minStreakAge: 0s", 1))
	without := workload.Workload{Outcomes: append([]subjects.RunOutcome{p1, p2, p3}, outcomes...)}.Model(noAge)
	if maps.Equal(without.Disables, model.Disables) {
		t.Error("minStreakAge holds no disable back in this workload: it no longer exercises the policy")
	}
}

// checkPolicyExercised fails unless the stored events show that every rule
// of faultPolicy had work to do, so that agreeing with the model under it
// means something: each disable rule fired, as the event names it with its
// threshold, warnings at both levels, uncounted validation failures and
// recoveries.
func checkPolicyExercised(t *testing.T, nc *nats.Conn, pol *policy.Resolved) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range StoredEvents(t, nc) {
		d := e.Data
		switch e.Type {
		case subjects.KindDisabled.EventName():
			r := pol.For(d.Destination)
			i := slices.IndexFunc(r.Thresholds, func(th policy.Threshold) bool { return th.Key == d.Rule })
			if i < 0 || r.Thresholds[i].DisableAfter != d.DisableAfter {
				t.Errorf("%s disabled by rule %q at %d, which the policy of %s does not have", d.IntegrationID, d.Rule, d.DisableAfter, d.Destination)
			}
			if f := d.FirstFailureAt; f == nil || e.Time.Sub(*f) < r.MinStreakAge {
				t.Errorf("%s disabled at %s by a streak since %v, younger than minStreakAge %s", d.IntegrationID, e.Time, f, r.MinStreakAge)
			}
			seen["disabled by "+d.Rule]++
		case subjects.KindWarning.EventName():
			seen[fmt.Sprintf("warning at %d%%", d.Percent)]++
		case subjects.KindValidation.EventName():
			if !d.NotCounted {
				t.Errorf("validation event %s of %s counted", e.ID, d.IntegrationID)
			}
			seen["not counted"]++
		case subjects.KindRecovered.EventName():
			seen["recovered"]++
		}
	}
	t.Logf("under the fault policy: %v", seen)
	for _, want := range []string{"disabled by kinds.authentication.disableAfter", "disabled by destinations.Xero.disableAfter",
		"warning at 20%", "warning at 60%", "not counted", "recovered"} {
		if seen[want] == 0 {
			t.Errorf("no event %s: the workload no longer exercises the policy", want)
		}
	}
}

// TestUndeliveredMessagesAreDeadLettered makes JetStream give up on messages:
// a one-second ack wait, at most two deliveries, one lane, and an outcome
// stuck on a corrupted counter with others queued behind it. The
// max-deliveries advisories must turn into dead-letter records holding the
// messages; once the counter is repaired everything is applied once.
func TestUndeliveredMessagesAreDeadLettered(t *testing.T) {
	file, pol := WritePolicy(t, faultPolicy)
	s, nc := startServe(t, "--ack-wait", "1s", "--batch-timeout", "500ms", "--max-deliver", "2", "--batch", "1", "--http-listen", FreePort(t), "--policy", file)
	dead := subscribe(t, nc, "integrations.deadletter")
	const poison = "stuck-int"
	queued := probeIn(subjects.PartitionOf(poison, store.DefaultPartitions), store.DefaultPartitions, "queued")
	// Two queued failures that count and one that does not, under the policy.
	published := []subjects.RunOutcome{
		workload.Failed(poison, "s1", subjects.StagePerform, 500), workload.Failed(poison, "s2", subjects.StagePerform, 500),
		workload.Failed(queued, "q1", subjects.StageMap, 0), workload.Failed(queued, "q2", subjects.StageMap, 0),
		workload.Failed(queued, "q3", subjects.StageValidate, 0),
	}
	Publish(t, nc, published[0])
	good := WaitCounter(t, nc, poison, Streak(1, false))
	repair := corruptCounter(t, nc, poison)
	for _, o := range published[1:] {
		Publish(t, nc, o)
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
	WaitCounter(t, nc, queued, func(c subjects.FailureCounter) error {
		if c.LastRunID != "q3" || c.ConsecutiveFailures != 2 || c.Disabled {
			return fmt.Errorf("last run %s, streak %d, disabled %t, want q3 2 false", c.LastRunID, c.ConsecutiveFailures, c.Disabled)
		}
		return nil
	})
	if n := len(dead.all()); n != 3 {
		t.Fatalf("%d dead letters, want the 3 queued messages", n)
	}
	if n := storedEventsOf(t, nc, queued); n != 3 {
		t.Fatalf("%s has %d events, want 3", queued, n)
	}
	checkModel(t, nc, workload.Workload{Outcomes: published}.Model(pol))
	// Counted as such, once each, though applied later too.
	m := Scrape(t, s.HTTP, "")
	if v, _ := m.Value("integration_events_deadletter_total", "reason", "max_deliveries"); v != 3 || m.Sum("integration_events_deadletter_total") != 3 {
		t.Errorf("deadletter_total{reason=max_deliveries} = %v of %v, want 3 of 3", v, m.Sum("integration_events_deadletter_total"))
	}
	if n := m.Sum("integration_events_outcomes_total"); n != 5 {
		t.Errorf("%v outcomes counted, want the 5 published", n)
	}
}
