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

// Effects are what one applied outcome publishes: its own event, and when it
// disabled the integration, the disabled event and the disable command.
type Effects struct {
	Events  []Emit
	Disable *subjects.DisableCommand
}

// BuildEffects builds the events and command of a transition, from the
// counter after the outcome. Pure and deterministic: the same outcome and
// counter always give the same ids and payloads.
func BuildEffects(next *subjects.FailureCounter, o *subjects.RunOutcome, t Transition) Effects {
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
			Message:             DisabledMessage(next, o.Destination),
			Remedy:              DisabledRemedy,
			FollowUp:            subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: o.IntegrationID},
			ConsecutiveFailures: next.ConsecutiveFailures,
			DisableAfter:        next.DisableAfter,
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
