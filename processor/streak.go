package processor

import (
	"slices"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/subjects"
)

// DefaultDisableAfter is how many successive failures disable an
// integration under the default policy.
const DefaultDisableAfter = policy.DefaultDisableAfter

// Transition is what applying one outcome did to a counter.
type Transition struct {
	// Kind is the kind of the failure's own event; empty for a success.
	Kind subjects.Kind
	// Rule is the row of Classification the failure matched, so its event
	// is written from the same row without classifying again; nil for a
	// success.
	Rule *Rule
	// Counted is false for a failure whose kind the policy does not count:
	// it raised its event and changed no streak.
	Counted bool
	// Disabled is true when this failure disabled the integration: it then
	// raises the episode's one disabled event and disable command. Fired
	// is the threshold that did.
	Disabled bool
	Fired    policy.Threshold
	// Warning is the warning this failure raised; nil for none.
	Warning *Warning
	// Recovered is the streak this success ended; nil for none.
	Recovered *Recovery
}

// Warning is a warning level a failure reached before the disable.
type Warning struct {
	// Percent is the level, a value of the policy's warnAt: the highest
	// the failure reached.
	Percent int
	// Threshold is the rule nearest to firing, and Failures the streak's
	// failures toward it (at or past its threshold while the streak is
	// too young to disable).
	Threshold policy.Threshold
	Failures  int
	// NotBefore is when the streak is old enough to disable, while it is
	// not yet (under a minStreakAge); nil otherwise.
	NotBefore *time.Time
}

// Until is how many more failures toward w's threshold reach it; 0 once
// they have.
func (w *Warning) Until() int { return max(w.Threshold.DisableAfter-w.Failures, 0) }

// Recovery is the streak a success ended, as it stood before the success.
type Recovery struct {
	FailedRuns     int
	FirstFailureAt time.Time
	FailuresByKind map[string]int
	// AutoAction is the policy's autoActionOnRecovery.
	AutoAction bool
}

// ApplyOutcome is the failure-streak state machine: it returns the counter
// after the validated outcome o, stored at stream sequence seq, under the
// policy rules r of o's destination, and what the outcome raised. It is
// pure; the caller has already discarded redeliveries and resent run ids.
//
// A failure of a kind the policy counts adds to the streak, also while
// disabled; one it does not count changes no streak. The counted failure
// that finds a threshold of r reached (the streak's, or a kind's) with the
// streak at least r.MinStreakAge old, from its first failure's finishedAt
// to this one's, disables the integration, once per episode. Before that,
// a counted failure that reaches a warning level of r for the first time
// in the streak raises one warning, at the highest level it reached. A
// success ends the streak without re-enabling (only Enable does); one
// that ends a streak while enabled is a recovery. StreakRunIDs keeps the
// streak's first min(disableAfter, subjects.MaxStreakRunIDs) run ids that
// fit subjects.MaxStreakRunIDBytes.
func ApplyOutcome(c subjects.FailureCounter, o *subjects.RunOutcome, seq uint64, r *policy.Rules) (subjects.FailureCounter, Transition) {
	c = cloneCounter(c)
	c.IntegrationID = o.IntegrationID
	c.Destination = o.Destination
	c.DisableAfter = r.DisableAfter
	c.LastAppliedSeq = seq
	c.LastRunID = o.RunID
	if o.Status == subjects.StatusSucceeded {
		var t Transition
		if c.ConsecutiveFailures > 0 && !c.Disabled {
			t.Recovered = &Recovery{FailedRuns: c.ConsecutiveFailures, FailuresByKind: c.FailuresByKind, AutoAction: r.AutoActionOnRecovery}
			if c.FirstFailureAt != nil {
				t.Recovered.FirstFailureAt = *c.FirstFailureAt
			}
		}
		resetStreak(&c)
		return c, t
	}
	var rule *Rule
	if i := classify(o.Destination, o.Failure); i >= 0 {
		rule = &Classification[i]
	}
	kind := subjects.Kind("")
	if rule != nil {
		kind = rule.Kind
	}
	t := Transition{Kind: kind, Rule: rule, Counted: r.Counts(kind)}
	if !t.Counted {
		return c, t
	}
	at := o.FinishedAt
	c.ConsecutiveFailures++
	if c.FirstFailureAt == nil {
		c.FirstFailureAt = &at
	}
	c.LastFailureAt = &at
	c.LastError = o.Failure.Message
	if c.FailuresByKind == nil {
		c.FailuresByKind = map[string]int{}
	}
	c.FailuresByKind[kind.EventName()]++
	// A record stored before the limit may hold more: its first are kept.
	c.StreakRunIDs = c.StreakRunIDs[:min(len(c.StreakRunIDs), subjects.MaxStreakRunIDs)]
	if len(c.StreakRunIDs) < min(r.DisableAfter, subjects.MaxStreakRunIDs) && subjects.StreakRunIDsFit(c.StreakRunIDs, o.RunID) {
		c.StreakRunIDs = append(c.StreakRunIDs, o.RunID)
	}
	if c.Disabled {
		return c, t
	}
	if at.Sub(*c.FirstFailureAt) >= r.MinStreakAge {
		for _, th := range r.Thresholds {
			if th.Failures(&c) >= th.DisableAfter {
				c.Disabled = true
				c.DisabledAt = &at
				c.DisabledEventID = DisabledEventID(c.IntegrationID, c.Episode).String()
				c.DisabledBy = th.Key
				t.Disabled, t.Fired = true, th
				return c, t
			}
		}
	}
	t.Warning = warn(&c, r, at)
	return c, t
}

