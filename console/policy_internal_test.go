package console

import (
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

func TestPolicyViewSaysHowFarEachThresholdIs(t *testing.T) {
	nb := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	streak := func(failures, remaining int) subjects.AppliedThreshold {
		return subjects.AppliedThreshold{Rule: "disableAfter", DisableAfter: 4, Failures: failures, Remaining: remaining}
	}
	auth := func(failures, remaining int) subjects.AppliedThreshold {
		return subjects.AppliedThreshold{Rule: "kinds.authentication.disableAfter", Kind: subjects.KindAuthentication, DisableAfter: 2, Failures: failures, Remaining: remaining}
	}
	for _, c := range []struct {
		name    string
		p       subjects.AppliedPolicy
		counter subjects.FailureCounter
		want    [][3]string // what, distance, state
	}{
		{"open streak", subjects.AppliedPolicy{MinStreakAge: "0s", Thresholds: []subjects.AppliedThreshold{streak(3, 1), auth(0, 2)}}, subjects.FailureCounter{},
			[][3]string{{"streak", "1 more disables", ""}, {"authentication", "2 more disable", ""}}},
		{"reached, waiting for minStreakAge", subjects.AppliedPolicy{MinStreakAge: "1h0m0s", DisableNotBefore: &nb, Thresholds: []subjects.AppliedThreshold{streak(4, 0), auth(1, 1)}}, subjects.FailureCounter{},
			[][3]string{{"streak", "reached; the next failure disables once the streak is 1h0m0s old", "reached"}, {"authentication", "1 more disables", ""}}},
		{"disabled by a kind's rule", subjects.AppliedPolicy{MinStreakAge: "0s", Thresholds: []subjects.AppliedThreshold{streak(4, 0), auth(2, 0)}},
			subjects.FailureCounter{Disabled: true, DisabledBy: "kinds.authentication.disableAfter"},
			[][3]string{{"streak", "reached", "reached"}, {"authentication", "disabled it", "fired"}}},
		{"disabled, a threshold not reached", subjects.AppliedPolicy{MinStreakAge: "0s", Thresholds: []subjects.AppliedThreshold{streak(4, 0), auth(1, 1)}},
			subjects.FailureCounter{Disabled: true, DisabledBy: "disableAfter"},
			[][3]string{{"streak", "disabled it", "fired"}, {"authentication", "", ""}}},
	} {
		v := toPolicyView(&c.p, c.counter)
		if len(v.Thresholds) != len(c.want) {
			t.Fatalf("%s: %d thresholds", c.name, len(v.Thresholds))
		}
		for i, w := range c.want {
			if got := v.Thresholds[i]; got.What != w[0] || got.Distance != w[1] || got.State != w[2] {
				t.Errorf("%s: threshold %d %+v, want %q", c.name, i, got, w)
			}
		}
	}
	if toPolicyView(nil, subjects.FailureCounter{}) != nil {
		t.Error("a reply without a policy shows one")
	}
}
