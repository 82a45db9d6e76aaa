package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// DefaultClientTimeout bounds a Client call whose context has no deadline.
const DefaultClientTimeout = 30 * time.Second

// Client calls the operator API over NATS request/reply. Each method
// returns the typed reply, an *Error for an error reply of the service
// (errors.Is(err, ErrNotFound) and so on), or another error when the
// request went unanswered (no service, timeout, connection closed).
// A Client is safe for concurrent use.
type Client struct {
	nc   *nats.Conn
	subj subjects.Subjects
}

// NewClient returns a client of the API under subj on nc.
func NewClient(nc *nats.Conn, subj subjects.Subjects) *Client {
	return &Client{nc: nc, subj: subj}
}

// Conn returns the client's NATS connection, for a caller that reports on
// it (the server's URL and round trip).
func (c *Client) Conn() *nats.Conn { return c.nc }

// ListEvents calls events.list. PageSize 0 is left out of the request, so
// the service's default applies.
func (c *Client) ListEvents(ctx context.Context, req subjects.ListEventsRequest) (subjects.ListEventsResponse, error) {
	var resp subjects.ListEventsResponse
	return resp, c.call(ctx, subjects.EndpointEventsList, req, &resp)
}

// Event calls events.get.
func (c *Client) Event(ctx context.Context, id string) (subjects.EventRecord, error) {
	var resp subjects.EventRecord
	return resp, c.call(ctx, subjects.EndpointEventsGet, subjects.GetEventRequest{ID: id}, &resp)
}

// ActionEvents calls events.action.
func (c *Client) ActionEvents(ctx context.Context, req subjects.ActionEventsRequest) (subjects.ActionEventsResponse, error) {
	var resp subjects.ActionEventsResponse
	return resp, c.call(ctx, subjects.EndpointEventsAction, req, &resp)
}

// Integration calls integrations.get: the failure counter and the policy
// that applies to the integration.
func (c *Client) Integration(ctx context.Context, integrationID string) (subjects.IntegrationReply, error) {
	var resp subjects.IntegrationReply
	return resp, c.call(ctx, subjects.EndpointIntegrationGet, subjects.IntegrationRequest{IntegrationID: integrationID}, &resp)
}

// EnableIntegration calls integrations.enable; it answers once the
// processor has applied the enable (a 503 *Error when it did not in time).
func (c *Client) EnableIntegration(ctx context.Context, req subjects.EnableIntegrationRequest) (subjects.FailureCounter, error) {
	var resp subjects.FailureCounter
	return resp, c.call(ctx, subjects.EndpointIntegrationEnable, req, &resp)
}

// ListIntegrations calls integrations.list. PageSize 0 is left out of the
// request, so the service's default applies.
func (c *Client) ListIntegrations(ctx context.Context, req subjects.ListIntegrationsRequest) (subjects.ListIntegrationsResponse, error) {
	var resp subjects.ListIntegrationsResponse
	return resp, c.call(ctx, subjects.EndpointIntegrationsList, req, &resp)
}

// Run calls runs.get: the run as the processor admits it, redacted; a 404
// *Error when it is not stored or no longer decodes.
func (c *Client) Run(ctx context.Context, integrationID, runID string) (subjects.RunRecord, error) {
	var resp subjects.RunRecord
	return resp, c.call(ctx, subjects.EndpointRunsGet, subjects.RunRequest{IntegrationID: integrationID, RunID: runID}, &resp)
}

// ListExternalMappings calls mappings.list. PageSize 0 is left out of the
// request, so the service's default applies.
func (c *Client) ListExternalMappings(ctx context.Context, req subjects.ListExternalMappingsRequest) (subjects.ListExternalMappingsResponse, error) {
	var resp subjects.ListExternalMappingsResponse
	return resp, c.call(ctx, subjects.EndpointMappingsList, req, &resp)
}

// CreateExternalMapping calls mappings.create: the mapping stored, or a
// 400 *Error for an invalid field or a key already taken.
func (c *Client) CreateExternalMapping(ctx context.Context, req subjects.CreateExternalMappingRequest) (subjects.ExternalMapping, error) {
	var resp subjects.ExternalMapping
	return resp, c.call(ctx, subjects.EndpointMappingsCreate, req, &resp)
}

// Status calls status: the deployment summary, its server as the
// service's own connection sees it.
func (c *Client) Status(ctx context.Context) (subjects.DeploymentStatus, error) {
	var resp subjects.DeploymentStatus
	return resp, c.call(ctx, subjects.EndpointStatus, subjects.StatusRequest{}, &resp)
}

func (c *Client) call(ctx context.Context, endpoint string, req, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return c.Request(ctx, endpoint, b, resp)
}

// Request sends body as it is to endpoint (one of subjects.Endpoint*) and
// decodes the reply into resp when resp is not nil. It is the typed methods'
// transport, for callers that must send what they cannot type, such as a
// contract test sending a field twice.
func (c *Client) Request(ctx context.Context, endpoint string, body []byte, resp any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultClientTimeout)
		defer cancel()
	}
	m, err := c.nc.RequestWithContext(ctx, c.subj.API(endpoint), body)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("%s: no operator API answers on %s (is integration-events serve running?)", endpoint, c.subj.API(endpoint))
	}
	if err != nil {
		return fmt.Errorf("%s: %w (is integration-events serve running?)", endpoint, err)
	}
	if code := m.Header.Get(micro.ErrorCodeHeader); code != "" {
		status, err := strconv.Atoi(code)
		if err != nil {
			status = 500
		}
		return &Error{Status: status, Message: m.Header.Get(micro.ErrorHeader)}
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(m.Data, resp); err != nil {
		return fmt.Errorf("%s: reply is not the JSON expected: %w", endpoint, err)
	}
	return nil
}
