package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/fault"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// writeAutoActionPolicy writes a policy file that disables after 6 counted
// failures, warns at half of that (the 3rd), does not count validation
// failures, and auto-actions on recovery when auto is true.
func writeAutoActionPolicy(t *testing.T, auto bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	body := fmt.Sprintf("disableAfter: 6\nwarnAt: [50]\nautoActionOnRecovery: %t\nkinds:\n  validation:\n    counts: false\n", auto)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// autoActionRun is what runAutoActionStreak raised.
type autoActionRun struct {
	// streak are the ids of the streak's counted error events and its
	// warning: the events the recovery is to action.
	streak []string
	// others are the ids of the events it is not to action: the streak's
	// uncounted failure, the recovery itself, the failures of a streak an
	// enable ended before, another integration's failures.
	others    []string
	recovered Event
}

// autoA and autoB are the integrations of publishAutoActionStreak.
const autoA, autoB = "auto-a", "auto-b"

// runAutoActionStreak publishes the outcomes (publishAutoActionStreak) and
// returns the events once all are stored (collectAutoActionStreak).
func runAutoActionStreak(t *testing.T, nc *nats.Conn) autoActionRun {
	t.Helper()
	publishAutoActionStreak(t, nc)
	return collectAutoActionStreak(t, nc)
}

// publishAutoActionStreak publishes, for integration autoA: two failures
// and an enable (a streak that is no recovery), then a streak of three
// counted failures (the third raising a warning) with an uncounted
// validation failure among them, then a success; and two failures of
// autoB in between.
func publishAutoActionStreak(t *testing.T, nc *nats.Conn) {
	t.Helper()
	const a, b = autoA, autoB
	Publish(t, nc, workload.Failed(a, "p1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(a, "p2", subjects.StagePerform, 500))
	WaitCounter(t, nc, a, Streak(2, false))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := API(nc).EnableIntegration(ctx, subjects.EnableIntegrationRequest{IntegrationID: a, EnabledBy: "ana"}); err != nil {
		t.Fatal(err)
	}
	Publish(t, nc, workload.Failed(a, "r1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(b, "b1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(a, "r2", subjects.StageValidate, 0))
	Publish(t, nc, workload.Failed(a, "r3", subjects.StagePerform, 502))
	Publish(t, nc, workload.Failed(b, "b2", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(a, "r4", subjects.StageMap, 0))
	Publish(t, nc, workload.Succeeded(a, "r5"))
}

// collectAutoActionStreak returns the events publishAutoActionStreak
// raised, once all are stored.
func collectAutoActionStreak(t *testing.T, nc *nats.Conn) autoActionRun {
	t.Helper()
	const a = autoA
	var run autoActionRun
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		run = autoActionRun{}
		evs := StoredEvents(t, nc)
		for _, e := range evs {
			switch {
			case e.Type == subjects.KindRecovered.EventName():
				run.recovered = e
				run.others = append(run.others, e.ID)
			case e.Data.IntegrationID == a && strings.HasPrefix(e.Data.RunID, "r") && !e.Data.NotCounted:
				run.streak = append(run.streak, e.ID)
			default:
				run.others = append(run.others, e.ID)
			}
		}
		// p1 p2 b1 b2, r2 (uncounted) and the recovery; r1 r3 r4 and the
		// warning of r4.
		if len(evs) != 10 || len(run.streak) != 4 || run.recovered.ID == "" {
			return fmt.Errorf("%d events stored, %d of the streak, recovery %q", len(evs), len(run.streak), run.recovered.ID)
		}
		return nil
	})
	if d := run.recovered.Data; d.FailedRuns != 3 || d.IntegrationID != a {
		t.Fatalf("recovered event: failedRuns %d integration %s, want 3 %s", d.FailedRuns, d.IntegrationID, a)
	}
	return run
}

// waitRecoveriesHandled waits until the recoveries consumer has
// acknowledged every recovered event stored.
func waitRecoveriesHandled(t *testing.T, nc *nats.Conn) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	CheckFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := js.Stream(ctx, store.StreamEvents)
		if err != nil {
			return err
		}
		last, err := st.GetLastMsgForSubject(ctx, subjects.Default().Root+".events.recovered.>")
		if err != nil {
			return err
		}
		c, err := st.Consumer(ctx, store.ConsumerRecoveries)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.AckFloor.Stream < last.Sequence || info.NumAckPending != 0 || info.NumPending != 0 {
			return fmt.Errorf("recoveries consumer: ack floor %d, last recovered event %d, %d pending, %d unacknowledged",
				info.AckFloor.Stream, last.Sequence, info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

// checkAutoActioned fails t unless exactly the events of each run's streak
// are actioned, each by subjects.ActionedByRecovery with one
// acknowledgement, and the others are not and have none, nor has any
// other event. It returns the records of the streaks' events.
func checkAutoActioned(t *testing.T, nc *nats.Conn, runs ...autoActionRun) []subjects.EventRecord {
	t.Helper()
	api := API(nc)
	var actioned []subjects.EventRecord
	for _, run := range runs {
		for _, id := range slices.Concat(run.streak, run.others) {
			rec, err := api.Event(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Contains(run.streak, id)
			if (rec.DtActioned != nil) != want {
				t.Errorf("event %s (%s of %s) actioned: %t, want %t", id, rec.EventName, rec.IntegrationID, rec.DtActioned != nil, want)
			}
			if rec.DtActioned != nil {
				if rec.ActionedBy != subjects.ActionedByRecovery || !strings.Contains(rec.Note, run.recovered.Data.RunID) {
					t.Errorf("event %s actioned by %q with note %q, want %s and the recovering run", id, rec.ActionedBy, rec.Note, subjects.ActionedByRecovery)
				}
				actioned = append(actioned, rec)
			}
		}
	}
	CheckOneAckEach(t, nc, actioned)
	return actioned
}

// TestAutoActionOnRecovery runs serve under a policy with
// autoActionOnRecovery: the success that ends a streak marks the streak's
// counted error events and its warning actioned by system:recovered, one
// acknowledgement each, and nothing else: not the uncounted failure, not
// the recovery, not the failures before an enable, not another
// integration's. Handing the recovered event over again (a new consumer
// that delivers it once more) actions nothing twice.
func TestAutoActionOnRecovery(t *testing.T) {
	dir, listen := t.TempDir(), FreePort(t)
	pol := writeAutoActionPolicy(t, true)
	s := StartServe(t, dir, listen, "--policy", pol)
	nc := Connect(t, s.URL)
	run := runAutoActionStreak(t, nc)
	if !run.recovered.Data.AutoAction {
		t.Fatalf("recovered event without autoAction under autoActionOnRecovery: true: %+v", run.recovered.Data)
	}
	waitRecoveriesHandled(t, nc)
	before := checkAutoActioned(t, nc, run)
	if !strings.Contains(s.Output(), "streak auto-actioned on recovery") {
		t.Errorf("no log line of the auto-action:\n%s", s.Output())
	}

	// Redelivery: a consumer created again delivers the recovered event
	// again, to a restarted serve.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(ctx, store.StreamEvents, store.ConsumerRecoveries); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if err := s.Terminate(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	s = StartServe(t, dir, listen, "--policy", pol)
	nc = Connect(t, s.URL)
	waitRecoveriesHandled(t, nc)
	after := checkAutoActioned(t, nc, run)
	for i := range before {
		if !before[i].DtActioned.Equal(*after[i].DtActioned) {
			t.Errorf("event %s actioned again: at %s, then at %s", before[i].ID, before[i].DtActioned, after[i].DtActioned)
		}
	}
	if n := len(OutboxKeys(t, nc)); n != 0 {
		t.Fatalf("%d outbox entries left", n)
	}
}

// TestAutoActionOffOnRecovery runs the same streak under a policy with
// autoActionOnRecovery: false: the recovery is raised without autoAction,
// handled, and nothing is actioned or acknowledged.
func TestAutoActionOffOnRecovery(t *testing.T) {
	dir, listen := t.TempDir(), FreePort(t)
	s := StartServe(t, dir, listen, "--policy", writeAutoActionPolicy(t, false))
	nc := Connect(t, s.URL)
	run := runAutoActionStreak(t, nc)
	if run.recovered.Data.AutoAction {
		t.Fatalf("recovered event with autoAction under autoActionOnRecovery: false: %+v", run.recovered.Data)
	}
	waitRecoveriesHandled(t, nc)
	run.others, run.streak = slices.Concat(run.streak, run.others), nil
	checkAutoActioned(t, nc, run)
}

// TestAutoActionSurvivesACrash runs serve built with -tags faultpoints,
// armed to die (SIGKILL) at one step of the first auto-action: after its
// outbox entry, after the mark, after the acknowledgement. Restarted on
// the same data unarmed, serve completes that action from the outbox and
// gets the recovered event again: every event of the streak is actioned
// with exactly one acknowledgement, nothing else is, and the outbox is
// empty.
func TestAutoActionSurvivesACrash(t *testing.T) {
	bin := BinaryTags(t, "faultpoints")
	for _, point := range []string{store.PointActionedIntent, store.PointActionedMarked, store.PointActionedPublished} {
		t.Run(point, func(t *testing.T) {
			dir, listen := t.TempDir(), FreePort(t)
			pol := writeAutoActionPolicy(t, true)
			s := StartServeBinary(t, bin, []string{fault.Env + "=" + point}, dir, listen, "--policy", pol)
			nc := Connect(t, s.URL)
			publishAutoActionStreak(t, nc)
			if err := s.WaitExit(30 * time.Second); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("serve armed at %s: %v", point, err)
			}
			nc.Close()

			s = StartServeBinary(t, bin, nil, dir, listen, "--policy", pol)
			nc = Connect(t, s.URL)
			run := collectAutoActionStreak(t, nc)
			waitRecoveriesHandled(t, nc)
			checkAutoActioned(t, nc, run)
			CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				if n := len(OutboxKeys(t, nc)); n != 0 {
					return fmt.Errorf("%d outbox entries", n)
				}
				return nil
			})
		})
	}
}

// TestAutoActionReplicas runs two serve replicas on a 3-node cluster
// (streams of 3 replicas, whose followers may answer the walk's direct
// gets) and ends a streak on each of 16 integrations: the replicas share
// the recovered events, and every streak's counted failures and warning
// are actioned with one acknowledgement each, nothing else.
func TestAutoActionReplicas(t *testing.T) {
	const integrations = 16
	c := StartCluster(t, 3)
	flags := []string{"--nats-url", c.URLs(), "--replicas", "3", "--policy", writeAutoActionPolicy(t, true)}
	a := StartServe(t, t.TempDir(), "127.0.0.1:0", flags...)
	b := StartServe(t, t.TempDir(), "127.0.0.1:0", flags...)
	nc := Connect(t, c.URLs())
	for i := range integrations {
		id := fmt.Sprintf("auto-rep-%02d", i)
		for j, stage := range []subjects.Stage{subjects.StagePerform, subjects.StageValidate, subjects.StagePerform, subjects.StagePerform} {
			Publish(t, nc, workload.Failed(id, fmt.Sprintf("%s-f%d", id, j), stage, 500))
		}
		Publish(t, nc, workload.Succeeded(id, id+"-ok"))
	}
	runs := map[string]*autoActionRun{}
	CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		clear(runs)
		evs := StoredEvents(t, nc)
		for _, e := range evs {
			r := runs[e.Data.IntegrationID]
			if r == nil {
				r = &autoActionRun{}
				runs[e.Data.IntegrationID] = r
			}
			switch {
			case e.Type == subjects.KindRecovered.EventName():
				r.recovered = e
				r.others = append(r.others, e.ID)
			case e.Data.NotCounted:
				r.others = append(r.others, e.ID)
			default:
				r.streak = append(r.streak, e.ID)
			}
		}
		// Three counted failures, the warning of the third, the uncounted
		// one and the recovery.
		if want := integrations * 6; len(evs) != want {
			return fmt.Errorf("%d of %d events stored", len(evs), want)
		}
		return nil
	})
	waitRecoveriesHandled(t, nc)
	var all []autoActionRun
	for id, r := range runs {
		if len(r.streak) != 4 || !r.recovered.Data.AutoAction {
			t.Fatalf("%s: %d events of the streak, recovery %+v", id, len(r.streak), r.recovered.Data)
		}
		all = append(all, *r)
	}
	checkAutoActioned(t, nc, all...)
	handled := func(s *Serve) int { return strings.Count(s.Output(), "streak auto-actioned on recovery") }
	if n := handled(a) + handled(b); n < integrations {
		t.Fatalf("%d streaks auto-actioned, want %d", n, integrations)
	}
	t.Logf("recovered events handled: replica a %d, replica b %d", handled(a), handled(b))
}
