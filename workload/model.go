package workload

import (
	"fmt"
	"slices"
	"sort"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// Model is a reference model of the streak rules, written apart from the
// processor's state machine, for comparing a run's final state with what
// its workload implies. Only event ids are shared: they are the contract.
type Model struct {
	DisableAfter int
	Counters     map[string]*ModelCounter
	// Events maps every expected event id to its event name.
	Events map[string]string
	// Disables counts the disable commands expected per integration.
	Disables map[string]int
	// Runs maps a failure event id to the run that raised it.
	Runs map[string]string
	seen map[string]bool
}

// ModelCounter is the expected state of one integration.
type ModelCounter struct {
	Streak   int
	Disabled bool
	Episode  int
	// RunIDs are the streak's first run ids, at most
	// min(DisableAfter, subjects.MaxStreakRunIDs).
	RunIDs []string
}

// NewModel returns an empty model.
func NewModel(disableAfter int) *Model {
	return &Model{DisableAfter: disableAfter, Counters: map[string]*ModelCounter{}, Events: map[string]string{}, Disables: map[string]int{}, Runs: map[string]string{}, seen: map[string]bool{}}
}

func modelKind(f *subjects.Failure) subjects.Kind {
	switch f.Stage {
	case subjects.StageValidate:
		return subjects.KindValidation
	case subjects.StageMap:
		return subjects.KindMissingAccountMapping
	case subjects.StageAuthenticate:
		return subjects.KindAuthentication
	}
	if f.HTTP != nil && f.HTTP.Response != nil && f.HTTP.Response.Status == 401 {
		return subjects.KindAuthentication
	}
	return subjects.KindPerform
}

// Apply applies an outcome in arrival order; a resent run id is ignored.
func (m *Model) Apply(o subjects.RunOutcome) {
	key := o.IntegrationID + "\x00" + o.RunID
	if m.seen[key] {
		return
	}
	m.seen[key] = true
	c := m.Counters[o.IntegrationID]
	if c == nil {
		c = &ModelCounter{}
		m.Counters[o.IntegrationID] = c
	}
	if o.Status == subjects.StatusSucceeded {
		c.Streak, c.RunIDs = 0, nil
		return
	}
	c.Streak++
	if len(c.RunIDs) < min(m.DisableAfter, subjects.MaxStreakRunIDs) {
		c.RunIDs = append(c.RunIDs, o.RunID)
	}
	k := modelKind(o.Failure)
	id := processor.FailureEventID(o.IntegrationID, o.RunID, k).String()
	m.Events[id] = k.EventName()
	m.Runs[id] = o.IntegrationID + "/" + o.RunID
	if c.Streak == m.DisableAfter && !c.Disabled {
		c.Disabled = true
		m.Events[processor.DisabledEventID(o.IntegrationID, c.Episode).String()] = subjects.KindDisabled.EventName()
		m.Disables[o.IntegrationID]++
	}
}

// Enable applies an enable command.
func (m *Model) Enable(integrationID string) {
	c := m.Counters[integrationID]
	if c == nil {
		c = &ModelCounter{}
		m.Counters[integrationID] = c
	}
	c.Streak, c.RunIDs = 0, nil
	if c.Disabled {
		c.Disabled = false
		c.Episode++
	}
}

// Diff compares a counter with the model's (streak, disabled, episode and
// streak run ids), returning "" when they agree.
func (m *Model) Diff(integrationID string, got subjects.FailureCounter) string {
	want := m.Counters[integrationID]
	if want == nil {
		return fmt.Sprintf("%s: not in the model", integrationID)
	}
	if got.ConsecutiveFailures != want.Streak || got.Disabled != want.Disabled || got.Episode != want.Episode {
		return fmt.Sprintf("%s: streak %d disabled %t episode %d, model says %d %t %d", integrationID,
			got.ConsecutiveFailures, got.Disabled, got.Episode, want.Streak, want.Disabled, want.Episode)
	}
	if !slices.Equal(got.StreakRunIDs, want.RunIDs) {
		i := 0
		for i < min(len(got.StreakRunIDs), len(want.RunIDs)) && got.StreakRunIDs[i] == want.RunIDs[i] {
			i++
		}
		return fmt.Sprintf("%s: %d streak run ids, model says %d, from index %d on they differ", integrationID, len(got.StreakRunIDs), len(want.RunIDs), i)
	}
	return ""
}

// Integrations lists the model's integrations, sorted.
func (m *Model) Integrations() []string {
	out := make([]string, 0, len(m.Counters))
	for id := range m.Counters {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
