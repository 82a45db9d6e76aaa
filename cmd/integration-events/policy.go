package main

import (
	"fmt"

	"github.com/integration-events/integration-events/policy"
	"github.com/spf13/pflag"
)

// policyFlags are serve's and bench's flags of the disable policy.
type policyFlags struct {
	file         string
	disableAfter int
}

func (p *policyFlags) add(f *pflag.FlagSet) {
	f.StringVar(&p.file, "policy", "", "YAML file of the disable policy (disableAfter, warnAt, minStreakAge, kinds, destinations); the default policy disables after 20 and warns at 50, 75 and 90%")
	f.IntVar(&p.disableAfter, "disable-after", 0, "successive failures that disable an integration, over the policy's top-level disableAfter; 0: the policy's (20 by default)")
}

// resolve reads the policy file, lays --disable-after on it unless it is
// 0, and resolves it. 0 is the default so that a configuration file that
// lists every key at its default (deploy/integration-events.yaml) leaves
// the policy file's disableAfter alone.
func (p *policyFlags) resolve() (*policy.Resolved, error) {
	pol := policy.Default()
	if p.file != "" {
		var err error
		if pol, err = policy.Load(p.file); err != nil {
			return nil, err
		}
	}
	if p.disableAfter != 0 {
		if p.disableAfter < 1 || p.disableAfter > policy.MaxDisableAfter {
			return nil, fmt.Errorf("configuration: disable-after %d must be 1 to %d (0: the policy's)", p.disableAfter, policy.MaxDisableAfter)
		}
		pol = pol.WithDisableAfter(p.disableAfter)
	}
	return policy.Resolve(pol)
}
