package test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// stopMargin is what serve may take past --drain-timeout to stop: unpinning
// its partitions (up to 5 s) and flushing its connection (up to 5 s), as
// README's "Stopping" documents.
const stopMargin = 10 * time.Second

// dataDirState opens a stopped serve's data directory with a server of its
// own and returns what the server warned about while recovering JetStream's
// files, and every partition consumer of INTEGRATION_RUNS.
func dataDirState(t *testing.T, dir string) (warnings []string, consumers []*jetstream.ConsumerInfo) {
	t.Helper()
	core, logs := observer.New(zapcore.WarnLevel)
	srv, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: dir, Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc := Connect(t, srv.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runs, err := js.Stream(ctx, store.StreamRuns)
	if err != nil {
		t.Fatal(err)
	}
	for p := range store.DefaultPartitions {
		c, err := runs.Consumer(ctx, fmt.Sprint(store.ConsumerPartitionPrefix, p))
		if err != nil {
			t.Fatalf("partition %d: %v", p, err)
		}
		consumers = append(consumers, c.CachedInfo())
	}
	for _, e := range logs.All() {
		warnings = append(warnings, e.Message)
	}
	return warnings, consumers
}

// ackPending is how many deliveries of INTEGRATION_RUNS' partitions are
// not acknowledged.
func ackPending(t *testing.T, js jetstream.JetStream) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	for p := range store.DefaultPartitions {
		c, err := js.Consumer(ctx, store.StreamRuns, fmt.Sprint(store.ConsumerPartitionPrefix, p))
		if err != nil {
			t.Fatal(err)
		}
		n += c.CachedInfo().NumAckPending
	}
	return n
}

// TestSIGTERMUnderLoadFinishesInFlightAndExitsClean stops serve with
// SIGTERM while a runner publishes a steady load. serve must exit 0 within
// --drain-timeout plus the documented margin, having acknowledged every
// outcome it was handed and shut its embedded server down cleanly (the next
// server to open the data directory has nothing to rebuild); after a
// restart on the same directory every outcome is applied exactly once, as
// the reference model says. A SIGKILL at the end is the control: it does
// leave JetStream state to rebuild, so the check can fail.
func TestSIGTERMUnderLoadFinishesInFlightAndExitsClean(t *testing.T) {
	const disableAfter = 5
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	const drain = 10 * time.Second
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 1207, Integrations: 40, Outcomes: 3000, FailRate: 0.3, Broken: 0.1, ResendRate: 0.03})
	model := w.Model(pol)
	dir, listen := t.TempDir(), FreePort(t)
	flags := []string{"--policy", polFile, "--drain-timeout", drain.String(), "--log-level", "debug"}
	s := StartServe(t, dir, listen, flags...)

	r := StartRunner(t, s.URL, w.Outcomes, 3*time.Minute)
	r.WaitSent(1200)
	// Signal while serve holds deliveries it has not acknowledged yet.
	var inFlight int
	CheckFor(t, 30*time.Second, time.Millisecond, func() error {
		if inFlight = ackPending(t, r.JS); inFlight == 0 {
			return fmt.Errorf("no delivery in flight")
		}
		return nil
	})
	began := time.Now()
	if err := s.Terminate(drain + stopMargin); err != nil {
		t.Fatalf("SIGTERM under load: %v\n%s", err, s.problems(20))
	}
	took := time.Since(began)
	sentAtStop := r.Sent()
	out := s.Output()
	_, afterStop, _ := strings.Cut(out, "stopping: finishing in-flight messages")
	if !strings.Contains(afterStop, `"msg":"stopped"`) {
		t.Fatalf("no stopped line after the stopping line:\n%s", s.problems(20))
	}
	finished := strings.Count(afterStop, `"msg":"batch applied"`)
	t.Logf("SIGTERM after %d outcomes sent, %d deliveries in flight: exit 0 in %s (bound %s); %d batches applied after the signal", sentAtStop, inFlight, took.Round(time.Millisecond), drain+stopMargin, finished)

	warnings, consumers := dataDirState(t, dir)
	if len(warnings) > 0 {
		t.Errorf("the embedded server was not shut down cleanly; reopening its files warned:\n%s", strings.Join(warnings, "\n"))
	}
	var delivered uint64
	for p, c := range consumers {
		if c.NumAckPending != 0 || c.AckFloor.Stream != c.Delivered.Stream {
			t.Errorf("partition %d: %d delivered and not acknowledged (ack floor %d, delivered %d)", p, c.NumAckPending, c.AckFloor.Stream, c.Delivered.Stream)
		}
		delivered += c.Delivered.Consumer
	}
	t.Logf("%d deliveries over %d partitions, every one acknowledged; reopening the files warned of nothing", delivered, len(consumers))
	if delivered == 0 {
		t.Fatal("nothing was delivered before the stop: the load did not reach serve")
	}

	s = StartServe(t, dir, listen, flags...)
	r.Wait()
	checkModel(t, r.NC, model)
	t.Logf("%d outcomes, %d events expected and found once each", len(w.Outcomes), len(model.Events))

	// The control: a SIGKILL leaves state for the server to rebuild.
	s.Kill()
	if warnings, _ := dataDirState(t, dir); len(warnings) == 0 {
		t.Error("after SIGKILL, reopening the files warned of nothing: the clean-shutdown check cannot tell")
	} else {
		t.Logf("control: after SIGKILL, reopening warned %q", warnings[0])
	}
}

