package processor

import (
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// tally is what applying one outcome or enable command did, for the
// metrics: counted once its effects are stored.
type tally struct {
	seq uint64
	// outcome is set for an outcome, with its status, destination label
	// and the time JetStream stored it; unset for an enable command.
	outcome     bool
	status      subjects.Status
	destination string
	storedAt    time.Time
	events      []subjects.Kind
	disabled    bool
	// enabled is set for an enable command that enabled a disabled
	// integration.
	enabled bool
}

// outcomeTally is the tally of outcome o, stored at seq at storedAt, that
// raised eff.
func outcomeTally(o *subjects.RunOutcome, seq uint64, storedAt time.Time, eff Effects) tally {
	t := tally{seq: seq, outcome: true, status: o.Status, destination: DestinationLabel(o.Destination), storedAt: storedAt, disabled: eff.Disable != nil}
	for _, ev := range eff.Events {
		t.events = append(t.events, ev.Kind)
	}
	return t
}

// count counts t, applied to integration id, unless this replica counted it
// before. Each integration's outcomes are applied in stream order, so the
// last sequence counted tells a redelivery of an outcome already counted
// (one that changed nothing stores no sequence of its own) from a new one;
// resends are never tallied.
func (h *holding) count(p *Pipeline, id string, t tally) {
	if t.seq <= h.counted[id] {
		return
	}
	h.counted[id] = t.seq
	m := p.metrics
	if t.enabled {
		m.Enabled()
	}
	if !t.outcome {
		return
	}
	for _, k := range t.events {
		m.Event(k.EventName())
	}
	if t.disabled {
		m.Disabled()
	}
	m.Outcome(string(t.status), t.destination, t.storedAt)
}
