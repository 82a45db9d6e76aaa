package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// policyView is the disable policy that applies to an integration, as its
// page shows it: where it comes from, and how far each threshold is.
type policyView struct {
	// Scope is "the top level" or the destination override's key.
	Scope      string
	Override   bool
	Thresholds []thresholdView
	WarnAt     string // "50%, 75%, 90%"; "" when warnings are off
	Warned     string // the levels the open streak warned at; "" for none
	// MinStreakAge is "" when there is none.
	MinStreakAge string
	NotBefore    time.Time
	NotCounted   []kindInfo
	AutoAction   bool
}

// thresholdView is one rule that can disable, with the integration's
// distance to it: "authentication 2 of 3", "1 more disables".
type thresholdView struct {
	Rule         string
	What         string // the kind's subject token, or "streak"
	Failures     int
	DisableAfter int
	Distance     string
	// State is "fired" for the rule that disabled the integration,
	// "reached" for one reached without disabling it (it waits for
	// minStreakAge, or another rule fired), else "".
	State string
}

// toPolicyView shows p for counter c; nil for a reply without a policy.
func toPolicyView(p *subjects.AppliedPolicy, c subjects.FailureCounter) *policyView {
	if p == nil {
		return nil
	}
	v := &policyView{Scope: p.Scope, Override: p.Scope != "", WarnAt: percents(p.WarnAt), Warned: percents(p.WarnedPercent), AutoAction: p.AutoActionOnRecovery}
	if d, err := time.ParseDuration(p.MinStreakAge); err == nil && d > 0 {
		v.MinStreakAge = p.MinStreakAge
	}
	if p.DisableNotBefore != nil {
		v.NotBefore = p.DisableNotBefore.UTC()
	}
	for _, k := range p.NotCounted {
		v.NotCounted = append(v.NotCounted, kindOf(k.EventName()))
	}
	for _, th := range p.Thresholds {
		tv := thresholdView{Rule: th.Rule, What: "streak", Failures: th.Failures, DisableAfter: th.DisableAfter}
		if th.Kind != "" {
			tv.What = string(th.Kind)
		}
		switch {
		case c.Disabled && c.DisabledBy == th.Rule:
			tv.State, tv.Distance = "fired", "disabled it"
		case th.Remaining == 0:
			tv.State, tv.Distance = "reached", "reached"
			if !c.Disabled && !v.NotBefore.IsZero() {
				tv.Distance = "reached; the next failure disables once the streak is " + v.MinStreakAge + " old"
			}
		case c.Disabled:
			// Already disabled: nothing more disables it.
		case th.Remaining == 1:
			tv.Distance = "1 more disables"
		default:
			tv.Distance = strconv.Itoa(th.Remaining) + " more disable"
		}
		v.Thresholds = append(v.Thresholds, tv)
	}
	return v
}

// percents writes levels as "50%, 75%"; "" for none.
func percents(levels []int) string {
	out := make([]string, len(levels))
	for i, p := range levels {
		out[i] = fmt.Sprintf("%d%%", p)
	}
	return strings.Join(out, ", ")
}
