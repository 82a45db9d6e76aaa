package processor

import (
	"time"

	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap/zapcore"
)

// tally is what applying one outcome or enable command did, for the
// metrics and the log: counted once its counter is stored.
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
	// runID is the outcome's, enableID the enable command's: for the log.
	runID    string
	enableID string
	// enabled is set for an enable command that enabled a disabled
	// integration.
	enabled   bool
	enabledBy string
	// episode, consecutiveFailures and disabledEventID are the counter's
	// after a disable or an enable, for its log line.
	episode             int
	consecutiveFailures int
	disabledEventID     string
	// warning and recovered are what the outcome raised, for their log
	// lines; disabledBy is the policy key of a disable.
	warning    *Warning
	recovered  *Recovery
	disabledBy string
	// resentOf is set for a resend: the sequence of the run's first
	// message. A resend is logged, not counted in the metrics.
	resentOf uint64
}

// outcomeTally is the tally of outcome o, stored at seq at storedAt, that
// raised eff.
func outcomeTally(o *subjects.RunOutcome, seq uint64, storedAt time.Time, eff Effects) tally {
	t := tally{seq: seq, outcome: true, runID: o.RunID, status: o.Status, destination: DestinationLabel(o.Destination), storedAt: storedAt, disabled: eff.Disable != nil}
	for _, ev := range eff.Events {
		t.events = append(t.events, ev.Kind)
	}
	return t
}

// count counts and logs t, applied to integration id, unless this replica
// counted it before. Each integration's outcomes are applied in stream
// order, so the last sequence counted tells a redelivery of an outcome
// already counted (one that changed nothing stores no sequence of its own)
// from a new one; resends are logged, never tallied.
func (h *holding) count(p *Pipeline, id string, t tally) {
	if t.seq <= h.counted[id] {
		return
	}
	h.counted[id] = t.seq
	if t.resentOf != 0 {
		p.log.Infow("resent outcome ignored", "integrationId", id, "runId", t.runID, "seq", t.seq, "firstSeq", t.resentOf)
		return
	}
	p.logApplied(id, t)
	m := p.metrics
	if !t.outcome {
		if t.enabled {
			m.Enabled()
		}
		p.log.Infow("integration enabled", "integrationId", id, "enableId", t.enableID, "enabledBy", t.enabledBy, "episode", t.episode, "wasDisabled", t.enabled)
		return
	}
	for _, k := range t.events {
		m.Event(k.EventName())
	}
	if t.disabled {
		m.Disabled()
	}
	m.Outcome(string(t.status), t.destination, t.storedAt)
	if t.disabled {
		p.log.Infow("integration disabled", "integrationId", id, "runId", t.runID, "episode", t.episode, "consecutiveFailures", t.consecutiveFailures, "rule", t.disabledBy, "disabledEventId", t.disabledEventID)
	}
	if w := t.warning; w != nil {
		p.log.Infow("integration disable warning", "integrationId", id, "runId", t.runID, "percent", w.Percent, "consecutiveFailures", t.consecutiveFailures,
			"rule", w.Threshold.Key, "failuresUntilDisable", w.Threshold.DisableAfter-w.Failures)
	}
	if r := t.recovered; r != nil {
		p.log.Infow("integration recovered", "integrationId", id, "runId", t.runID, "failedRuns", r.FailedRuns, "autoAction", r.AutoAction)
	}
}

// logApplied writes the debug line "applied" of t, applied to integration
// id: its ids and what it did (status, events raised by name, disabled; or
// whether an enable enabled). Both ways of applying reach it through count,
// once per outcome or enable; at info level it costs one level check.
func (p *Pipeline) logApplied(id string, t tally) {
	if !p.core.Enabled(zapcore.DebugLevel) {
		return
	}
	if !t.outcome {
		p.log.Debugw("applied", "integrationId", id, "enableId", t.enableID, "seq", t.seq, "enabled", t.enabled)
		return
	}
	events := make([]string, len(t.events))
	for i, k := range t.events {
		events[i] = k.EventName()
	}
	p.log.Debugw("applied", "integrationId", id, "runId", t.runID, "seq", t.seq, "status", t.status, "events", events, "disabled", t.disabled)
}
