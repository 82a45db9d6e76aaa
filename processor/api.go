package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.uber.org/zap"
)

// Version is the service version reported to `nats micro ls`.
const Version = "0.1.0"

// API serves the operator API as a NATS micro service.
type API struct {
	nc   *nats.Conn
	st   *store.Store
	subj subjects.Subjects
	log  *zap.SugaredLogger
	svc  micro.Service
	// EnableWait bounds how long integrations.enable waits for the pipeline
	// to apply the enable command it stored.
	EnableWait time.Duration
}

// apiError is an error the caller made: a micro error code and a message.
type apiError struct {
	code string
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{code: "400", msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{code: "404", msg: fmt.Sprintf(format, args...)}
}

// NewAPI registers the micro service on nc.
func NewAPI(nc *nats.Conn, st *store.Store, logger *zap.Logger) (*API, error) {
	a := &API{nc: nc, st: st, subj: st.Subjects(), log: logger.Sugar(), EnableWait: 10 * time.Second}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        subjects.ServiceName,
		Version:     Version,
		Description: "Integration error events: list, get and action events; show and enable integrations.",
	})
	if err != nil {
		return nil, fmt.Errorf("micro service: %w", err)
	}
	a.svc = svc
	g := svc.AddGroup(a.subj.APIGroup())
	endpoints := []struct {
		name string
		h    func(context.Context, []byte) (any, error)
	}{
		{subjects.EndpointEventsList, a.listEvents},
		{subjects.EndpointEventsGet, a.getEvent},
		{subjects.EndpointEventsAction, a.actionEvents},
		{subjects.EndpointIntegrationGet, a.getIntegration},
		{subjects.EndpointIntegrationEnable, a.enableIntegration},
	}
	for _, ep := range endpoints {
		if err := g.AddEndpoint(strings.ReplaceAll(ep.name, ".", "-"), a.handler(ep.name, ep.h), micro.WithEndpointSubject(ep.name)); err != nil {
			_ = svc.Stop()
			return nil, fmt.Errorf("endpoint %s: %w", ep.name, err)
		}
	}
	return a, nil
}

// Stop deregisters the service.
func (a *API) Stop() error { return a.svc.Stop() }

// replyHeadroom is what a reply keeps free of the connection's maximum
// payload for the headers the micro service and the server add.
const replyHeadroom = 4 << 10

// minDataBytes is the least a record's data is bounded to, however small
// the maximum payload.
const minDataBytes = 2 << 10

// replyBudget is the most bytes a reply body may take: the connection's
// maximum payload (as the server announced it, so it follows a reconnect)
// less replyHeadroom.
func (a *API) replyBudget() int {
	return max(int(a.nc.MaxPayload())-replyHeadroom, minDataBytes)
}

// fitRecord bounds rec's data (BoundStoredData) so that rec, encoded,
// takes at most room bytes: its data keeps what the rest of the record
// leaves, at most MaxEventBytes and at least minDataBytes. The rest is
// measured as JSON encodes it, not assumed: a note of 4,096 '<' is 24 KiB
// once escaped. A server that carries a 64 KiB event leaves a record's data
// more than 30 KiB beside the longest note.
func fitRecord(rec *subjects.EventRecord, room int) {
	data, null := rec.Data, json.RawMessage("null")
	rec.Data = null // not nil, which omitempty would leave out with its name
	rest, err := json.Marshal(rec)
	if err != nil {
		rec.Data = data // the reply's own encoding reports it
		return
	}
	limit := max(min(subjects.MaxEventBytes, room-(len(rest)-len(null))), minDataBytes)
	rec.Data = BoundStoredData(data, limit)
}

