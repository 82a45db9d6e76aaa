package subjects

// ServiceName is the name of the operator API micro service.
const ServiceName = "integration-events"

// Operator API endpoints, relative to Subjects.APIGroup.
const (
	EndpointEventsList        = "events.list"
	EndpointEventsGet         = "events.get"
	EndpointEventsAction      = "events.action"
	EndpointIntegrationGet    = "integrations.get"
	EndpointIntegrationEnable = "integrations.enable"
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
