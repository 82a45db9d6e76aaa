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
	data := subjects.EventData{
		EventName:           t.Kind.EventName(),
		IntegrationID:       o.IntegrationID,
		RunID:               o.RunID,
		Destination:         o.Destination,
		EntityType:          o.EntityType,
		EntityID:            o.EntityID,
		Message:             message,
		Remedy:              remedy,
		FollowUp:            followUp(t.Kind, o),
		ConsecutiveFailures: next.ConsecutiveFailures,
		DisableAfter:        next.DisableAfter,
		ReportedFinishedAt:  o.ReportedFinishedAt,
		Stage:               f.Stage,
		Error:               f.Message,
		NotCounted:          !t.Counted,
	}
	if t.Kind == subjects.KindPerform || t.Kind == subjects.KindAuthentication {
		// Admit has bounded both (BoundOutcome).
		data.HTTP = f.HTTP
		data.Log = o.Log
	}
	eff := Effects{Events: []Emit{{
		ID:   FailureEventID(o.IntegrationID, o.RunID, t.Kind).String(),
		Kind: t.Kind,
		Time: o.FinishedAt,
		Data: data,
	}}}
	if t.Warning != nil {
		eff.Events = append(eff.Events, warningEvent(next, o, t.Warning, remedy))
	}
	if !t.Disabled {
		return eff
	}
	episode := next.Episode
	disabled := Emit{
		ID:   next.DisabledEventID,
		Kind: subjects.KindDisabled,
		Time: o.FinishedAt,
		Data: subjects.EventData{
			EventName:           subjects.KindDisabled.EventName(),
			IntegrationID:       o.IntegrationID,
			RunID:               o.RunID,
			Destination:         o.Destination,
			EntityType:          o.EntityType,
			EntityID:            o.EntityID,
			Message:             DisabledMessage(next, o.Destination, t.Fired),
			Remedy:              DisabledRemedy,
			FollowUp:            subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: o.IntegrationID},
			ConsecutiveFailures: next.ConsecutiveFailures,
			DisableAfter:        t.Fired.DisableAfter,
			Rule:                t.Fired.Key,
			Episode:             &episode,
			FirstFailureAt:      next.FirstFailureAt,
			FailuresByKind:      next.FailuresByKind,
			StreakRunIDs:        next.StreakRunIDs,
			LastErrorMessage:    next.LastError,
		},
	}
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
	episode := next.Episode
	until := w.Until()
	message, wremedy := WarningMessage(next, o, w, remedy)
	return Emit{
		ID:   WarningEventID(o.IntegrationID, episode, next.StreakRunIDs[0], w.Percent).String(),
		Kind: subjects.KindWarning,
		Time: o.FinishedAt,
		Data: subjects.EventData{
			EventName:            subjects.KindWarning.EventName(),
			IntegrationID:        o.IntegrationID,
			RunID:                o.RunID,
			Destination:          o.Destination,
			EntityType:           o.EntityType,
			EntityID:             o.EntityID,
			Message:              message,
			Remedy:               wremedy,
			FollowUp:             subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: o.IntegrationID},
			ConsecutiveFailures:  next.ConsecutiveFailures,
			DisableAfter:         w.Threshold.DisableAfter,
			Rule:                 w.Threshold.Key,
			Percent:              w.Percent,
			FailuresUntilDisable: &until,
			DisableNotBefore:     w.NotBefore,
			Episode:              &episode,
			FirstFailureAt:       next.FirstFailureAt,
			FailuresByKind:       next.FailuresByKind,
			LastErrorMessage:     next.LastError,
		},
	}
}

// recoveredEvent is the recovery of the streak rec, ended by the success o.
func recoveredEvent(next *subjects.FailureCounter, o *subjects.RunOutcome, rec *Recovery) Emit {
	episode := next.Episode
	first, at := rec.FirstFailureAt, o.FinishedAt
	return Emit{
		ID:   RecoveredEventID(o.IntegrationID, o.RunID).String(),
		Kind: subjects.KindRecovered,
		Time: o.FinishedAt,
		Data: subjects.EventData{
			EventName:      subjects.KindRecovered.EventName(),
			IntegrationID:  o.IntegrationID,
			RunID:          o.RunID,
			Destination:    o.Destination,
			EntityType:     o.EntityType,
			EntityID:       o.EntityID,
			Message:        RecoveredMessage(o, rec),
			Remedy:         RecoveredRemedy(rec),
			FollowUp:       subjects.FollowUp{Action: subjects.FollowUpReviewStreak, IntegrationID: o.IntegrationID, RunID: o.RunID},
			DisableAfter:   next.DisableAfter,
			Episode:        &episode,
			FirstFailureAt: &first,
			FailuresByKind: rec.FailuresByKind,
			FailedRuns:     rec.FailedRuns,
			RecoveredAt:    &at,
			AutoAction:     rec.AutoAction,
		},
	}
}
