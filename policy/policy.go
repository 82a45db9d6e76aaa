package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"go.yaml.in/yaml/v3"
)

// Defaults of the top level of a policy: today's twenty failures, and
// warnings at half, three quarters and nine tenths of the way.
const DefaultDisableAfter = 20

// DefaultWarnAt is the default warnAt.
var DefaultWarnAt = []int{50, 75, 90}

// MaxDisableAfter bounds every disableAfter.
const MaxDisableAfter = 10_000

// Policy is a disable policy as the file gives it: the top level, and
// overrides per destination with the same keys. A key left out takes the
// top level's value, and the top level's takes the default.
type Policy struct {
	Settings `yaml:",inline"`
	// Destinations are overrides keyed by destination, compared without
	// case to the destination an outcome names ("Stripe").
	Destinations map[string]Settings `yaml:"destinations,omitempty"`
}

// Settings are the keys of the top level and of a destination's override.
// A nil field is not set.
type Settings struct {
	// DisableAfter is the streak of failures that count which disables.
	DisableAfter *int `yaml:"disableAfter,omitempty"`
	// WarnAt are the warning levels, in percent of a threshold, each
	// 1 to 99 and increasing; empty turns warnings off.
	WarnAt *[]int `yaml:"warnAt,omitempty"`
	// MinStreakAge is how old a streak must also be, from its first
	// failure's finishedAt, to disable.
	MinStreakAge *Duration `yaml:"minStreakAge,omitempty"`
	// AutoActionOnRecovery marks a streak's error and warning events
	// actioned when a success ends it.
	AutoActionOnRecovery *bool `yaml:"autoActionOnRecovery,omitempty"`
	// Kinds are rules per failure kind, keyed by its subject token
	// (validation, missingaccountmapping, authentication, perform).
	Kinds map[string]KindSettings `yaml:"kinds,omitempty"`
}

// KindSettings are the rules of one failure kind.
type KindSettings struct {
	// DisableAfter disables when the streak holds this many failures of
	// the kind.
	DisableAfter *int `yaml:"disableAfter,omitempty"`
	// Counts false makes the kind raise its event without adding to the
	// streak or resetting it.
	Counts *bool `yaml:"counts,omitempty"`
}

// Duration is a time.Duration written as Go writes one ("72h", "90m").
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as 72h or 30m", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 72h or 30m", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as Go does.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Default returns the default policy: every field unset.
func Default() Policy { return Policy{} }

// Load reads and validates the policy file at path.
func Load(path string) (Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("policy: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// Parse reads and validates a policy from YAML. A key that is no key of a
// policy is an error, as is a value of the wrong type (with its line).
func Parse(b []byte) (Policy, error) {
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Policy{}, fmt.Errorf("%w: %s", ErrInvalid, yamlReason(err))
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return Policy{}, fmt.Errorf("%w: the file holds more than one YAML document; a policy is one", ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Validate reports every setting that cannot work, by its key.
func (p Policy) Validate() error {
	errs := p.Settings.validate("")
	var seen []string
	for _, name := range p.destinationNames() {
		if strings.TrimSpace(name) == "" {
			errs = append(errs, fmt.Errorf("%w: destinations: a destination's name is empty", ErrInvalid))
			continue
		}
		if strings.TrimSpace(name) != name {
			errs = append(errs, fmt.Errorf("%w: destinations: %q has spaces around it, so no destination would match it", ErrInvalid, name))
		}
		if i := slices.IndexFunc(seen, func(s string) bool { return strings.EqualFold(s, name) }); i >= 0 {
			errs = append(errs, fmt.Errorf("%w: destinations: %q and %q are the same destination (names are compared without case)", ErrInvalid, seen[i], name))
		}
		seen = append(seen, name)
		errs = append(errs, p.Destinations[name].validate("destinations."+name+".")...)
	}
	// The resolved rules are checked too: an override can make an
	// inherited kind rule meet a streak rule it no longer fits.
	for _, r := range p.resolveAll() {
		for _, err := range r.validate() {
			if !slices.ContainsFunc(errs, func(e error) bool { return e.Error() == err.Error() }) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (s Settings) validate(prefix string) []error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s%s: %s", ErrInvalid, prefix, key, fmt.Sprintf(format, a...)))
	}
	if s.DisableAfter != nil && (*s.DisableAfter < 1 || *s.DisableAfter > MaxDisableAfter) {
		bad("disableAfter", "%d must be 1 to %d", *s.DisableAfter, MaxDisableAfter)
	}
	if s.WarnAt != nil {
		for i, p := range *s.WarnAt {
			switch {
			case p < 1 || p > 99:
				bad("warnAt", "%d must be a percent from 1 to 99", p)
			case i > 0 && p <= (*s.WarnAt)[i-1]:
				bad("warnAt", "levels must increase: %d comes after %d", p, (*s.WarnAt)[i-1])
			}
		}
	}
	if s.MinStreakAge != nil && *s.MinStreakAge < 0 {
		bad("minStreakAge", "%s is negative", time.Duration(*s.MinStreakAge))
	}
	for _, name := range sortedKeys(s.Kinds) {
		k := s.Kinds[name]
		key := "kinds." + name
		if !slices.Contains(subjects.FailureKinds, subjects.Kind(name)) {
			bad(key, "%q is not a failure kind: want one of %s", name, kindNames())
			continue
		}
		if k.DisableAfter != nil && (*k.DisableAfter < 1 || *k.DisableAfter > MaxDisableAfter) {
			bad(key+".disableAfter", "%d must be 1 to %d", *k.DisableAfter, MaxDisableAfter)
		}
	}
	return errs
}

func kindNames() string {
	names := make([]string, len(subjects.FailureKinds))
	for i, k := range subjects.FailureKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func (p Policy) destinationNames() []string { return sortedKeys(p.Destinations) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// WithDisableAfter returns p with its top-level disableAfter set to n, as
// the --disable-after flag does over the file.
func (p Policy) WithDisableAfter(n int) Policy {
	p.DisableAfter = &n
	return p
}

// YAML is the policy written back as a file gives it, for logs and docs.
func (p Policy) YAML() string {
	b, err := yaml.Marshal(p)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// unknownField matches yaml's error for a key no field has.
var unknownField = regexp.MustCompile(`field (\S+) not found in type policy\.(\w+)`)

// keysOf are the keys of each level of a policy, for the error of an
// unknown key.
var keysOf = map[string]string{
	"Policy":       "disableAfter, warnAt, minStreakAge, autoActionOnRecovery, kinds, destinations",
	"Settings":     "disableAfter, warnAt, minStreakAge, autoActionOnRecovery, kinds",
	"KindSettings": "disableAfter, counts",
}

// yamlReason is err, yaml's, worded for the policy's author: an unknown
// key is named with the keys its level has, not Go's type names.
func yamlReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.Replace(msg, "unmarshal errors:\n  ", "", 1)
	return unknownField.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unknownField.FindStringSubmatch(m)
		return fmt.Sprintf("unknown key %q: want one of %s", sub[1], keysOf[sub[2]])
	})
}
