package processor_test

import (
	"context"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
	"go.uber.org/zap"
)

// TestCarriesConfirmsOnlyTheSameAdmittedRun is the check that keeps a hash
// collision in the resend guard from dropping an outcome: a candidate
// sequence is a resend's first copy only if it holds the same integration's
// run, admitted.
func TestCarriesConfirmsOnlyTheSameAdmittedRun(t *testing.T) {
	f := newGuardFixture(t)
	nc, st, ctx := f.nc, f.st, context.Background()
	test.Publish(t, nc, workload.Failed("int-a", "r1", subjects.StagePerform, 500))                  // 1
	test.Publish(t, nc, workload.Succeeded("int-b", "r1"))                                           // 2
	test.PublishRaw(t, nc, subjects.Default().Run("int-a"), []byte(`{"runId":"r2","status":"odd"}`)) // 3
	test.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error { _, err := st.RunAt(ctx, 3); return err })
	p, err := processor.NewPipeline(processor.Config{}, st, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		seq   uint64
		id    string
		runID string
		want  bool
	}{
		{"the same run", 1, "int-a", "r1", true},
		{"another run of the integration", 1, "int-a", "r9", false},
		{"the run id of another integration", 2, "int-a", "r1", false},
		{"a copy the processor refuses", 3, "int-a", "r2", false},
		{"no message at the sequence", 99, "int-a", "r1", false},
	} {
		got, err := p.Carries(ctx, c.seq, c.id, c.runID)
		if err != nil || got != c.want {
			t.Errorf("%s: carries(%d, %s, %s) = %v, %v; want %v", c.name, c.seq, c.id, c.runID, got, err, c.want)
		}
	}
}
