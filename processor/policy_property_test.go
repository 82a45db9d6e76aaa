package processor_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// randomPolicy draws a valid policy: any disableAfter, warning levels, a
// minimum streak age, kind rules and a destination's override.
func randomPolicy(rng *rand.Rand) policy.Policy {
	ptr := func(n int) *int { return &n }
	levels := func() *[]int {
		var w []int
		for p := 1 + rng.IntN(30); p < 100; p += 1 + rng.IntN(40) {
			w = append(w, p)
		}
		return &w
	}
	age := func() *policy.Duration {
		d := policy.Duration(time.Duration(rng.IntN(4)) * 5 * time.Minute)
		return &d
	}
	kinds := func() map[string]policy.KindSettings {
		m := map[string]policy.KindSettings{}
		for _, k := range subjects.FailureKinds {
			switch rng.IntN(4) {
			case 0:
				m[string(k)] = policy.KindSettings{DisableAfter: ptr(1 + rng.IntN(6))}
			case 1:
				no := false
				m[string(k)] = policy.KindSettings{Counts: &no}
			}
		}
		// A kind that does not count cannot have a threshold, inherited or not.
		return m
	}
	var p policy.Policy
	p.DisableAfter = ptr(1 + rng.IntN(25))
	if rng.IntN(4) > 0 {
		p.WarnAt = levels()
	}
	p.MinStreakAge = age()
	p.Kinds = kinds()
	if rng.IntN(2) == 0 {
		p.Destinations = map[string]policy.Settings{"stripe": {DisableAfter: ptr(1 + rng.IntN(10)), WarnAt: levels(), MinStreakAge: age()}}
	}
	return p
}

// policyRun drives one integration through outcomes of random kinds,
// destinations and times under a random policy, calling check after each.
type policyRun struct {
	rng  *rand.Rand
	pol  *policy.Resolved
	c    subjects.FailureCounter
	seq  uint64
	at   time.Time
	n    int
	ids  map[string]string // every event id raised -> event name
	outs []subjects.RunOutcome
	ops  []bool // true: an enable at this step
}

var propertyStages = []subjects.Stage{subjects.StageValidate, subjects.StageMap, subjects.StageAuthenticate, subjects.StagePerform}

func (r *policyRun) outcome() (subjects.RunOutcome, *policy.Rules) {
	r.n++
	r.at = r.at.Add(time.Duration(r.rng.IntN(4)) * time.Minute)
	id := fmt.Sprintf("run-%05d", r.n)
	var o subjects.RunOutcome
	if r.rng.IntN(100) < 80 {
		o = workload.Failed("prop-1", id, propertyStages[r.rng.IntN(len(propertyStages))], []int{0, 400, 500}[r.rng.IntN(3)])
	} else {
		o = workload.Succeeded("prop-1", id)
	}
	if r.rng.IntN(3) == 0 {
		o.Destination = "Stripe"
	}
	o.FinishedAt = r.at
	return o, r.pol.For(o.Destination)
}