// warn returns the warning a counted failure, finished at, raises on c,
// which it has just been added to, and records every level it reached in
// c.WarnedPercent: one warning, at the highest level reached for the first
// time in the streak, that names the threshold nearest to firing (the
// fewest failures to go, whichever threshold reached the level), since
// that is what the operator has left. A kind's threshold the streak holds
// no failure of is not near, however low: other failures do not bring it
// closer.
func warn(c *subjects.FailureCounter, r *policy.Rules, at time.Time) *Warning {
	top := 0
	for _, p := range r.WarnAt {
		reached := slices.ContainsFunc(r.Thresholds, func(th policy.Threshold) bool {
			n, ok := th.WarnCount(p)
			return ok && th.Failures(c) >= n
		})
		if reached && !slices.Contains(c.WarnedPercent, p) {
			c.WarnedPercent = append(c.WarnedPercent, p)
			top = p
		}
	}
	if top == 0 {
		return nil
	}
	near := r.Thresholds[0]
	for _, th := range r.Thresholds[1:] {
		if th.Failures(c) > 0 && th.DisableAfter-th.Failures(c) < near.DisableAfter-near.Failures(c) {
			near = th
		}
	}
	w := &Warning{Percent: top, Threshold: near, Failures: near.Failures(c)}
	if nb := c.FirstFailureAt.Add(r.MinStreakAge); at.Before(nb) {
		w.NotBefore = &nb
	}
	return w
}

// Unchanged reports whether applying o to c changes nothing but the last
// run id and sequence: a success while there is no streak, on an
// integration already stored with o's destination (its first outcome is stored, so the API
// knows it). The pipeline
// stores nothing for it, so a healthy integration costs no counter write.
// Replaying it is harmless: before any later outcome it is again a no-op,
// and after one it is skipped as older than the counter's last sequence.
func Unchanged(c subjects.FailureCounter, o *subjects.RunOutcome) bool {
	return o.Status == subjects.StatusSucceeded && c.ConsecutiveFailures == 0 && c.IntegrationID != "" && c.Destination == o.Destination
}

// Enable applies an enable command stored at stream sequence seq, under the
// policy rules r of the integration's destination: it resets the streak
// (which is no recovery) and, when the integration was disabled, re-enables
// it and opens a new episode. reopened says whether it did the latter.
func Enable(c subjects.FailureCounter, cmd subjects.EnableCommand, seq uint64, r *policy.Rules) (next subjects.FailureCounter, reopened bool) {
	c = cloneCounter(c)
	c.IntegrationID = cmd.IntegrationID
	c.DisableAfter = r.DisableAfter
	c.LastAppliedSeq = seq
	c.LastEnableID = cmd.ID
	resetStreak(&c)
	if c.Disabled {
		c.Disabled = false
		c.DisabledAt = nil
		c.DisabledEventID = ""
		c.DisabledBy = ""
		c.Episode++
		reopened = true
	}
	if !cmd.Time.IsZero() {
		t := cmd.Time
		c.EnabledAt = &t
	}
	c.EnabledBy = cmd.EnabledBy
	return c, reopened
}

func resetStreak(c *subjects.FailureCounter) {
	c.ConsecutiveFailures = 0
	c.FirstFailureAt = nil
	c.LastFailureAt = nil
	c.LastError = ""
	c.FailuresByKind = map[string]int{}
	c.StreakRunIDs = nil
	c.WarnedPercent = nil
}

// cloneCounter copies the reference fields so a transition never mutates the
// caller's counter: the pipeline keeps the old one until the new one is stored.
func cloneCounter(c subjects.FailureCounter) subjects.FailureCounter {
	if c.FailuresByKind != nil {
		m := make(map[string]int, len(c.FailuresByKind))
		for k, v := range c.FailuresByKind {
			m[k] = v
		}
		c.FailuresByKind = m
	}
	if c.StreakRunIDs != nil {
		c.StreakRunIDs = append([]string(nil), c.StreakRunIDs...)
	}
	if c.WarnedPercent != nil {
		c.WarnedPercent = append([]int(nil), c.WarnedPercent...)
	}
	return c
}
