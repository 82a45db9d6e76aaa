package processor

import (
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// Emit is one event the processor publishes.
type Emit struct {
	ID   string
	Kind subjects.Kind
	Time time.Time
	Data subjects.EventData
}

// Effects are what one applied outcome publishes: a failure's own event,
// then its warning, or when it disabled the integration the disabled event
// and the disable command; a success's recovery event.
type Effects struct {
	Events  []Emit
	Disable *subjects.DisableCommand
}

// BuildEffects builds the events and command of a transition, from the
// counter after the outcome. Pure and deterministic: the same outcome and
// counter always give the same ids and payloads.
func BuildEffects(next *subjects.FailureCounter, o *subjects.RunOutcome, t Transition) Effects {
	if t.Recovered != nil {
		return Effects{Events: []Emit{recoveredEvent(next, o, t.Recovered)}}
	}
	if t.Kind == "" {
		return Effects{}
	}
	f := o.Failure
	rule := Rule{Kind: t.Kind}
	if t.Rule != nil {
		rule = *t.Rule
	}
	message, remedy := Message(rule, o)
	own := newEmit(t.Kind, FailureEventID(o.IntegrationID, o.RunID, t.Kind).String(), o, message, remedy, followUp(t.Kind, o))
	d := &own.Data
	d.ConsecutiveFailures, d.DisableAfter = next.ConsecutiveFailures, next.DisableAfter
	d.ReportedFinishedAt, d.Stage, d.Error, d.NotCounted = o.ReportedFinishedAt, f.Stage, f.Message, !t.Counted
	if t.Kind == subjects.KindPerform || t.Kind == subjects.KindAuthentication {
		// Admit has bounded both (BoundOutcome).
		d.HTTP, d.Log = f.HTTP, o.Log
	}
	eff := Effects{Events: []Emit{own}}
	if t.Warning != nil {
		eff.Events = append(eff.Events, warningEvent(next, o, t.Warning, remedy))
	}
	if !t.Disabled {
		return eff
	}
	disabled := newEmit(subjects.KindDisabled, next.DisabledEventID, o, DisabledMessage(next, o.Destination, t.Fired), DisabledRemedy, goToIntegration(o))
	streakSummary(&disabled.Data, next)
	disabled.Data.DisableAfter, disabled.Data.Rule, disabled.Data.StreakRunIDs = t.Fired.DisableAfter, t.Fired.Key, next.StreakRunIDs
	eff.Events = append(eff.Events, disabled)
	eff.Disable = &subjects.DisableCommand{
		IntegrationID:   o.IntegrationID,
		Reason:          disabled.Data.Message,
		DisabledEventID: disabled.ID,
		Episode:         next.Episode,
		Time:            o.FinishedAt,
	}
	return eff
}

// newEmit is the event of kind with id that outcome o raised, at its
// finishedAt, with the fields every kind carries.
func newEmit(kind subjects.Kind, id string, o *subjects.RunOutcome, message, remedy string, fu subjects.FollowUp) Emit {
	return Emit{ID: id, Kind: kind, Time: o.FinishedAt, Data: subjects.EventData{
		EventName:     kind.EventName(),
		IntegrationID: o.IntegrationID,
		RunID:         o.RunID,
		Destination:   o.Destination,
		EntityType:    o.EntityType,
		EntityID:      o.EntityID,
		Message:       message,
		Remedy:        remedy,
		FollowUp:      fu,
	}}
}

// streakSummary sets on d the streak of the counter next, as the disabled
// event and a warning summarise it.
func streakSummary(d *subjects.EventData, next *subjects.FailureCounter) {
	episode := next.Episode
	d.ConsecutiveFailures, d.Episode, d.FirstFailureAt = next.ConsecutiveFailures, &episode, next.FirstFailureAt
	d.FailuresByKind, d.LastErrorMessage = next.FailuresByKind, next.LastError
}

func goToIntegration(o *subjects.RunOutcome) subjects.FollowUp {
	return subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: o.IntegrationID}
}

func followUp(kind subjects.Kind, o *subjects.RunOutcome) subjects.FollowUp {
	fu := subjects.FollowUp{IntegrationID: o.IntegrationID}
	switch kind {
	case subjects.KindValidation, subjects.KindPerform:
		fu.Action = subjects.FollowUpGoToIntegrationRun
		fu.RunID = o.RunID
	case subjects.KindMissingAccountMapping:
		fu.Action = subjects.FollowUpCreateExternalMapping
		fu.RunID = o.RunID
		m := o.Failure.Mapping
		if m == nil {
			m = &subjects.Mapping{}
		}
		fu.M3terEntity = orDefault(m.M3terEntity, o.EntityType)
		fu.M3terID = orDefault(m.M3terID, o.EntityID)
		fu.ExternalSystem = orDefault(m.ExternalSystem, o.Destination)
		fu.ExternalTable = m.ExternalTable
	default:
		fu.Action = subjects.FollowUpGoToIntegration
	}
	return fu
}

// warningEvent is the warning w, raised by failure o on the counter next;
// remedy is that failure's.
func warningEvent(next *subjects.FailureCounter, o *subjects.RunOutcome, w *Warning, remedy string) Emit {
	message, wremedy := WarningMessage(next, o, w, remedy)
	e := newEmit(subjects.KindWarning, WarningEventID(o.IntegrationID, next.Episode, next.StreakRunIDs[0], w.Percent).String(), o, message, wremedy, goToIntegration(o))
	d := &e.Data
	streakSummary(d, next)
	until := w.Until()
	d.DisableAfter, d.Rule, d.Percent, d.FailuresUntilDisable, d.DisableNotBefore = w.Threshold.DisableAfter, w.Threshold.Key, w.Percent, &until, w.NotBefore
	return e
}

// recoveredEvent is the recovery of the streak rec, ended by the success o.
func recoveredEvent(next *subjects.FailureCounter, o *subjects.RunOutcome, rec *Recovery) Emit {
	e := newEmit(subjects.KindRecovered, RecoveredEventID(o.IntegrationID, o.RunID).String(), o, RecoveredMessage(o, rec), RecoveredRemedy(rec),
		subjects.FollowUp{Action: subjects.FollowUpReviewStreak, IntegrationID: o.IntegrationID, RunID: o.RunID})
	d := &e.Data
	episode, first, at := next.Episode, rec.FirstFailureAt, o.FinishedAt
	d.DisableAfter, d.Episode, d.FirstFailureAt, d.RecoveredAt = next.DisableAfter, &episode, &first, &at
	d.FailuresByKind, d.FailedRuns, d.AutoAction = rec.FailuresByKind, rec.FailedRuns, rec.AutoAction
	return e
}
