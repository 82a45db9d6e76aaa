package workload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/policy"
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