// TestPolicyProperties checks, under random policies and sequences of
// outcomes and enables, that the streak state machine disables at most once
// an episode; disables exactly when a counted failure finds a threshold
// reached and the streak old enough (never before both hold, and not later
// than the first failure after); raises each warning level at most once a
// streak, never with or after a disable; and raises the same events as the
// workload's reference model.
func TestPolicyProperties(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 12))
		pol, err := policy.Resolve(randomPolicy(rng))
		if err != nil {
			t.Fatalf("seed %d: a random policy is invalid: %v", seed, err)
		}
		r := &policyRun{rng: rng, pol: pol, at: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ids: map[string]string{}}
		model := workload.NewModel(pol)
		disablesIn := map[int]int{} // episode -> disables
		warned := map[int]bool{}    // this streak's levels
		for step := range 400 {
			if rng.IntN(100) < 3 {
				r.seq++
				model.Enable("prop-1")
				r.c, _ = processor.Enable(r.c, subjects.EnableCommand{IntegrationID: "prop-1"}, r.seq, pol.For(r.c.Destination))
				clear(warned)
				continue
			}
			o, rules := r.outcome()
			model.Apply(o)
			before := r.c
			r.seq++
			var tr processor.Transition
			r.c, tr = processor.ApplyOutcome(r.c, &o, r.seq, rules)
			for _, e := range processor.BuildEffects(&r.c, &o, tr).Events {
				r.ids[e.ID] = e.Data.EventName
			}
			where := func() string { return fmt.Sprintf("seed %d step %d (%s)", seed, step, pol.Policy.YAML()) }
			if o.Status == subjects.StatusSucceeded || !tr.Counted {
				if o.Status == subjects.StatusSucceeded {
					clear(warned)
				}
				if tr.Disabled || tr.Warning != nil {
					t.Fatalf("%s: a success or an uncounted failure disabled or warned: %+v", where(), tr)
				}
				continue
			}
			age := o.FinishedAt.Sub(*r.c.FirstFailureAt)
			reached := slices.ContainsFunc(rules.Thresholds, func(th policy.Threshold) bool { return th.Failures(&r.c) >= th.DisableAfter })
			if want := !before.Disabled && reached && age >= rules.MinStreakAge; tr.Disabled != want {
				t.Fatalf("%s: disabled %v, want %v: threshold reached %v, age %s of %s, was disabled %v", where(), tr.Disabled, want, reached, age, rules.MinStreakAge, before.Disabled)
			}
			if tr.Disabled {
				if disablesIn[r.c.Episode]++; disablesIn[r.c.Episode] > 1 {
					t.Fatalf("%s: a second disable in episode %d", where(), r.c.Episode)
				}
				if tr.Fired.Failures(&r.c) < tr.Fired.DisableAfter || r.c.DisabledBy != tr.Fired.Key {
					t.Fatalf("%s: fired %+v with %d failures, counter says %q", where(), tr.Fired, tr.Fired.Failures(&r.c), r.c.DisabledBy)
				}
			}
			if w := tr.Warning; w != nil {
				if before.Disabled || tr.Disabled || warned[w.Percent] || !slices.Contains(rules.WarnAt, w.Percent) {
					t.Fatalf("%s: warning %+v (was disabled %v, disables %v, warned before %v)", where(), w, before.Disabled, tr.Disabled, warned[w.Percent])
				}
				reachedBy := slices.ContainsFunc(rules.Thresholds, func(th policy.Threshold) bool {
					n, ok := th.WarnCount(w.Percent)
					return ok && th.Failures(&r.c) >= n
				})
				inPlay := slices.DeleteFunc(slices.Clone(rules.Thresholds), func(th policy.Threshold) bool { return th.Kind != "" && th.Failures(&r.c) == 0 })
				nearest := slices.MinFunc(inPlay, func(a, b policy.Threshold) int {
					return (a.DisableAfter - a.Failures(&r.c)) - (b.DisableAfter - b.Failures(&r.c))
				})
				// At its threshold only while the streak is too young to disable.
				if !reachedBy || w.Until() != max(nearest.DisableAfter-nearest.Failures(&r.c), 0) || w.Until() == 0 && age >= rules.MinStreakAge ||
					(w.NotBefore != nil) != (age < rules.MinStreakAge) {
					t.Fatalf("%s: warning %+v: level reached %v, nearest threshold %+v, streak %s old", where(), w, reachedBy, nearest, age)
				}
				warned[w.Percent] = true
			}
		}
		if len(model.Events) != len(r.ids) {
			t.Fatalf("seed %d: %d events, the model %d", seed, len(r.ids), len(model.Events))
		}
		for id, name := range model.Events {
			if r.ids[id] != name {
				t.Fatalf("seed %d: the model's %s %s was not raised", seed, name, id)
			}
		}
		if d := model.Diff("prop-1", r.c); d != "" {
			t.Fatalf("seed %d: %s", seed, d)
		}
	}
}