// handler decodes nothing itself: it runs h off the subscription's goroutine
// (enable waits for the pipeline), encodes its reply and maps its error to a
// micro error. A reply over the reply budget is not sent: the caller gets a
// 500 that says so instead of a timeout.
func (a *API) handler(name string, h func(context.Context, []byte) (any, error)) micro.Handler {
	return micro.HandlerFunc(func(req micro.Request) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := h(ctx, req.Data())
			var b []byte
			if err == nil {
				if b, err = json.Marshal(resp); err == nil && len(b) > a.replyBudget() {
					err = fmt.Errorf("reply of %d bytes is over the %d bytes the connection's maximum payload leaves for it", len(b), a.replyBudget())
				}
			}
			if err == nil {
				if rerr := req.Respond(b); rerr != nil {
					a.log.Warnw("api respond failed", "endpoint", name, "bytes", len(b), "error", rerr)
				}
				return
			}
			code, msg := "500", "internal error: "+err.Error()
			var ae *apiError
			if errors.As(err, &ae) {
				code, msg = ae.code, ae.msg
			} else {
				a.log.Errorw("api request failed", "endpoint", name, "error", err)
			}
			body, _ := json.Marshal(map[string]string{"error": msg, "code": code})
			if rerr := req.Error(code, msg, body); rerr != nil {
				a.log.Warnw("api error respond failed", "endpoint", name, "error", rerr)
			}
		}()
	})
}

// decode reads a JSON request strictly: names match case-sensitively, an
// unknown name is a typo the caller should hear about rather than have
// silently ignored, and a name given twice is refused, since which one
// counts would be a guess. An empty body is {}. Errors are 400s naming the
// field.
func decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var sem *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	reason := err.Error()
	switch {
	case errors.As(err, &sem) && errors.Is(sem.Err, jsonv2.ErrUnknownName):
		reason = fmt.Sprintf("unknown field %q (field names are case-sensitive)", sem.JSONPointer.LastToken())
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		reason = fmt.Sprintf("field %q is given twice", syn.JSONPointer.LastToken())
	case errors.As(err, &sem) && sem.JSONPointer != "" && sem.GoType != nil:
		reason = fmt.Sprintf("field %s must be JSON for a Go %s", strings.TrimPrefix(string(sem.JSONPointer), "/"), sem.GoType)
	}
	return badRequest("request is not valid JSON for this endpoint: %s", Truncate(reason, 300))
}

// listRequest is events.list's request as decoded: PageSize is a pointer so
// that no pageSize (the default) is told apart from 0 (refused).
type listRequest struct {
	subjects.ListEventsRequest
	PageSize *int `json:"pageSize"`
}

// listEvents answers events.list with as many records as fit the reply
// budget, up to pageSize; a record that would not fit a page alone has its
// data bounded (fitRecord), so an event stored before events were bounded,
// or one actioned with a long note, is still served.
func (a *API) listEvents(ctx context.Context, data []byte) (any, error) {
	var req listRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	q := store.ListQuery{IntegrationID: req.IntegrationID, IncludeActioned: req.IncludeActioned, PageSize: subjects.DefaultPageSize, Token: req.NextToken}
	if req.PageSize != nil {
		if q.PageSize = *req.PageSize; q.PageSize < 1 || q.PageSize > subjects.MaxPageSize {
			return nil, badRequest("pageSize %d must be 1 to %d (leave it out for %d)", q.PageSize, subjects.MaxPageSize, subjects.DefaultPageSize)
		}
	}
	if req.EventName != "" {
		k, err := subjects.KindOf(req.EventName)
		if err != nil {
			return nil, badRequest("eventName: %v", err)
		}
		q.Kind = k
	}
	if req.IntegrationID != "" {
		if err := subjects.ValidateIntegrationID(req.IntegrationID); err != nil {
			return nil, badRequest("integrationId: %v", err)
		}
	}
	q.MaxBytes = a.replyBudget()
	q.Fit = fitRecord
	recs, next, err := a.st.ListEvents(ctx, q)
	if errors.Is(err, store.ErrBadToken) {
		return nil, badRequest("nextToken: %v", err)
	}
	if err != nil {
		return nil, err
	}
	return subjects.ListEventsResponse{Data: recs, NextToken: next}, nil
}

