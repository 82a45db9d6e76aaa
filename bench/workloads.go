package bench

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// mix says which runs of a workload fail: one in every failEvery (1: all).
type mix struct {
	name         string
	integrations int
	failEvery    int
	// enableAfter, when set, sends an enable command after every
	// enableAfter-th failure of an integration, as an operator would after
	// its disable.
	enableAfter int
	// untimed is how many leading outcomes are applied before timing starts.
	untimed int
	// nonce sets this run's integrations and run ids apart from an earlier
	// run's on the same data directory, whose would be resends.
	nonce string
}

var stages = subjects.Stages

// integration names the integration of a workload's i-th outcome. Outcomes
// go round the integrations, so each one sees its runs spread over the whole
// workload.
func (m mix) integration(i int) string {
	return fmt.Sprintf("%s%s-%06d", m.nonce, m.name, i%m.integrations)
}

// runPrefix starts the run id of every outcome of the workload.
func (m mix) runPrefix() string { return m.nonce + m.name + "-run-" }

// failed says whether run i fails. A multiplicative hash spreads the
// failures so no integration fails in lockstep with the round.
func (m mix) failed(i int) bool {
	return m.failEvery == 1 || (uint32(i)*2654435761)>>8%uint32(m.failEvery) == 0
}

// outcome returns the i-th outcome: a realistic payload of 400 to 800 bytes,
// perform failures carrying the HTTP exchange (with credentials the
// processor redacts).
func (m mix) outcome(i int) subjects.RunOutcome {
	id, run := m.integration(i), fmt.Sprintf("%s%08d", m.runPrefix(), i)
	var o subjects.RunOutcome
	if m.failed(i) {
		st := stages[(i/m.integrations)%len(stages)]
		status := 500
		if i%7 == 0 {
			status = 401
		}
		o = workload.Failed(id, run, st, status)
	} else {
		o = workload.Succeeded(id, run)
	}
	started := o.FinishedAt.Add(-1200 * time.Millisecond)
	o.StartedAt = &started
	o.Log = []subjects.LogEntry{
		{Time: &started, Step: "extract", Level: "info", Message: "read bill " + o.EntityID + " with 14 line items from the billing ledger"},
		{Time: &o.FinishedAt, Step: "load", Level: "info", Message: "pushed to " + o.Destination + " in 1180 ms"},
	}
	return o
}

// message returns outcome i as published on its run subject.
func (m mix) message(subj subjects.Subjects, i int) *nats.Msg {
	o := m.outcome(i)
	b, err := json.Marshal(o)
	if err != nil {
		panic(err) // the builders above make only encodable values
	}
	return &nats.Msg{Subject: subj.Run(o.IntegrationID), Data: b}
}

// messages lays out a workload of n outcomes with its enable commands, in
// publish order.
func (m mix) messages(subj subjects.Subjects, n int) (count int, next func(int) *nats.Msg) {
	if m.enableAfter == 0 {
		return n, func(i int) *nats.Msg { return m.message(subj, i) }
	}
	// Outage: every run fails, so integration k's f-th failure is outcome
	// (f-1)*integrations+k; an enable follows each enableAfter-th one.
	type slot struct {
		outcome int
		enable  string
	}
	var order []slot
	failures := map[string]int{}
	for i := range n {
		order = append(order, slot{outcome: i})
		id := m.integration(i)
		if failures[id]++; failures[id]%m.enableAfter == 0 {
			order = append(order, slot{outcome: -1, enable: id})
		}
	}
	return len(order), func(i int) *nats.Msg {
		s := order[i]
		if s.outcome >= 0 {
			return m.message(subj, s.outcome)
		}
		b, _ := json.Marshal(subjects.EnableCommand{IntegrationID: s.enable, EnabledBy: "bench", Reason: "credentials rotated"})
		return &nats.Msg{Subject: subj.Enable(s.enable), Data: b}
	}
}
