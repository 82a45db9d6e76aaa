// Package policy is the disable policy: when a streak of failed runs
// disables an integration, when it is warned of first, and what a recovery
// does. It parses and validates the policy file (YAML) and resolves the
// rules that apply to one destination; the streak state machine
// (processor.ApplyOutcome) is what applies them.
package policy
