package processor_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// readmePolicy is the policy file README's "The disable policy" shows.
func readmePolicy(t *testing.T) *policy.Resolved {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### The disable policy\n.*?```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README has no policy under \"### The disable policy\"")
	}
	p, err := policy.Parse(m[1])
	if err != nil {
		t.Fatalf("README's policy: %v", err)
	}
	return policy.MustResolve(p)
}

// TestReadmeWorkedExample plays README's worked example: the same seven
// failures on a Xero and a Stripe integration, then the success and the
// minimum streak age it describes.
func TestReadmeWorkedExample(t *testing.T) {
	pol := readmePolicy(t)
	stages := []subjects.Stage{subjects.StagePerform, subjects.StageValidate, subjects.StageAuthenticate, subjects.StageAuthenticate, subjects.StagePerform, subjects.StagePerform, subjects.StageAuthenticate}
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	play := func(dest string, n int, age time.Duration) (subjects.FailureCounter, []processor.Transition) {
		var c subjects.FailureCounter
		var trs []processor.Transition
		rules := pol.For(dest)
		if age > 0 {
			r := *rules
			r.MinStreakAge = age
			rules = &r
		}
		for i, st := range stages[:n] {
			o := workload.Failed(dest+"-1", fmt.Sprint("run-", i+1), st, 500)
			o.Destination, o.FinishedAt = dest, start.Add(time.Duration(i)*time.Hour)
			var tr processor.Transition
			c, tr = processor.ApplyOutcome(c, &o, uint64(i+1), rules)
			trs = append(trs, tr)
		}
		return c, trs
	}
	for _, dest := range []string{"Xero", "Stripe"} {
		c, trs := play(dest, 7, 0)
		if trs[1].Counted || c.FailuresByKind["integration.validation.error"] != 0 {
			t.Errorf("%s: the validation failure counted", dest)
		}
		for i, tr := range trs {
			warns := i == 3
			if (tr.Warning != nil) != warns || warns && (tr.Warning.Percent != 50 || tr.Warning.Threshold.Key != "kinds.authentication.disableAfter" || tr.Warning.Threshold.DisableAfter-tr.Warning.Failures != 1) {
				t.Errorf("%s failure %d: warning %+v", dest, i+1, tr.Warning)
			}
			if tr.Disabled != (i == 6) {
				t.Errorf("%s failure %d: disabled %v", dest, i+1, tr.Disabled)
			}
		}
		if c.ConsecutiveFailures != 6 || c.DisabledBy != "kinds.authentication.disableAfter" {
			t.Errorf("%s: streak %d, disabled by %q", dest, c.ConsecutiveFailures, c.DisabledBy)
		}
		// A success after the 6th failure instead: a recovery of 5.
		c, _ = play(dest, 6, 0)
		ok := workload.Succeeded(dest+"-1", "run-ok")
		ok.Destination = dest
		if _, tr := processor.ApplyOutcome(c, &ok, 7, pol.For(dest)); tr.Recovered == nil || tr.Recovered.FailedRuns != 5 {
			t.Errorf("%s: the success recovered %+v", dest, tr.Recovered)
		}
		// Under minStreakAge 72h the 7th failure, 6h after the 1st, does not disable.
		if _, trs := play(dest, 7, 72*time.Hour); trs[6].Disabled {
			t.Errorf("%s: disabled before the streak was 72h old", dest)
		}
	}
	if got := pol.For("stripe").Thresholds[0]; got.Key != "destinations.Stripe.disableAfter" || got.DisableAfter != 10 {
		t.Errorf("Stripe's streak threshold %+v", got)
	}
}

// TestWarningNamesTheThresholdNearestToFiring: a warning names the rule
// that will disable first, among the streak's and the kinds' the streak
// holds failures of, whichever reached the level.
func TestWarningNamesTheThresholdNearestToFiring(t *testing.T) {
	p, err := policy.Parse([]byte("kinds:\n  authentication:\n    disableAfter: 3\ndestinations:\n  Stripe:\n    disableAfter: 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.MustResolve(p)
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, dest string
		stages     []subjects.Stage
		rule       string
		until      int
	}{
		// 5 of 10: authentication has no failure in the streak, so it is not near.
		{"no authentication failure", "Stripe", slices.Repeat([]subjects.Stage{subjects.StagePerform}, 5), "destinations.Stripe.disableAfter", 5},
		// 15 of 20 reaches 75%, but 2 of 3 authentication failures disable first.
		{"authentication nearer", "Salesforce", append([]subjects.Stage{subjects.StageAuthenticate, subjects.StageAuthenticate}, slices.Repeat([]subjects.Stage{subjects.StagePerform}, 13)...), "kinds.authentication.disableAfter", 1},
	} {
		var c subjects.FailureCounter
		var last processor.Transition
		for i, st := range tc.stages {
			o := workload.Failed("near-1", fmt.Sprint("run-", i), st, 500)
			o.Destination, o.FinishedAt = tc.dest, start.Add(time.Duration(i)*time.Minute)
			c, last = processor.ApplyOutcome(c, &o, uint64(i+1), pol.For(tc.dest))
		}
		if w := last.Warning; w == nil || w.Threshold.Key != tc.rule || w.Until() != tc.until {
			t.Errorf("%s: warning %+v, want rule %s with %d to go", tc.name, w, tc.rule, tc.until)
		}
	}
}
