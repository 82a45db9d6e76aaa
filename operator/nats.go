package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.uber.org/zap"
)

// NATS serves a Service as the NATS micro service "integration-events" on
// Subjects.API(endpoint). Requests are read strictly (decode); an error
// reply carries the micro headers Nats-Service-Error-Code (the status) and
// Nats-Service-Error, and the body {"code": "400", "error": "..."}.
type NATS struct {
	nc  *nats.Conn
	svc *Service
	log *zap.SugaredLogger
	ms  micro.Service
}

// replyHeadroom is what a reply keeps free of the connection's maximum
// payload for the headers the micro service and the server add.
const replyHeadroom = 4 << 10

// requestTimeout bounds one request's work (an enable waits for the
// pipeline).
const requestTimeout = 30 * time.Second

// NewNATS registers the micro service for svc on nc. Stop deregisters it.
func NewNATS(nc *nats.Conn, svc *Service, logger *zap.Logger) (*NATS, error) {
	n := &NATS{nc: nc, svc: svc, log: logger.Sugar()}
	ms, err := micro.AddService(nc, micro.Config{
		Name:        subjects.ServiceName,
		Version:     Version,
		Description: "Integration error events: list, get and action events; list, show and enable integrations; read runs back; list and create external mappings; summarise the deployment's status.",
	})
	if err != nil {
		return nil, fmt.Errorf("micro service: %w", err)
	}
	n.ms = ms
	g := ms.AddGroup(svc.subj.APIGroup())
	endpoints := []struct {
		name string
		h    func(context.Context, []byte, int) (any, error)
	}{
		{subjects.EndpointEventsList, n.listEvents},
		{subjects.EndpointEventsGet, handle(svc.Event)},
		{subjects.EndpointEventsAction, handle(svc.ActionEvents)},
		{subjects.EndpointIntegrationGet, handle(svc.Integration)},
		{subjects.EndpointIntegrationEnable, handle(svc.EnableIntegration)},
		{subjects.EndpointIntegrationsList, n.listIntegrations},
		{subjects.EndpointRunsGet, handle(svc.Run)},
		{subjects.EndpointMappingsList, n.listMappings},
		{subjects.EndpointMappingsCreate, handle(svc.CreateExternalMapping)},
		{subjects.EndpointStatus, handle(svc.Status)},
	}
	for _, ep := range endpoints {
		if err := g.AddEndpoint(strings.ReplaceAll(ep.name, ".", "-"), n.handler(ep.name, ep.h), micro.WithEndpointSubject(ep.name)); err != nil {
			_ = ms.Stop()
			return nil, fmt.Errorf("endpoint %s: %w", ep.name, err)
		}
	}
	return n, nil
}

// Stop deregisters the service.
func (n *NATS) Stop() error { return n.ms.Stop() }

// handle adapts a typed Service method to a handler of raw requests.
func handle[Req, Resp any](m func(context.Context, Req, int) (Resp, error)) func(context.Context, []byte, int) (any, error) {
	return func(ctx context.Context, data []byte, budget int) (any, error) {
		var req Req
		if err := decode(data, &req); err != nil {
			return nil, err
		}
		return m(ctx, req, budget)
	}
}

// listRequest is events.list's request as decoded: PageSize is a pointer so
// that no pageSize (the default) is told apart from 0 (refused).
type listRequest struct {
	subjects.ListEventsRequest
	PageSize *int `json:"pageSize"`
}

func (n *NATS) listEvents(ctx context.Context, data []byte, budget int) (any, error) {
	var req listRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if req.PageSize != nil {
		if err := CheckPageSize(*req.PageSize); err != nil {
			return nil, err
		}
		req.ListEventsRequest.PageSize = *req.PageSize
	}
	return n.svc.ListEvents(ctx, req.ListEventsRequest, budget)
}

// pageRequest is the request of integrations.list and mappings.list as
// decoded: PageSize is a pointer so that no pageSize (the default) is told
// apart from 0 (refused).
type pageRequest struct {
	PageSize  *int   `json:"pageSize"`
	NextToken string `json:"nextToken"`
}

// decodePage decodes a pageRequest and returns its page size (0 when not
// given) and token.
func decodePage(data []byte) (int, string, error) {
	var req pageRequest
	if err := decode(data, &req); err != nil {
		return 0, "", err
	}
	if req.PageSize == nil {
		return 0, req.NextToken, nil
	}
	return *req.PageSize, req.NextToken, CheckPageSize(*req.PageSize)
}

func (n *NATS) listIntegrations(ctx context.Context, data []byte, budget int) (any, error) {
	size, token, err := decodePage(data)
	if err != nil {
		return nil, err
	}
	return n.svc.ListIntegrations(ctx, subjects.ListIntegrationsRequest{PageSize: size, NextToken: token}, budget)
}

func (n *NATS) listMappings(ctx context.Context, data []byte, budget int) (any, error) {
	size, token, err := decodePage(data)
	if err != nil {
		return nil, err
	}
	return n.svc.ListExternalMappings(ctx, subjects.ListExternalMappingsRequest{PageSize: size, NextToken: token}, budget)
}

// replyBudget is the most bytes a reply body may take: the connection's
// maximum payload (as the server announced it, so it follows a reconnect)
// less replyHeadroom.
func (n *NATS) replyBudget() int {
	return max(int(n.nc.MaxPayload())-replyHeadroom, minDataBytes)
}

// handler runs h, encodes its reply and maps its error to a micro error. A
// reply over the reply budget is not sent: the caller gets a 500 that says
// so instead of a timeout.
//
// h runs on the endpoint's subscription, not in a goroutine of its own:
// the micro service counts a request, its processing time and whether it
// failed (a reply sent with req.Error) when the handler returns, which is
// what `nats micro stats` shows. An endpoint so answers one request at a
// time per replica; a slow one (an enable waiting for the pipeline) holds
// up only its own endpoint, and replicas share requests as a queue group.
func (n *NATS) handler(name string, h func(context.Context, []byte, int) (any, error)) micro.Handler {
	return micro.HandlerFunc(func(req micro.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		budget := n.replyBudget()
		resp, err := h(ctx, req.Data(), budget)
		var b []byte
		if err == nil {
			if b, err = json.Marshal(resp); err == nil && len(b) > budget {
				err = fmt.Errorf("reply of %d bytes is over the %d bytes the connection's maximum payload leaves for it", len(b), budget)
			}
		}
		if err == nil {
			if rerr := req.Respond(b); rerr != nil {
				n.log.Warnw("api respond failed", "endpoint", name, "bytes", len(b), "error", rerr)
			}
			return
		}
		code, msg := "500", "internal error: "+err.Error()
		var ae *Error
		if errors.As(err, &ae) {
			code, msg = strconv.Itoa(ae.Status), ae.Message
		} else {
			n.log.Errorw("api request failed", "endpoint", name, "error", err)
		}
		body, _ := json.Marshal(map[string]string{"error": msg, "code": code})
		if rerr := req.Error(code, msg, body); rerr != nil {
			n.log.Warnw("api error respond failed", "endpoint", name, "error", rerr)
		}
	})
}
