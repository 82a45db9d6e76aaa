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
	f.IntVar(&p.disableAfter, "disable-after", policy.DefaultDisableAfter, "successive failures that disable an integration: the policy's top-level disableAfter, over the --policy file's")
}

// resolve reads the policy file, lays --disable-after on it when it was
// given (on the command line, by variable or by the config file), and
// resolves it.
func (p *policyFlags) resolve(f *pflag.FlagSet) (*policy.Resolved, error) {
	pol := policy.Default()
	if p.file != "" {
		var err error
		if pol, err = policy.Load(p.file); err != nil {
			return nil, err
		}
	}
	if f.Changed("disable-after") {
		if p.disableAfter < 1 || p.disableAfter > policy.MaxDisableAfter {
			return nil, fmt.Errorf("configuration: disable-after %d must be 1 to %d", p.disableAfter, policy.MaxDisableAfter)
		}
		pol = pol.WithDisableAfter(p.disableAfter)
	}
	return policy.Resolve(pol)
}
