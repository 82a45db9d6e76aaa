package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/subjects"
)

// Workload is a seeded, reproducible sequence of outcomes over a set of
// integrations: mostly successes, the four kinds of failure, some
// integrations that fail many times in a row, and runner resends.
type Workload struct {
	Outcomes []subjects.RunOutcome
}

// WorkloadConfig shapes a workload.
type WorkloadConfig struct {
	Seed         uint64
	Integrations int
	Outcomes     int
	// FailRate is the share of failed runs on a healthy integration.
	FailRate float64
	// Broken is the share of integrations that fail every run.
	Broken float64
	// ResendRate is the share of outcomes a runner sends again later.
	ResendRate float64
}

// NewWorkload builds the workload of cfg.
func NewWorkload(cfg WorkloadConfig) Workload {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x1e))
	ids := make([]string, cfg.Integrations)
	broken := map[string]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("int-%04d", i)
		broken[ids[i]] = r.Float64() < cfg.Broken
	}
	stages := []subjects.Stage{subjects.StageValidate, subjects.StageMap, subjects.StageAuthenticate, subjects.StagePerform}
	statuses := []int{0, 400, 401, 404, 422, 429, 500, 503}
	var w Workload
	for n := 0; len(w.Outcomes) < cfg.Outcomes; n++ {
		if len(w.Outcomes) > 0 && r.Float64() < cfg.ResendRate {
			w.Outcomes = append(w.Outcomes, w.Outcomes[r.IntN(len(w.Outcomes))])
			continue
		}
		id := ids[r.IntN(len(ids))]
		run := fmt.Sprintf("run-%06d", n)
		if broken[id] || r.Float64() < cfg.FailRate {
			w.Outcomes = append(w.Outcomes, Failed(id, run, stages[r.IntN(len(stages))], statuses[r.IntN(len(statuses))]))
		} else {
			w.Outcomes = append(w.Outcomes, Succeeded(id, run))
		}
	}
	return w
}

// Model applies the workload to a fresh model of policy pol.
func (w Workload) Model(pol *policy.Resolved) *Model {
	m := NewModel(pol)
	for _, o := range w.Outcomes {
		m.Apply(o)
	}
	return m
}