func (a *API) getEvent(ctx context.Context, data []byte) (any, error) {
	var req subjects.GetEventRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if req.ID == "" {
		return nil, badRequest("id is required")
	}
	rec, err := a.st.Event(ctx, req.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("event %q not found", Truncate(req.ID, subjects.MaxOperatorBytes))
	}
	if err != nil {
		return nil, err
	}
	fitRecord(&rec, a.replyBudget())
	return rec, nil
}

func (a *API) actionEvents(ctx context.Context, data []byte) (any, error) {
	var req subjects.ActionEventsRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	switch {
	case len(req.IDs) == 0 || len(req.IDs) > subjects.MaxActionIDs:
		return nil, badRequest("ids must hold 1 to %d event ids, got %d", subjects.MaxActionIDs, len(req.IDs))
	case strings.TrimSpace(req.ActionedBy) == "":
		return nil, badRequest("actionedBy is required")
	case len(req.ActionedBy) > subjects.MaxOperatorBytes:
		return nil, badRequest("actionedBy is %d bytes, over %d", len(req.ActionedBy), subjects.MaxOperatorBytes)
	case len(req.Note) > subjects.MaxNoteBytes:
		return nil, badRequest("note is %d bytes, over %d", len(req.Note), subjects.MaxNoteBytes)
	}
	for _, id := range req.IDs {
		if len(id) > subjects.MaxOperatorBytes {
			return nil, badRequest("ids: an id is %d bytes, over %d", len(id), subjects.MaxOperatorBytes)
		}
	}
	resp := subjects.ActionEventsResponse{Actioned: []subjects.EventRecord{}, AlreadyActioned: []subjects.EventRecord{}, NotFound: []string{}}
	seen := map[string]bool{}
	now := time.Now().UTC()
	for _, id := range req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		rec, newly, err := a.st.MarkActioned(ctx, id, req.ActionedBy, req.Note, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			resp.NotFound = append(resp.NotFound, id)
			continue
		case err != nil:
			return nil, err
		case !newly:
			resp.AlreadyActioned = append(resp.AlreadyActioned, rec)
			continue
		}
		ack := subjects.Actioned{EventID: rec.ID, EventName: rec.EventName, IntegrationID: rec.IntegrationID, ActionedBy: rec.ActionedBy, DtActioned: *rec.DtActioned, Note: rec.Note}
		ackID := uuid.NewSHA1(idNamespace, []byte("actioned\x00"+rec.ID)).String()
		ce, err := EncodeCloudEvent(ackID, subjects.ActionedType, rec.IntegrationID, ack.DtActioned, ack)
		if err != nil {
			return nil, err
		}
		if err := a.st.PublishActioned(ctx, rec.IntegrationID, rec.ID, ce); err != nil {
			return nil, err
		}
		resp.Actioned = append(resp.Actioned, rec)
	}
	if len(resp.Actioned) > 0 {
		a.log.Infow("events actioned", "count", len(resp.Actioned), "actionedBy", req.ActionedBy)
	}
	return fitActionReply(resp, a.replyBudget()), nil
}

// fitActionReply cuts the notes (then who actioned) of resp's records
// until the reply fits budget bytes: up to 100 records with notes of up to
// 4 KiB each may not fit a small maximum payload. Every id stays listed.
func fitActionReply(resp subjects.ActionEventsResponse, budget int) subjects.ActionEventsResponse {
	for _, limit := range []int{1 << 10, 256, minTruncate, 0} {
		if b, err := json.Marshal(resp); err != nil || len(b) <= budget {
			return resp
		}
		for _, recs := range [][]subjects.EventRecord{resp.Actioned, resp.AlreadyActioned} {
			for i := range recs {
				recs[i].Note = Truncate(recs[i].Note, limit)
				if limit == 0 {
					recs[i].Note, recs[i].ActionedBy = "", Truncate(recs[i].ActionedBy, minTruncate)
				}
			}
		}
	}
	return resp
}

