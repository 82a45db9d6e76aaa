package processor

import (
	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// input is one stored message on its way to a plan: a delivery, or a
// message an earlier holder was handed that the catch-up applies, decoded,
// with the resend lookup's answer.
type input struct {
	m  store.Msg
	pm subjects.Partitioned
	// d is the delivery; nil for a catch-up.
	d *store.Delivery
	// outcome or enable is the message decoded, as pm.Kind says; refused
	// is why it could not be, and makes it a dead letter.
	outcome subjects.RunOutcome
	enable  subjects.EnableCommand
	refused error
	// firstSeq is the sequence of the message that first carried the
	// outcome's run (firstCarrier): m.Seq unless it is a resend. It is
	// looked up only for an outcome that needs it (needsLookup).
	firstSeq uint64
}

// decode reads the message of in as its kind says: an outcome is admitted
// (Admit), an enable takes the time the stream stored it when it has none.
func (in *input) decode() {
	id := in.pm.IntegrationID
	if in.pm.Kind == subjects.StoredEnable {
		in.enable, in.refused = subjects.DecodeEnable(id, in.m.Data)
		if in.enable.Time.IsZero() {
			in.enable.Time = in.m.Time
		}
		return
	}
	in.outcome, in.refused = Admit(id, in.m.Data, in.m.Time)
}

// skip says why a plan applies nothing.
type skip uint8

const (
	skipNone skip = iota
	// skipApplied: the counter has applied the message already.
	skipApplied
	// skipResent: the outcome's run was carried by an earlier message
	// within the resend window.
	skipResent
)

// command is a disable command as stored: its subject, its
// de-duplication id and its payload.
type command struct {
	subject, msgID string
	data           []byte
}

// plan is what one input does to its integration.
type plan struct {
	in   *input
	skip skip
	// next is the counter after the input; write says it must be stored.
	next  subjects.FailureCounter
	write bool
	// events and disable are the effects, stored before the counter.
	events  []store.StoredEvent
	disable *command
	// tally is counted, and logged, once the counter is stored.
	tally tally
}

// needsLookup reports whether in, on a counter at c, needs the resend
// lookup before it is planned: an admitted outcome not applied yet.
func needsLookup(c *subjects.FailureCounter, in *input) bool {
	return in.m.Seq > c.LastAppliedSeq && in.refused == nil && in.pm.Kind == subjects.StoredRun
}

// planInput decides what in does to an integration whose counter is c: it
// skips a message already applied and a resend, dead-letters what it
// refused (refused is set, nothing else), and otherwise runs the streak
// state machine (Enable, Unchanged, ApplyOutcome) and builds the effects.
// It is pure; the error is an effect that cannot be encoded.
func planInput(c subjects.FailureCounter, in *input, pol *policy.Resolved, subj subjects.Subjects) (plan, error) {
	pl := plan{in: in, next: c}
	seq := in.m.Seq
	switch {
	case seq <= c.LastAppliedSeq:
		pl.skip = skipApplied
	case in.refused != nil:
	case in.pm.Kind == subjects.StoredEnable:
		next, reopened := Enable(c, in.enable, seq, pol.For(c.Destination))
		pl.next, pl.write = next, true
		pl.tally = tally{seq: seq, enabled: reopened, enableID: in.enable.ID, enabledBy: in.enable.EnabledBy, episode: next.Episode}
	case in.firstSeq != seq:
		pl.skip = skipResent
		pl.tally = tally{seq: seq, runID: in.outcome.RunID, resentOf: in.firstSeq}
	case Unchanged(c, &in.outcome):
		pl.tally = outcomeTally(&in.outcome, seq, in.m.Time, Effects{})
	default:
		next, t := ApplyOutcome(c, &in.outcome, seq, pol.For(in.outcome.Destination))
		eff := BuildEffects(&next, &in.outcome, t)
		events, err := StoredEvents(in.pm.IntegrationID, eff)
		if err != nil {
			return pl, err
		}
		cmd, err := disableCommand(subj, in.pm.IntegrationID, eff)
		if err != nil {
			return pl, err
		}
		pl.next, pl.write, pl.events, pl.disable = next, true, events, cmd
		pl.tally = outcomeTally(&in.outcome, seq, in.m.Time, eff)
		pl.tally.episode, pl.tally.consecutiveFailures, pl.tally.disabledEventID = next.Episode, next.ConsecutiveFailures, next.DisabledEventID
		pl.tally.warning, pl.tally.recovered, pl.tally.disabledBy = t.Warning, t.Recovered, next.DisabledBy
	}
	return pl, nil
}

// planAll plans ins, in stream order, on copies of the counters (by
// integration id) that each plan moves on: the holding's own copies change
// only once the counters are stored.
func planAll(counters map[string]subjects.FailureCounter, ins []input, pol *policy.Resolved, subj subjects.Subjects) ([]plan, error) {
	plans := make([]plan, len(ins))
	for i := range ins {
		id := ins[i].pm.IntegrationID
		pl, err := planInput(counters[id], &ins[i], pol, subj)
		if err != nil {
			return nil, err
		}
		counters[id] = pl.next
		plans[i] = pl
	}
	return plans, nil
}
