package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// Rules are the policy that applies to the integrations of one destination:
// the top level with the destination's override on it, every value set.
// A Rules is never changed once resolved; share it by pointer.
type Rules struct {
	// Scope is the destination key the override came from, as the file
	// spells it; empty for the top level alone.
	Scope        string
	DisableAfter int
	WarnAt       []int
	MinStreakAge time.Duration
	// AutoActionOnRecovery marks a streak's events actioned when a success
	// ends it.
	AutoActionOnRecovery bool
	// Thresholds are the rules that can disable: the streak's first, then
	// each kind's with a disableAfter, in the order of subjects.FailureKinds.
	Thresholds []Threshold
	// notCounted are the kinds with counts: false.
	notCounted []subjects.Kind
	// key is where each scalar value came from.
	keys map[string]string
}

// Threshold is one rule that can disable an integration.
type Threshold struct {
	// Key is the policy key it comes from, as the file spells it:
	// "disableAfter", "kinds.authentication.disableAfter",
	// "destinations.Stripe.disableAfter".
	Key string
	// Kind is the failure kind it counts; empty for the whole streak.
	Kind         subjects.Kind
	DisableAfter int
}

// Failures is how many of the streak's failures count toward t, in c.
func (t Threshold) Failures(c *subjects.FailureCounter) int {
	if t.Kind == "" {
		return c.ConsecutiveFailures
	}
	return c.FailuresByKind[t.Kind.EventName()]
}

// WarnCount is the failures toward t at which level percent warns: the
// percent of its threshold, rounded up. ok is false when that reaches the
// threshold itself, where the disable comes instead.
func (t Threshold) WarnCount(percent int) (n int, ok bool) {
	n = (percent*t.DisableAfter + 99) / 100
	return n, n < t.DisableAfter
}

// Counts reports whether a failure of kind adds to the streak (and so
// resets nothing either when it does not).
func (r *Rules) Counts(kind subjects.Kind) bool { return !slices.Contains(r.notCounted, kind) }

// Key is the policy key that set field ("minStreakAge",
// "autoActionOnRecovery", "warnAt", "kinds.validation.counts").
func (r *Rules) Key(field string) string {
	if k, ok := r.keys[field]; ok {
		return k
	}
	return field
}

// Resolved is a validated policy resolved for every destination it names.
// The zero value is not usable; use Resolve.
type Resolved struct {
	Policy Policy
	top    *Rules
	// byDestination are the overrides' rules, by destination as the file
	// spells it.
	byDestination map[string]*Rules
	names         []string
}

// Resolve validates p and resolves its rules.
func Resolve(p Policy) (*Resolved, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rs := p.resolveAll()
	r := &Resolved{Policy: p, top: rs[0], byDestination: map[string]*Rules{}, names: p.destinationNames()}
	for _, x := range rs[1:] {
		r.byDestination[x.Scope] = x
	}
	return r, nil
}

// MustResolve is Resolve for a policy known to be valid, such as Default().
func MustResolve(p Policy) *Resolved {
	r, err := Resolve(p)
	if err != nil {
		panic(err)
	}
	return r
}

// For returns the rules of destination, compared without case to the
// destinations the policy overrides; the top level's when none matches.
func (r *Resolved) For(destination string) *Rules {
	for _, name := range r.names {
		if strings.EqualFold(name, destination) {
			return r.byDestination[name]
		}
	}
	return r.top
}

// Top returns the top level's rules.
func (r *Resolved) Top() *Rules { return r.top }

// resolveAll resolves the top level, then each destination in name order.
func (p Policy) resolveAll() []*Rules {
	out := []*Rules{resolve(p.Settings, Settings{}, "")}
	for _, name := range p.destinationNames() {
		out = append(out, resolve(p.Settings, p.Destinations[name], name))
	}
	return out
}

// resolve lays the override o of destination scope (empty: none) on the
// top level and both on the defaults.
func resolve(top, o Settings, scope string) *Rules {
	r := &Rules{Scope: scope, DisableAfter: DefaultDisableAfter, WarnAt: slices.Clone(DefaultWarnAt), keys: map[string]string{}}
	prefix := ""
	if scope != "" {
		prefix = "destinations." + scope + "."
	}
	kindAfter := map[subjects.Kind]int{}
	counts := map[subjects.Kind]bool{}
	for _, layer := range []struct {
		s      Settings
		prefix string
	}{{top, ""}, {o, prefix}} {
		s := layer.s
		if s.DisableAfter != nil {
			r.DisableAfter, r.keys["disableAfter"] = *s.DisableAfter, layer.prefix+"disableAfter"
		}
		if s.WarnAt != nil {
			r.WarnAt, r.keys["warnAt"] = slices.Clone(*s.WarnAt), layer.prefix+"warnAt"
		}
		if s.MinStreakAge != nil {
			r.MinStreakAge, r.keys["minStreakAge"] = time.Duration(*s.MinStreakAge), layer.prefix+"minStreakAge"
		}
		if s.AutoActionOnRecovery != nil {
			r.AutoActionOnRecovery, r.keys["autoActionOnRecovery"] = *s.AutoActionOnRecovery, layer.prefix+"autoActionOnRecovery"
		}
		for name, k := range s.Kinds {
			kind, kp := subjects.Kind(name), "kinds."+name+"."
			if k.DisableAfter != nil {
				kindAfter[kind], r.keys[kp+"disableAfter"] = *k.DisableAfter, layer.prefix+kp+"disableAfter"
			}
			if k.Counts != nil {
				counts[kind], r.keys[kp+"counts"] = *k.Counts, layer.prefix+kp+"counts"
			}
		}
	}
	r.Thresholds = []Threshold{{Key: r.Key("disableAfter"), DisableAfter: r.DisableAfter}}
	for _, kind := range subjects.FailureKinds {
		if n, ok := kindAfter[kind]; ok {
			r.Thresholds = append(r.Thresholds, Threshold{Key: r.Key("kinds." + string(kind) + ".disableAfter"), Kind: kind, DisableAfter: n})
		}
		if c, ok := counts[kind]; ok && !c {
			r.notCounted = append(r.notCounted, kind)
		}
	}
	return r
}

// validate checks the resolved rules against each other.
func (r *Rules) validate() []error {
	var errs []error
	for _, t := range r.Thresholds[1:] {
		if !r.Counts(t.Kind) {
			errs = append(errs, fmt.Errorf("%w: %s: kind %s does not count (%s: false), so its threshold can never fire", ErrInvalid, t.Key, t.Kind, r.Key("kinds."+string(t.Kind)+".counts")))
		}
	}
	return errs
}

// After is the default policy with disableAfter n, resolved: a fixture for
// tests and benchmarks. It panics when n is out of range.
func After(n int) *Resolved { return MustResolve(Default().WithDisableAfter(n)) }
