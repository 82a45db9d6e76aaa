package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/integration-events/integration-events/policy"
)

// WritePolicy writes the disable policy text (YAML) to a file for serve's
// --policy and returns its path and the policy as the processor resolves
// it, for the reference model (workload.NewModel).
func WritePolicy(t testing.TB, text string) (path string, resolved *policy.Resolved) {
	t.Helper()
	p, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatalf("the test's policy: %v", err)
	}
	if resolved, err = policy.Resolve(p); err != nil {
		t.Fatalf("the test's policy: %v", err)
	}
	path = filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, resolved
}

// SuitePolicy is the disable policy the fault suite runs under, around the
// streak threshold disableAfter its load was sized for: every key set away
// from its default, so each fault is survived with warnings, a kind's
// threshold, a kind that does not count, a destination's override and a
// minimum streak age in play (workload.NewWorkload puts half the
// integrations on Xero and spaces runs a second apart).
func SuitePolicy(disableAfter int) string {
	return fmt.Sprintf(`disableAfter: %d
warnAt: [30, 70]
minStreakAge: 90s
kinds:
  authentication:
    disableAfter: %d
  validation:
    counts: false
destinations:
  Xero:
    disableAfter: %d
    warnAt: [50]
`, disableAfter, max(2, disableAfter/2), disableAfter+2)
}
