package subjects

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Kind is the subject token of an event kind.
type Kind string

// The five kinds of integration error event.
const (
	KindValidation            Kind = "validation"
	KindMissingAccountMapping Kind = "missingaccountmapping"
	KindAuthentication        Kind = "authentication"
	KindPerform               Kind = "perform"
	KindDisabled              Kind = "disabled"
)

// The two kinds of streak event the disable policy raises: a warning before
// the disable, and the all-clear when a success ends a streak.
const (
	KindWarning   Kind = "warning"
	KindRecovered Kind = "recovered"
)

// Kinds lists every event kind, in the order the product documents them:
// the five error kinds, then the warning and the recovery.
var Kinds = []Kind{KindValidation, KindMissingAccountMapping, KindAuthentication, KindPerform, KindDisabled, KindWarning, KindRecovered}

// FailureKinds are the kinds a failed run raises, the kinds a disable
// policy has rules for.
var FailureKinds = []Kind{KindValidation, KindMissingAccountMapping, KindAuthentication, KindPerform}

// EventName is the event's name and CloudEvents type:
// "integration.<kind>.error" for the five error kinds,
// "integration.disable.warning" and "integration.recovered".
func (k Kind) EventName() string {
	switch k {
	case KindWarning:
		return "integration.disable.warning"
	case KindRecovered:
		return "integration.recovered"
	}
	return "integration." + string(k) + ".error"
}

// KindOf returns the kind of an event name such as "integration.perform.error".
func KindOf(eventName string) (Kind, error) {
	for _, k := range Kinds {
		if k.EventName() == eventName {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: event name %q is unknown: want one of %s", ErrBadInput, truncate(eventName, 60), strings.Join(EventNames(), ", "))
}

// EventNames lists the names of every event kind, in the order of Kinds.
func EventNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = k.EventName()
	}
	return out
}

// CloudEvents attributes of what the processor publishes.
const (
	// EventSource is the CloudEvents source of every event.
	EventSource = "integration-events"
	// ActionedType is the CloudEvents type of an actioned acknowledgement.
	ActionedType = "integration.event.actioned"
	// CloudEventsContentType is the Content-Type header of a structured-mode
	// CloudEvent.
	CloudEventsContentType = "application/cloudevents+json"
)

// Follow-up actions, one per kind of event.
const (
	FollowUpGoToIntegrationRun    = "GO_TO_INTEGRATION_RUN"
	FollowUpCreateExternalMapping = "CREATE_EXTERNAL_MAPPING"
	FollowUpGoToIntegration       = "GO_TO_INTEGRATION"
	// FollowUpReviewStreak is a recovery's: review the events of the streak
	// that ended (the integration's events from FirstFailureAt to
	// RecoveredAt) and mark them actioned.
	FollowUpReviewStreak = "REVIEW_STREAK"
)

// FollowUp is what an operator does next about an event.
type FollowUp struct {
	Action         string `json:"action"`
	IntegrationID  string `json:"integrationId"`
	RunID          string `json:"runId,omitempty"`
	M3terEntity    string `json:"m3terEntity,omitempty"`
	M3terID        string `json:"m3terId,omitempty"`
	ExternalSystem string `json:"externalSystem,omitempty"`
	ExternalTable  string `json:"externalTable,omitempty"`
}

