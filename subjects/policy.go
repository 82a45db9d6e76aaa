package subjects

import "time"

// IntegrationReply is integrations.get's reply: the integration's failure
// counter, its fields at the top level as before, and the disable policy
// that applies to it.
type IntegrationReply struct {
	FailureCounter
	Policy *AppliedPolicy `json:"policy,omitempty"`
}

// AppliedPolicy is the disable policy that applies to one integration (the
// rules of its destination) and how far its streak is from each threshold.
type AppliedPolicy struct {
	// Scope is the destination key of the policy's override that applies,
	// as the policy file spells it ("Stripe"); empty for the top level.
	Scope        string `json:"scope"`
	DisableAfter int    `json:"disableAfter"`
	// WarnAt are the warning levels, in percent of a threshold; empty when
	// warnings are off.
	WarnAt []int `json:"warnAt"`
	// MinStreakAge is how old a streak must also be to disable, as Go
	// writes a duration ("72h0m0s", "0s").
	MinStreakAge         string `json:"minStreakAge"`
	AutoActionOnRecovery bool   `json:"autoActionOnRecovery"`
	// NotCounted are the failure kinds (subject tokens) the policy does not
	// count: they raise their event and change no streak.
	NotCounted []Kind `json:"notCounted,omitempty"`
	// Thresholds are the rules that can disable, the streak's first, each
	// with the integration's distance to it.
	Thresholds []AppliedThreshold `json:"thresholds"`
	// DisableNotBefore is, while a streak is open under a minStreakAge, the
	// earliest time a failure can disable: firstFailureAt plus
	// minStreakAge.
	DisableNotBefore *time.Time `json:"disableNotBefore,omitempty"`
	// WarnedPercent are the warning levels the open streak has raised.
	WarnedPercent []int `json:"warnedPercent,omitempty"`
}

// AppliedThreshold is one rule that can disable an integration and how far
// the integration's streak is from it.
type AppliedThreshold struct {
	// Rule is the policy key, as the file spells it: "disableAfter",
	// "kinds.authentication.disableAfter", "destinations.Stripe.disableAfter".
	Rule string `json:"rule"`
	// Kind is the failure kind (subject token) the rule counts; empty for
	// the whole streak.
	Kind         Kind `json:"kind,omitempty"`
	DisableAfter int  `json:"disableAfter"`
	// Failures are the streak's failures that count toward the rule, and
	// Remaining how many more reach it (0 once reached).
	Failures  int `json:"failures"`
	Remaining int `json:"remaining"`
}