// fitCounterReply returns c cut to fit budget bytes, encoded, for
// integrations.get and integrations.enable; the stored record is not
// changed. A counter is about 40 KiB at most, but JSON escapes '<' or a
// control character six times over, so 100 run ids of 256 such characters
// are 150 KiB. It cuts lastError to 1 KiB, then drops the last streak run
// ids (the first, which began the streak, are kept; consecutiveFailures
// still counts them all), then cuts lastError, lastRunId and enabledBy to
// 64 bytes.
func fitCounterReply(c subjects.FailureCounter, budget int) subjects.FailureCounter {
	over := func() int {
		b, err := json.Marshal(c)
		if err != nil {
			return 0 // the reply's own encoding reports it
		}
		return len(b) - budget
	}
	if over() <= 0 {
		return c
	}
	c.LastError = Truncate(c.LastError, 1<<10)
	if excess := over(); excess > 0 {
		n := len(c.StreakRunIDs)
		for cut := 0; n > 1 && cut < excess; n-- {
			q, _ := json.Marshal(c.StreakRunIDs[n-1]) // a string always encodes
			cut += len(q) + 1
		}
		c.StreakRunIDs = c.StreakRunIDs[:n]
	}
	if over() > 0 {
		c.LastError = Truncate(c.LastError, minTruncate)
		c.LastRunID = Truncate(c.LastRunID, minTruncate)
		c.EnabledBy = Truncate(c.EnabledBy, minTruncate)
	}
	return c
}

func (a *API) integrationID(id string) error {
	if err := subjects.ValidateIntegrationID(id); err != nil {
		return badRequest("integrationId: %v", err)
	}
	return nil
}

func (a *API) getIntegration(ctx context.Context, data []byte) (any, error) {
	var req subjects.IntegrationRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := a.integrationID(req.IntegrationID); err != nil {
		return nil, err
	}
	c, rev, err := a.st.Counter(ctx, req.IntegrationID)
	if err != nil {
		return nil, err
	}
	if rev == 0 {
		return nil, notFound("integration %q has no runs recorded", req.IntegrationID)
	}
	return fitCounterReply(c, a.replyBudget()), nil
}

// enableIntegration stores an enable command, the same one an operator could
// publish, and waits until the pipeline has applied it, so the reply shows the
// integration enabled.
func (a *API) enableIntegration(ctx context.Context, data []byte) (any, error) {
	var req subjects.EnableIntegrationRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := a.integrationID(req.IntegrationID); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(req.EnabledBy) == "":
		return nil, badRequest("enabledBy is required")
	case len(req.EnabledBy) > subjects.MaxOperatorBytes:
		return nil, badRequest("enabledBy is %d bytes, over %d", len(req.EnabledBy), subjects.MaxOperatorBytes)
	case len(req.Reason) > subjects.MaxReasonBytes:
		return nil, badRequest("reason is %d bytes, over %d", len(req.Reason), subjects.MaxReasonBytes)
	}
	if _, rev, err := a.st.Counter(ctx, req.IntegrationID); err != nil {
		return nil, err
	} else if rev == 0 {
		return nil, notFound("integration %q has no runs recorded", req.IntegrationID)
	}
	cmd := subjects.EnableCommand{ID: uuid.NewString(), IntegrationID: req.IntegrationID, EnabledBy: req.EnabledBy, Reason: req.Reason, Time: time.Now().UTC()}
	b, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	seq, err := a.st.PublishCommand(ctx, a.subj.Enable(req.IntegrationID), "enable-"+cmd.ID, b)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(a.EnableWait)
	for {
		c, _, err := a.st.Counter(ctx, req.IntegrationID)
		if err != nil {
			return nil, err
		}
		// Applied, or overtaken by a later enable, which did the same.
		if c.LastEnableID == cmd.ID || (c.EnabledAt != nil && c.EnabledAt.After(cmd.Time)) {
			return fitCounterReply(c, a.replyBudget()), nil
		}
		if time.Now().After(deadline) {
			return nil, &apiError{code: "503", msg: "enable command stored at sequence " + strconv.FormatUint(seq, 10) + " but not applied within " + a.EnableWait.String() + "; it is applied when a processor runs"}
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