// EventData is the CloudEvent data of an integration error event.
type EventData struct {
	EventName     string `json:"eventName"`
	IntegrationID string `json:"integrationId"`
	RunID         string `json:"runId"`
	Destination   string `json:"destination"`
	EntityType    string `json:"entityType,omitempty"`
	EntityID      string `json:"entityId,omitempty"`
	Message       string `json:"message"`
	// Remedy is the suggested remedy alone, the text Message ends with, so a
	// reader finds it even where the message is cut.
	Remedy              string   `json:"remedy,omitempty"`
	FollowUp            FollowUp `json:"followUp"`
	ConsecutiveFailures int      `json:"consecutiveFailures"`
	DisableAfter        int      `json:"disableAfter"`
	// ReportedFinishedAt is the runner's finishedAt when it lay more than
	// MaxClockSkew past the time the run was received; the event's time is
	// then the receive time.
	ReportedFinishedAt *time.Time `json:"reportedFinishedAt,omitempty"`
	// Stage and Error are the failure as the runner reported it.
	Stage Stage  `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
	// HTTP and Log are the drill-down of a perform or authentication error,
	// with credentials redacted.
	HTTP *HTTPExchange `json:"http,omitempty"`
	Log  []LogEntry    `json:"log,omitempty"`

	// NotCounted is set on an error event whose kind the policy does not
	// count (counts: false): it neither added to the streak nor reset it.
	NotCounted bool `json:"notCounted,omitempty"`

	// Set on the disabled, warning and recovered events: a summary of the
	// streak. FailuresByKind counts the failures that counted, by event
	// name.
	Episode          *int           `json:"episode,omitempty"`
	FirstFailureAt   *time.Time     `json:"firstFailureAt,omitempty"`
	FailuresByKind   map[string]int `json:"failuresByKind,omitempty"`
	StreakRunIDs     []string       `json:"streakRunIds,omitempty"`
	LastErrorMessage string         `json:"lastErrorMessage,omitempty"`

	// Rule is, on the disabled event, the policy key that fired, and on a
	// warning the one nearest to firing, as the policy file spells it:
	// "disableAfter", "kinds.authentication.disableAfter",
	// "destinations.Stripe.disableAfter". DisableAfter is then that rule's
	// threshold.
	Rule string `json:"rule,omitempty"`
	// Percent is a warning's level: the percent of the rule's threshold
	// the streak reached (a value of the policy's warnAt).
	Percent int `json:"percent,omitempty"`
	// FailuresUntilDisable is, on a warning, how many more failures that
	// count reach the rule's threshold; 0 when it is reached and the
	// disable waits for DisableNotBefore.
	FailuresUntilDisable *int `json:"failuresUntilDisable,omitempty"`
	// DisableNotBefore is, on a warning under a minStreakAge, the earliest
	// time a failure can disable: FirstFailureAt plus minStreakAge.
	DisableNotBefore *time.Time `json:"disableNotBefore,omitempty"`
	// FailedRuns and RecoveredAt are set on a recovery: the streak's
	// length, and the finishedAt of the success that ended it (RunID).
	FailedRuns  int        `json:"failedRuns,omitempty"`
	RecoveredAt *time.Time `json:"recoveredAt,omitempty"`
	// AutoAction is set on a recovery under autoActionOnRecovery: the
	// streak's error and warning events are marked actioned by
	// ActionedByRecovery.
	AutoAction bool `json:"autoAction,omitempty"`
}

// ActionedByRecovery is the actionedBy of the events marked actioned
// because a success ended their streak (autoActionOnRecovery).
const ActionedByRecovery = "system:recovered"

// DisableCommand tells schedulers to stop running an integration.
type DisableCommand struct {
	IntegrationID   string    `json:"integrationId"`
	Reason          string    `json:"reason"`
	DisabledEventID string    `json:"disabledEventId"`
	Episode         int       `json:"episode"`
	Time            time.Time `json:"time"`
}

// EnableCommand re-enables an integration: the processor resets its streak
// and, when it was disabled, opens a new episode.
type EnableCommand struct {
	// ID identifies the command; the API sets it to see when it is applied.
	ID            string    `json:"id,omitempty"`
	IntegrationID string    `json:"integrationId"`
	EnabledBy     string    `json:"enabledBy,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Time          time.Time `json:"time,omitzero"`
}

