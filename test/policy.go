package test

import (
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
