package workload

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// Model is a reference model of the streak rules under a disable policy,
// written apart from the processor's state machine, for comparing a run's
// final state with what its workload implies. Only event ids and the
// policy's resolved values are shared: they are the contract.
type Model struct {
	Policy   *policy.Resolved
	Counters map[string]*ModelCounter
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
	// ByKind counts the streak's failures that count, by kind; First is
	// its first failure's finishedAt, Warned its warning levels raised.
	ByKind map[subjects.Kind]int
	First  time.Time
	Warned map[int]bool
	// RunIDs are the streak's first run ids, at most
	// min(DisableAfter, subjects.MaxStreakRunIDs).
	RunIDs []string
}

// NewModel returns an empty model of policy pol.
func NewModel(pol *policy.Resolved) *Model {
	return &Model{Policy: pol, Counters: map[string]*ModelCounter{}, Events: map[string]string{}, Disables: map[string]int{}, Runs: map[string]string{}, seen: map[string]bool{}}
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
	c := m.counter(o.IntegrationID)
	r := m.Policy.For(o.Destination)
	if o.Status == subjects.StatusSucceeded {
		if c.Streak > 0 && !c.Disabled {
			m.Events[processor.RecoveredEventID(o.IntegrationID, o.RunID).String()] = subjects.KindRecovered.EventName()
		}
		c.reset()
		return
	}
	k := modelKind(o.Failure)
	id := processor.FailureEventID(o.IntegrationID, o.RunID, k).String()
	m.Events[id] = k.EventName()
	m.Runs[id] = o.IntegrationID + "/" + o.RunID
	if !r.Counts(k) {
		return
	}
	if c.Streak == 0 {
		c.First = o.FinishedAt
	}
	c.Streak++
	c.ByKind[k]++
	if len(c.RunIDs) < min(r.DisableAfter, subjects.MaxStreakRunIDs) && subjects.StreakRunIDsFit(c.RunIDs, o.RunID) {
		c.RunIDs = append(c.RunIDs, o.RunID)
	}
	if c.Disabled {
		return
	}
	// count is the streak's failures toward a threshold: the whole
	// streak's, or one kind's.
	count := func(t policy.Threshold) int {
		if t.Kind == "" {
			return c.Streak
		}
		return c.ByKind[t.Kind]
	}
	if !o.FinishedAt.Before(c.First.Add(r.MinStreakAge)) {
		for _, t := range r.Thresholds {
			if count(t) >= t.DisableAfter {
				c.Disabled = true
				m.Events[processor.DisabledEventID(o.IntegrationID, c.Episode).String()] = subjects.KindDisabled.EventName()
				m.Disables[o.IntegrationID]++
				return
			}
		}
	}
	// The highest level not warned yet that some threshold has reached,
	// short of the threshold itself, raises one warning.
	top := 0
	for _, p := range r.WarnAt {
		for _, t := range r.Thresholds {
			at := int(math.Ceil(float64(p) * float64(t.DisableAfter) / 100))
			if !c.Warned[p] && at < t.DisableAfter && count(t) >= at {
				c.Warned[p], top = true, p
			}
		}
	}
	if top > 0 {
		m.Events[processor.WarningEventID(o.IntegrationID, c.Episode, c.RunIDs[0], top).String()] = subjects.KindWarning.EventName()
	}
}

func (c *ModelCounter) reset() {
	c.Streak, c.RunIDs, c.ByKind, c.Warned = 0, nil, map[subjects.Kind]int{}, map[int]bool{}
}

// Enable applies an enable command.
func (m *Model) Enable(integrationID string) {
	c := m.counter(integrationID)
	c.reset()
	if c.Disabled {
		c.Disabled = false
		c.Episode++
	}
}

func (m *Model) counter(integrationID string) *ModelCounter {
	c := m.Counters[integrationID]
	if c == nil {
		c = &ModelCounter{}
		c.reset()
		m.Counters[integrationID] = c
	}
	return c
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