// DecodeEnable parses and validates an EnableCommand published for
// subjectIntegrationID. An empty payload is accepted as a bare enable.
func DecodeEnable(subjectIntegrationID string, data []byte) (EnableCommand, error) {
	var c EnableCommand
	if len(data) > MaxOutcomeBytes {
		return c, BadInputOf(ErrTooLarge, "payload is %d bytes, over the %d byte limit", len(data), MaxOutcomeBytes)
	}
	if len(strings.TrimSpace(string(data))) > 0 {
		if err := json.Unmarshal(data, &c); err != nil {
			return EnableCommand{}, BadInputOf(ErrMalformed, "payload is not a valid EnableCommand JSON object: %s", jsonReason(err))
		}
	}
	if c.IntegrationID == "" {
		c.IntegrationID = subjectIntegrationID
	}
	if c.IntegrationID != subjectIntegrationID {
		return EnableCommand{}, badInput("integrationId %q does not match the subject's integration %q", truncate(c.IntegrationID, 140), subjectIntegrationID)
	}
	return c, nil
}

// Actioned is the data of an actioned acknowledgement.
type Actioned struct {
	EventID       string    `json:"eventId"`
	EventName     string    `json:"eventName"`
	IntegrationID string    `json:"integrationId"`
	ActionedBy    string    `json:"actionedBy"`
	DtActioned    time.Time `json:"dtActioned"`
	Note          string    `json:"note,omitempty"`
}

// FailureCounter is the per-integration record in the integration_failures
// KV bucket, keyed by integration id.
type FailureCounter struct {
	IntegrationID       string     `json:"integrationId"`
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	DisableAfter        int        `json:"disableAfter"`
	Disabled            bool       `json:"disabled"`
	DisabledAt          *time.Time `json:"disabledAt,omitempty"`
	DisabledEventID     string     `json:"disabledEventId,omitempty"`
	// Episode numbers the disable episodes: it grows by one each time a
	// disabled integration is enabled again.
	Episode        int            `json:"episode"`
	FirstFailureAt *time.Time     `json:"firstFailureAt"`
	LastFailureAt  *time.Time     `json:"lastFailureAt,omitempty"`
	LastRunID      string         `json:"lastRunId"`
	LastError      string         `json:"lastError,omitempty"`
	FailuresByKind map[string]int `json:"failuresByKind"`
	// StreakRunIDs are the first run ids of the streak, at most
	// min(DisableAfter, MaxStreakRunIDs) of them: the ones that began it.
	StreakRunIDs []string   `json:"streakRunIds,omitempty"`
	EnabledAt    *time.Time `json:"enabledAt,omitempty"`
	EnabledBy    string     `json:"enabledBy,omitempty"`
	// Destination is the destination of the integration's last outcome:
	// the one whose policy overrides apply to it.
	Destination string `json:"destination,omitempty"`
	// WarnedPercent are the warning levels the streak has raised, so each
	// is raised once per streak.
	WarnedPercent []int `json:"warnedPercent,omitempty"`
	// DisabledBy is the policy key that disabled the integration (see
	// EventData.Rule); empty while enabled.
	DisabledBy string `json:"disabledBy,omitempty"`
	// LastEnableID is the id of the last enable command applied.
	LastEnableID string `json:"lastEnableId,omitempty"`
	// LastAppliedSeq is the INTEGRATION_RUNS sequence of the last outcome
	// or enable applied: a redelivered message at or below it is not
	// applied again.
	LastAppliedSeq uint64    `json:"lastAppliedSeq"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// EventRecord is an event as the operator API lists it.
type EventRecord struct {
	ID            string          `json:"id"`
	EventName     string          `json:"eventName"`
	EventTime     time.Time       `json:"eventTime"`
	IntegrationID string          `json:"integrationId"`
	DtActioned    *time.Time      `json:"dtActioned"`
	ActionedBy    string          `json:"actionedBy,omitempty"`
	Note          string          `json:"note,omitempty"`
	Data          json.RawMessage `json:"data,omitempty"`
	// ReceivedAt is when the events stream stored the event, in listings
	// and gets (absent from an actioning's reply). The listing is in that
	// order, while EventTime is the run's finishedAt, which a late or
	// resent outcome may set far back.
	ReceivedAt time.Time `json:"receivedAt,omitzero"`
}
