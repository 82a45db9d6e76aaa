package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/integration-events/integration-events/config"
	"github.com/spf13/pflag"
)

// TestConfigFileAtItsDefaultsLeavesThePolicyFile checks that a
// configuration file listing disable-after at its default (as
// deploy/integration-events.yaml does) does not override the policy file's
// disableAfter, while a value given does.
func TestConfigFileAtItsDefaultsLeavesThePolicyFile(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("disableAfter: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want int
	}{
		{"policy: " + pol + "\ndisable-after: 0\n", 5},
		{"policy: " + pol + "\n", 5},
		{"policy: " + pol + "\ndisable-after: 7\n", 7},
		{"disable-after: 0\n", 20},
	} {
		cfg := filepath.Join(dir, "serve.yaml")
		if err := os.WriteFile(cfg, []byte(tc.file), 0o600); err != nil {
			t.Fatal(err)
		}
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		var p policyFlags
		p.add(fs)
		config.AddFlag(fs)
		if err := fs.Parse([]string{"--config", cfg}); err != nil {
			t.Fatal(err)
		}
		if err := config.Apply(fs, func() []string { return nil }, nil); err != nil {
			t.Fatal(err)
		}
		r, err := p.resolve()
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Top().DisableAfter; got != tc.want {
			t.Errorf("%q: disableAfter %d, want %d", tc.file, got, tc.want)
		}
	}
}
