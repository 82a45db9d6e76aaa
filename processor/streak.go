package processor

import (
	"github.com/integration-events/integration-events/subjects"
)

// DefaultDisableAfter is how many successive failures disable an integration.
const DefaultDisableAfter = 20

// Transition is what applying one outcome did to a counter.
type Transition struct {
	// Kind is the kind of the failure's own event; empty for a success.
	Kind subjects.Kind
	// Disabled is true when this failure disabled the integration: it then
	// raises the episode's one disabled event and disable command.
	Disabled bool
	// Rule is the row of Classification the failure matched, so its event
	// is written from the same row without classifying again; nil for a
	// success.
	Rule *Rule
}

// ApplyOutcome is the failure-streak state machine: it returns the counter
// after the validated outcome o, stored at stream sequence seq, and what the
// outcome raised. It is pure; the caller has already discarded redeliveries
// and resent run ids.
//
// Every failure counts, whatever its kind, also while disabled. The failure
// that brings the streak to disableAfter disables the integration, once per
// episode. A success resets the streak but does not re-enable: only Enable
// does. StreakRunIDs keeps the streak's first min(disableAfter,
// subjects.MaxStreakRunIDs) run ids.
func ApplyOutcome(c subjects.FailureCounter, o *subjects.RunOutcome, seq uint64, disableAfter int) (subjects.FailureCounter, Transition) {
	c = cloneCounter(c)
	c.IntegrationID = o.IntegrationID
	c.DisableAfter = disableAfter
	c.LastAppliedSeq = seq
	c.LastRunID = o.RunID
	if o.Status == subjects.StatusSucceeded {
		resetStreak(&c)
		return c, Transition{}
	}
	var rule *Rule
	if i := classify(o.Destination, o.Failure); i >= 0 {
		rule = &Classification[i]
	}
	kind := subjects.Kind("")
	if rule != nil {
		kind = rule.Kind
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
	if len(c.StreakRunIDs) < min(disableAfter, subjects.MaxStreakRunIDs) {
		c.StreakRunIDs = append(c.StreakRunIDs, o.RunID)
	}
	t := Transition{Kind: kind, Rule: rule}
	if !c.Disabled && c.ConsecutiveFailures >= disableAfter {
		c.Disabled = true
		c.DisabledAt = &at
		c.DisabledEventID = DisabledEventID(c.IntegrationID, c.Episode).String()
		t.Disabled = true
	}
	return c, t
}

// Unchanged reports whether applying o to c changes nothing but the last
// run id and sequence: a success while there is no streak, on an
// integration already stored (its first outcome is stored, so the API
// knows it). The pipeline
// stores nothing for it, so a healthy integration costs no counter write.
// Replaying it is harmless: before any later outcome it is again a no-op,
// and after one it is skipped as older than the counter's last sequence.
func Unchanged(c subjects.FailureCounter, o *subjects.RunOutcome) bool {
	return o.Status == subjects.StatusSucceeded && c.ConsecutiveFailures == 0 && c.IntegrationID != ""
}

// Enable applies an enable command stored at stream sequence seq: it
// resets the streak and, when the integration was disabled, re-enables it and
// opens a new episode. reopened says whether it did the latter.
func Enable(c subjects.FailureCounter, cmd subjects.EnableCommand, seq uint64, disableAfter int) (next subjects.FailureCounter, reopened bool) {
	c = cloneCounter(c)
	c.IntegrationID = cmd.IntegrationID
	c.DisableAfter = disableAfter
	c.LastAppliedSeq = seq
	c.LastEnableID = cmd.ID
	resetStreak(&c)
	if c.Disabled {
		c.Disabled = false
		c.DisabledAt = nil
		c.DisabledEventID = ""
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
	return c
}
