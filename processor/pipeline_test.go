package processor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
	"go.uber.org/zap"
)

// TestPipelineAppliesAnUnackedOutcomeBeforeANewerOne sets up what a crash
// leaves behind: outcome 1 delivered but never acknowledged, outcome 2 never
// delivered. On start JetStream hands out 2 at once and 1 only after the ack
// wait; the pipeline must still apply 1 first, and soon.
func TestPipelineAppliesAnUnackedOutcomeBeforeANewerOne(t *testing.T) {
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	ctx := context.Background()
	cfg := store.DefaultConfig()
	cfg.AckWait = time.Minute
	st, err := store.Open(ctx, nc, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	const id = "crashy"
	test.Publish(t, nc, workload.Failed(id, "r1", subjects.StagePerform, 500))

	var first store.Msg
	test.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() (err error) {
		first, err = st.NextRun(ctx, id, 1)
		return err
	})
	pm, err := subjects.Default().ParsePartitioned(first.Subject)
	if err != nil {
		t.Fatal(err)
	}

	// A processor that takes outcome 1 and dies before acknowledging it.
	delivered := make(chan uint64, 1)
	sub, err := st.ConsumePartition(ctx, pm.Partition, func(d *store.Delivery) { delivered <- d.Seq })
	if err != nil {
		t.Fatal(err)
	}
	if seq := <-delivered; seq != 1 {
		t.Fatalf("delivered sequence %d", seq)
	}
	sub.Stop(ctx)
	if err := sub.Unpin(ctx, nil); err != nil {
		t.Fatal(err)
	}
	test.Publish(t, nc, workload.Succeeded(id, "ok2"))

	p, err := processor.NewPipeline(processor.Config{}, st, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	c := test.WaitCounter(t, nc, id, func(c subjects.FailureCounter) error {
		if c.LastAppliedSeq != 2 {
			return errNotYet
		}
		return nil
	})
	if c.ConsecutiveFailures != 0 || c.LastRunID != "ok2" {
		t.Fatalf("outcomes applied out of order: %+v", c)
	}
	// r1's error, then the recovery ok2 ended its streak with: in order.
	events := test.StoredEvents(t, nc)
	if len(events) != 2 || events[0].Data.RunID != "r1" || events[1].Type != subjects.KindRecovered.EventName() || events[1].Data.RunID != "ok2" {
		t.Fatalf("r1 and ok2 raised %d events: %+v", len(events), events)
	}
}

var errNotYet = errors.New("not applied yet")