// TestSIGTERMWithAStuckStepExitsWithinTheBound stops serve while a step
// cannot succeed (its counter record does not parse), the worst case for a
// stop: serve must give up on it at --drain-timeout and still exit 0 within
// the documented margin, leaving the outcome unacknowledged; once the record
// is repaired, a restart applies it once.
func TestSIGTERMWithAStuckStepExitsWithinTheBound(t *testing.T) {
	const drain = 6 * time.Second
	dir, listen := t.TempDir(), FreePort(t)
	flags := []string{"--drain-timeout", drain.String()}
	s := StartServe(t, dir, listen, flags...)
	nc := Connect(t, s.URL)
	const id = "stuck-at-stop"
	Publish(t, nc, workload.Failed(id, "a1", subjects.StagePerform, 500))
	good := WaitCounter(t, nc, id, Streak(1, false))
	repair := corruptCounter(t, nc, id)
	Publish(t, nc, workload.Failed(id, "a2", subjects.StagePerform, 500))
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if !strings.Contains(s.Output(), "step failed, retrying") {
			return fmt.Errorf("a2 is not being retried yet")
		}
		return nil
	})

	began := time.Now()
	if err := s.Terminate(drain + stopMargin); err != nil {
		t.Fatalf("SIGTERM with a stuck step: %v", err)
	}
	took := time.Since(began)
	t.Logf("SIGTERM with a stuck step: exit 0 in %s (drain timeout %s, bound %s)", took.Round(time.Millisecond), drain, drain+stopMargin)
	if took < drain-time.Second {
		t.Fatalf("exited in %s, before the drain timeout, with a step unfinished", took)
	}
	warnings, consumers := dataDirState(t, dir)
	if len(warnings) > 0 {
		t.Errorf("the embedded server was not shut down cleanly; reopening its files warned:\n%s", strings.Join(warnings, "\n"))
	}
	pending := 0
	for _, c := range consumers {
		pending += c.NumAckPending
	}
	if pending != 1 {
		t.Fatalf("%d deliveries left unacknowledged, want the stuck one", pending)
	}

	s = StartServe(t, dir, listen, flags...)
	nc = Connect(t, s.URL)
	repair(good)
	c := WaitCounter(t, nc, id, Streak(2, false))
	if c.LastRunID != "a2" {
		t.Fatalf("after restart and repair: %+v", c)
	}
	if n := storedEventsOf(t, nc, id); n != 2 {
		t.Fatalf("%s has %d events, want 2", id, n)
	}
}
