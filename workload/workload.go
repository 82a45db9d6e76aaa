package workload

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/subjects"
)

// Workload is a seeded, reproducible sequence of outcomes over a set of
// integrations: mostly successes, the four kinds of failure, some
// integrations that fail many times in a row, and runner resends. The
// odd-numbered integrations are Xero's and the others Salesforce's, and
// run n finishes n seconds after the first, so that a disable policy's
// destination overrides and minStreakAge have something to act on.
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
		i := r.IntN(len(ids))
		id := ids[i]
		run := fmt.Sprintf("run-%06d", n)
		o := Succeeded(id, run)
		if broken[id] || r.Float64() < cfg.FailRate {
			o = Failed(id, run, stages[r.IntN(len(stages))], statuses[r.IntN(len(statuses))])
		}
		if i%2 == 1 {
			o.Destination = "Xero"
		}
		o.FinishedAt = o.FinishedAt.Add(time.Duration(n) * time.Second)
		w.Outcomes = append(w.Outcomes, o)
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
