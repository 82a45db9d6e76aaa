package processor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// guardFixture is a server, a store and a way to start pipelines on it.
type guardFixture struct {
	t  *testing.T
	nc *nats.Conn
	st *store.Store
}

func newGuardFixture(t *testing.T) *guardFixture {
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	st, err := store.Open(context.Background(), nc, store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return &guardFixture{t: t, nc: nc, st: st}
}

func (f *guardFixture) start() *processor.Pipeline {
	f.t.Helper()
	p, err := processor.NewPipeline(processor.Config{}, f.st, zap.NewNop())
	if err != nil {
		f.t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// crash stops p and removes the checkpoints its stop saved, so the next
// pipeline finds what a killed process leaves: no checkpoint at all.
func (f *guardFixture) crash(p *processor.Pipeline) {
	f.t.Helper()
	p.Stop(context.Background())
	js, err := jetstream.New(f.nc)
	if err != nil {
		f.t.Fatal(err)
	}
	obs, err := js.ObjectStore(context.Background(), store.BucketResendCheckpoints)
	if err != nil {
		f.t.Fatal(err)
	}
	for n := range f.st.Partitions() {
		err := obs.Delete(context.Background(), fmt.Sprintf("p%d", n))
		if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			f.t.Fatal(err)
		}
	}
}

func (f *guardFixture) waitApplied(id string, seq uint64) subjects.FailureCounter {
	f.t.Helper()
	return test.WaitCounter(f.t, f.nc, id, func(c subjects.FailureCounter) error {
		if c.LastAppliedSeq < seq {
			return errNotYet
		}
		return nil
	})
}

// TestResendIsIgnoredAfterARestart sends runs, restarts the pipeline (with
// its checkpoint, and as after a crash, without), then resends an old
// failure and a success: neither may change the streak or raise an event,
// while new runs still count.
func TestResendIsIgnoredAfterARestart(t *testing.T) {
	for _, how := range []string{"stopped", "crashed"} {
		t.Run(how, func(t *testing.T) {
			f := newGuardFixture(t)
			const id = "resent"
			test.Publish(t, f.nc, workload.Failed(id, "r1", subjects.StagePerform, 500))
			test.Publish(t, f.nc, workload.Succeeded(id, "ok2"))
			test.Publish(t, f.nc, workload.Failed(id, "r3", subjects.StagePerform, 500))
			p := f.start()
			f.waitApplied(id, 3)
			if how == "crashed" {
				f.crash(p)
			} else {
				p.Stop(context.Background())
			}

			// Resends of r1 and ok2, after newer outcomes, then a new run.
			test.Publish(t, f.nc, workload.Failed(id, "r1", subjects.StagePerform, 500))
			test.Publish(t, f.nc, workload.Succeeded(id, "ok2"))
			test.Publish(t, f.nc, workload.Failed(id, "r6", subjects.StageValidate, 400))
			p = f.start()
			defer p.Stop(context.Background())
			c := f.waitApplied(id, 6)
			if c.ConsecutiveFailures != 2 || c.LastRunID != "r6" {
				t.Fatalf("a resend was applied: %d consecutive failures, last run %s; want 2 (r3, r6)", c.ConsecutiveFailures, c.LastRunID)
			}
			if events := test.StoredEvents(t, f.nc); len(events) != 4 {
				t.Fatalf("%d events, want 4 (r1, the recovery by ok2, r3, r6)", len(events))
			}
			test.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
				if n := p.RunsInResendWindow(); n != 4 {
					return fmt.Errorf("RunsInResendWindow = %d, want 4 (r1, ok2, r3, r6)", n)
				}
				return nil
			})
		})
	}
}

// TestARefusedCopyDoesNotMakeTheNextOneAResend sends a run the processor
// refuses (dead-lettered), then the same run id well-formed: the second is
// the run's first real outcome and is applied, also when the pipeline read
// the refused copy into its guard from the stream after a crash.
func TestARefusedCopyDoesNotMakeTheNextOneAResend(t *testing.T) {
	f := newGuardFixture(t)
	const id = "refused-first"
	bad := workload.Failed(id, "r1", subjects.StagePerform, 500)
	b, err := json.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	raw["status"] = "exploded" // refused: status must be succeeded or failed
	b, _ = json.Marshal(raw)
	test.PublishRaw(t, f.nc, subjects.Default().Run(id), b)
	test.Publish(t, f.nc, workload.Succeeded(id, "ok2"))
	p := f.start()
	f.waitApplied(id, 2)
	f.crash(p)

	test.Publish(t, f.nc, bad)
	p = f.start()
	defer p.Stop(context.Background())
	c := f.waitApplied(id, 3)
	if c.ConsecutiveFailures != 1 || c.LastRunID != "r1" {
		t.Fatalf("the first admitted copy of r1 was taken for a resend: %+v", c)
	}
}
