package workload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

func TestModelKeepsTheFirstHundredStreakRunIDs(t *testing.T) {
	m := NewModel(policy.After(150))
	var ids []string
	for i := range 150 {
		id := fmt.Sprintf("run-%03d", i)
		ids = append(ids, id)
		m.Apply(Failed("long", id, subjects.StagePerform, 500))
	}
	c := m.Counters["long"]
	if c.Streak != 150 || !c.Disabled || len(c.RunIDs) != subjects.MaxStreakRunIDs || c.RunIDs[99] != "run-099" {
		t.Fatalf("model counter: streak %d disabled %t, %d run ids", c.Streak, c.Disabled, len(c.RunIDs))
	}
	got := subjects.FailureCounter{IntegrationID: "long", ConsecutiveFailures: 150, Disabled: true, StreakRunIDs: ids[:100]}
	if d := m.Diff("long", got); d != "" {
		t.Errorf("agreeing counter: %s", d)
	}
	got.StreakRunIDs = ids
	if d := m.Diff("long", got); !strings.Contains(d, "150 streak run ids, model says 100, from index 100") {
		t.Errorf("a counter with every run id: %q", d)
	}
	m.Apply(Succeeded("long", "ok"))
	if c.RunIDs != nil || c.Streak != 0 {
		t.Errorf("after a success: %d run ids", len(c.RunIDs))
	}
}

// TestModelClassifiesAsTheProcessor checks that the model's kinds, written
// apart, agree with the processor's classification on every failure a
// workload makes, on each of its destinations: otherwise a policy's kind
// rules would make the model and the processor differ for a reason that is
// no fault.
func TestModelClassifiesAsTheProcessor(t *testing.T) {
	w := NewWorkload(WorkloadConfig{Seed: 1, Integrations: 8, Outcomes: 4000, FailRate: 0.5})
	seen := map[string]bool{}
	for _, o := range w.Outcomes {
		if o.Failure == nil {
			continue
		}
		_, tr := processor.ApplyOutcome(subjects.FailureCounter{}, &o, 1, policy.After(20).Top())
		if want := modelKind(o.Failure); tr.Kind != want {
			t.Errorf("%s %s at stage %s: the processor says %s, the model %s", o.Destination, o.RunID, o.Failure.Stage, tr.Kind, want)
		}
		seen[o.Destination+"/"+string(tr.Kind)] = true
	}
	if len(seen) < 8 {
		t.Errorf("the workload made %d destination and kind pairs, want all 4 kinds on both destinations", len(seen))
	}
}
