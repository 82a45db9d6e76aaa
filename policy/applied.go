package policy

import (
	"slices"

	"github.com/integration-events/integration-events/subjects"
)

// Applied returns the rules r as they apply to the integration whose
// counter is c: every value, each threshold with c's failures toward it
// and how many more reach it, the levels c's streak has warned at, and,
// while c is enabled with a streak open under a minStreakAge, the earliest
// time a failure can disable. It reads c and decides nothing: the streak
// state machine (processor.ApplyOutcome) does.
func (r *Rules) Applied(c subjects.FailureCounter) subjects.AppliedPolicy {
	a := subjects.AppliedPolicy{
		Scope:                r.Scope,
		DisableAfter:         r.DisableAfter,
		WarnAt:               append([]int{}, r.WarnAt...),
		MinStreakAge:         r.MinStreakAge.String(),
		AutoActionOnRecovery: r.AutoActionOnRecovery,
		NotCounted:           slices.Clone(r.notCounted),
		Thresholds:           make([]subjects.AppliedThreshold, len(r.Thresholds)),
		WarnedPercent:        slices.Clone(c.WarnedPercent),
	}
	for i, th := range r.Thresholds {
		n := th.Failures(&c)
		a.Thresholds[i] = subjects.AppliedThreshold{Rule: th.Key, Kind: th.Kind, DisableAfter: th.DisableAfter, Failures: n, Remaining: max(th.DisableAfter-n, 0)}
	}
	if r.MinStreakAge > 0 && !c.Disabled && c.ConsecutiveFailures > 0 && c.FirstFailureAt != nil {
		nb := c.FirstFailureAt.Add(r.MinStreakAge).UTC()
		a.DisableNotBefore = &nb
	}
	return a
}
