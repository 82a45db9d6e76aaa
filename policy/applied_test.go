package policy_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/subjects"
)

func TestAppliedShowsTheRulesAndTheDistanceToEachThreshold(t *testing.T) {
	first := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	auth, perform := subjects.KindAuthentication.EventName(), subjects.KindPerform.EventName()
	const file = `
disableAfter: 6
warnAt: [50]
kinds:
  authentication: {disableAfter: 3}
  validation: {counts: false}
destinations:
  Stripe:
    disableAfter: 4
    minStreakAge: 72h
    autoActionOnRecovery: true
`
	pol := mustParse(t, file)
	top := []subjects.AppliedThreshold{{Rule: "disableAfter", DisableAfter: 6}, {Rule: "kinds.authentication.disableAfter", Kind: subjects.KindAuthentication, DisableAfter: 3}}
	stripe := []subjects.AppliedThreshold{{Rule: "destinations.Stripe.disableAfter", DisableAfter: 4}, {Rule: "kinds.authentication.disableAfter", Kind: subjects.KindAuthentication, DisableAfter: 3}}
	with := func(ths []subjects.AppliedThreshold, failures ...int) []subjects.AppliedThreshold {
		out := append([]subjects.AppliedThreshold(nil), ths...)
		for i, n := range failures {
			out[i].Failures, out[i].Remaining = n, max(out[i].DisableAfter-n, 0)
		}
		return out
	}
	at := func(d time.Duration) *time.Time { x := first.Add(d); return &x }
	notCounted := []subjects.Kind{subjects.KindValidation}

	for _, c := range []struct {
		name    string
		pol     *policy.Resolved
		counter subjects.FailureCounter
		want    subjects.AppliedPolicy
	}{{
		name:    "default policy, no streak",
		pol:     policy.MustResolve(policy.Default()),
		counter: subjects.FailureCounter{IntegrationID: "i", Destination: "Salesforce"},
		want: subjects.AppliedPolicy{DisableAfter: 20, WarnAt: []int{50, 75, 90}, MinStreakAge: "0s",
			Thresholds: []subjects.AppliedThreshold{{Rule: "disableAfter", DisableAfter: 20, Remaining: 20}}},
	}, {
		name: "top level, a kind's threshold nearer than the streak's",
		pol:  pol,
		counter: subjects.FailureCounter{IntegrationID: "i", Destination: "Salesforce", ConsecutiveFailures: 4, FirstFailureAt: &first,
			FailuresByKind: map[string]int{auth: 2, perform: 2}, WarnedPercent: []int{50}},
		want: subjects.AppliedPolicy{DisableAfter: 6, WarnAt: []int{50}, MinStreakAge: "0s", NotCounted: notCounted,
			Thresholds: with(top, 4, 2), WarnedPercent: []int{50}},
	}, {
		name: "a destination's override, matched without case, streak open under minStreakAge",
		pol:  pol,
		counter: subjects.FailureCounter{IntegrationID: "i", Destination: "stripe", ConsecutiveFailures: 4, FirstFailureAt: &first,
			FailuresByKind: map[string]int{perform: 4}, WarnedPercent: []int{50}},
		want: subjects.AppliedPolicy{Scope: "Stripe", DisableAfter: 4, WarnAt: []int{50}, MinStreakAge: "72h0m0s", AutoActionOnRecovery: true,
			NotCounted: notCounted, Thresholds: with(stripe, 4, 0), DisableNotBefore: at(72 * time.Hour), WarnedPercent: []int{50}},
	}, {
		name:    "minStreakAge without a streak: no time to wait for",
		pol:     pol,
		counter: subjects.FailureCounter{IntegrationID: "i", Destination: "Stripe"},
		want: subjects.AppliedPolicy{Scope: "Stripe", DisableAfter: 4, WarnAt: []int{50}, MinStreakAge: "72h0m0s", AutoActionOnRecovery: true,
			NotCounted: notCounted, Thresholds: with(stripe, 0, 0)},
	}, {
		name: "disabled, failures past the threshold: nothing remains, no time to wait for",
		pol:  pol,
		counter: subjects.FailureCounter{IntegrationID: "i", Destination: "Stripe", Disabled: true, DisabledBy: "kinds.authentication.disableAfter",
			ConsecutiveFailures: 7, FirstFailureAt: &first, FailuresByKind: map[string]int{auth: 5, perform: 2}},
		want: subjects.AppliedPolicy{Scope: "Stripe", DisableAfter: 4, WarnAt: []int{50}, MinStreakAge: "72h0m0s", AutoActionOnRecovery: true,
			NotCounted: notCounted, Thresholds: with(stripe, 7, 5)},
	}, {
		name:    "warnings off",
		pol:     mustParse(t, "disableAfter: 3\nwarnAt: []\n"),
		counter: subjects.FailureCounter{IntegrationID: "i", ConsecutiveFailures: 1, FirstFailureAt: &first, FailuresByKind: map[string]int{perform: 1}},
		want: subjects.AppliedPolicy{DisableAfter: 3, WarnAt: []int{}, MinStreakAge: "0s",
			Thresholds: []subjects.AppliedThreshold{{Rule: "disableAfter", DisableAfter: 3, Failures: 1, Remaining: 2}}},
	}} {
		t.Run(c.name, func(t *testing.T) {
			got := c.pol.For(c.counter.Destination).Applied(c.counter)
			if !reflect.DeepEqual(got, c.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(c.want)
				t.Fatalf("applied policy\n got %s\nwant %s", g, w)
			}
		})
	}
}

func mustParse(t *testing.T, file string) *policy.Resolved {
	t.Helper()
	p, err := policy.Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	return policy.MustResolve(p)
}
