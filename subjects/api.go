package subjects

import "time"

// ServiceName is the name of the operator API micro service.
const ServiceName = "integration-events"

// Operator API endpoints, relative to Subjects.APIGroup.
const (
	EndpointEventsList        = "events.list"
	EndpointEventsGet         = "events.get"
	EndpointEventsAction      = "events.action"
	EndpointIntegrationGet    = "integrations.get"
	EndpointIntegrationEnable = "integrations.enable"
	EndpointIntegrationsList  = "integrations.list"
	EndpointRunsGet           = "runs.get"
	EndpointMappingsList      = "mappings.list"
	EndpointMappingsCreate    = "mappings.create"
)

// Page sizes of events.list.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	// MaxActionIDs is the most event ids one events.action request takes.
	MaxActionIDs = 100
)

// ListEventsRequest asks for a page of events, newest first. IDs, when
// given (1 to MaxActionIDs), restricts the listing to those events; the
// other filters still apply, and the matches come in one page without a
// NextToken.
type ListEventsRequest struct {
	IncludeActioned bool     `json:"includeActioned,omitempty"`
	EventName       string   `json:"eventName,omitempty"`
	IntegrationID   string   `json:"integrationId,omitempty"`
	IDs             []string `json:"ids,omitempty"`
	PageSize        int      `json:"pageSize,omitempty"`
	NextToken       string   `json:"nextToken,omitempty"`
}

// ListEventsResponse is one page of events. NextToken is empty on the last page.
type ListEventsResponse struct {
	Data      []EventRecord `json:"data"`
	NextToken string        `json:"nextToken,omitempty"`
}

// GetEventRequest asks for one event by id.
type GetEventRequest struct {
	ID string `json:"id"`
}

// ActionEventsRequest marks events as actioned.
type ActionEventsRequest struct {
	IDs        []string `json:"ids"`
	ActionedBy string   `json:"actionedBy"`
	Note       string   `json:"note,omitempty"`
}

// ActionEventsResponse says what became of each id.
type ActionEventsResponse struct {
	Actioned        []EventRecord `json:"actioned"`
	AlreadyActioned []EventRecord `json:"alreadyActioned"`
	NotFound        []string      `json:"notFound"`
}

// IntegrationRequest names an integration.
type IntegrationRequest struct {
	IntegrationID string `json:"integrationId"`
}

// EnableIntegrationRequest re-enables an integration.
type EnableIntegrationRequest struct {
	IntegrationID string `json:"integrationId"`
	EnabledBy     string `json:"enabledBy"`
	Reason        string `json:"reason,omitempty"`
}

// ListIntegrationsRequest asks for a page of integrations, in
// store.ListIntegrations' order: disabled first, then failing, each most
// failures first, then the rest, ties by id. PageSize is 1 to MaxPageSize
// (0: DefaultPageSize); NextToken continues a listing.
type ListIntegrationsRequest struct {
	PageSize  int    `json:"pageSize,omitempty"`
	NextToken string `json:"nextToken,omitempty"`
}

// ListIntegrationsResponse is one page of failure counters. NextToken is
// empty on the last page.
type ListIntegrationsResponse struct {
	Data      []FailureCounter `json:"data"`
	NextToken string           `json:"nextToken,omitempty"`
}

// RunRequest names one run of one integration.
type RunRequest struct {
	IntegrationID string `json:"integrationId"`
	RunID         string `json:"runId"`
}

// RunRecord is a run read back from INTEGRATION_RUNS, as the processor
// admitted it: decoded, redacted and bounded (processor.Admit).
type RunRecord struct {
	IntegrationID string `json:"integrationId"`
	RunID         string `json:"runId"`
	// Seq is the INTEGRATION_RUNS sequence of the outcome: the first copy
	// when the runner sent it more than once, the one the processor applied.
	Seq uint64 `json:"seq"`
	// ReceivedAt is when JetStream stored the outcome (UTC).
	ReceivedAt time.Time `json:"receivedAt"`
	// ReportedFinishedAt is the runner's finishedAt when it lay more than
	// processor.MaxClockSkew past ReceivedAt; Outcome.FinishedAt then holds
	// ReceivedAt, as the events do.
	ReportedFinishedAt *time.Time `json:"reportedFinishedAt,omitempty"`
	// Outcome is the admitted outcome, with its failure (HTTP exchange
	// included) and its log.
	Outcome RunOutcome `json:"outcome"`
	// Shortened is true when the outcome was cut further than admission
	// cuts it so that the reply fits the transport (older log entries
	// dropped, exchanges tightened); the text cut ends in a visible marker.
	Shortened bool `json:"shortened,omitempty"`
}

// ListExternalMappingsRequest asks for a page of external mappings in key
// order. PageSize is 1 to MaxPageSize (0: DefaultPageSize); NextToken
// continues a listing.
type ListExternalMappingsRequest struct {
	PageSize  int    `json:"pageSize,omitempty"`
	NextToken string `json:"nextToken,omitempty"`
}

// ListExternalMappingsResponse is one page of external mappings. NextToken
// is empty on the last page.
type ListExternalMappingsResponse struct {
	Data      []ExternalMapping `json:"data"`
	NextToken string            `json:"nextToken,omitempty"`
}

// CreateExternalMappingRequest creates an external mapping: every field of
// ExternalMapping but id and dtCreated, which the store sets. Over HTTP
// createdBy is the caller's identity, not a field.
type CreateExternalMappingRequest struct {
	M3terEntity         string `json:"m3terEntity"`
	M3terID             string `json:"m3terId"`
	ExternalSystem      string `json:"externalSystem"`
	ExternalTable       string `json:"externalTable"`
	ExternalID          string `json:"externalId"`
	IntegrationConfigID string `json:"integrationConfigId"`
	CreatedBy           string `json:"createdBy"`
}

// Dead-letter headers, set on every message of the dead-letter stream.
const (
	HeaderDeadLetterReason = "Integration-Events-Reason"
	HeaderOriginalSubject  = "Integration-Events-Original-Subject"
	HeaderOriginalStream   = "Integration-Events-Original-Stream"
	HeaderOriginalSequence = "Integration-Events-Original-Sequence"
)

// DeadLetter is the body of a dead-letter record. Payload holds the rejected
// message when it is UTF-8, PayloadBase64 when it is not.
type DeadLetter struct {
	Reason           string `json:"reason"`
	OriginalSubject  string `json:"originalSubject"`
	OriginalStream   string `json:"originalStream,omitempty"`
	OriginalSequence uint64 `json:"originalSequence,omitempty"`
	ReceivedAt       string `json:"receivedAt"`
	Size             int    `json:"size"`
	Payload          string `json:"payload,omitempty"`
	PayloadBase64    string `json:"payloadBase64,omitempty"`
}
