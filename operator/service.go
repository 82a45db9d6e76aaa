// Package operator is the operator API: listing, reading and actioning
// integration error events; listing, showing and re-enabling integrations;
// reading a run back, redacted; listing and creating external mappings. One
// Service implements it; NATS (NewNATS, a micro service) and HTTP (NewHTTP)
// are transports in front of it, and Client calls it over NATS.
package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

// Version is the service version reported to `nats micro ls`.
const Version = "0.1.0"

// Config configures a Service.
type Config struct {
	// EnableWait bounds how long EnableIntegration waits for the pipeline
	// to apply the enable command it stored; past it the reply is a 503.
	// Default 10s.
	EnableWait time.Duration
	// Policy is the disable policy the pipeline applies, which
	// integrations.get shows for each integration; nil is the default
	// policy.
	Policy *policy.Resolved
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	c := Config{}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.EnableWait == 0 {
		c.EnableWait = 10 * time.Second
	}
	if c.Policy == nil {
		c.Policy = policy.MustResolve(policy.Default())
	}
}

// Validate reports a setting out of range.
func (c Config) Validate() error {
	if c.EnableWait < 0 {
		return fmt.Errorf("enable wait %s is negative", c.EnableWait)
	}
	return nil
}

// Service is the operator API, whatever the transport. Every method takes
// a typed request and a reply budget (the most bytes the reply may take
// once JSON-encoded; the transport decides it) and returns a typed reply or
// an *Error. Any other error is a fault of the store or NATS.
type Service struct {
	cfg  Config
	st   *store.Store
	act  *store.Actioner
	subj subjects.Subjects
	log  *zap.SugaredLogger
	// metrics counts events actioned; nil counts nothing.
	metrics *metrics.Metrics
}

// SetMetrics makes the service count the events it actions in m. Call it
// before serving.
func (s *Service) SetMetrics(m *metrics.Metrics) { s.metrics = m }

// New returns the service over st.
func New(cfg Config, st *store.Store, logger *zap.Logger) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("operator config: %w", err)
	}
	s := &Service{cfg: cfg, st: st, subj: st.Subjects(), log: logger.Sugar()}
	// Acked is told once per acknowledgement stored, by this call or by a
	// completion after a crash: integration_events_actioned_total.
	act, err := st.Actioner(store.ActionerConfig{
		Encode: processor.ActionedAck,
		Acked:  func(subjects.EventRecord, bool) { s.metrics.Actioned(1) },
	})
	if err != nil {
		return nil, err
	}
	s.act = act
	return s, nil
}

// CompleteActions completes, until ctx ends, the actions a crash left
// half done (store.Actioner.Run): at once, then every 30 seconds. Every
// replica runs it.
func (s *Service) CompleteActions(ctx context.Context) { s.act.Run(ctx) }

// Ready returns nil when NATS is connected and the streams answer.
func (s *Service) Ready(ctx context.Context) error { return s.st.Ping(ctx) }

// minDataBytes is the least a record's data is bounded to, however small
// the budget.
const minDataBytes = 2 << 10

// minTruncate is the shortest a text is cut to when a reply must shrink.
const minTruncate = 64

// fitRecord bounds rec's data (processor.BoundStoredData) so that rec,
// encoded, takes at most room bytes: its data keeps what the rest of the
// record leaves, at most MaxEventBytes and at least minDataBytes. The rest
// is measured as JSON encodes it, not assumed: a note of 4,096 '<' is 24 KiB
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
	rec.Data = processor.BoundStoredData(data, limit)
}

// CheckPageSize returns a 400 unless n is 1 to MaxPageSize. Transports call
// it for a pageSize the caller gave: in ListEventsRequest 0 means "not
// given", so an explicit 0 is refused before the request gets here.
func CheckPageSize(n int) error {
	if n < 1 || n > subjects.MaxPageSize {
		return badRequest("pageSize %d must be 1 to %d (leave it out for %d)", n, subjects.MaxPageSize, subjects.DefaultPageSize)
	}
	return nil
}

// ListEvents returns a page of events, newest first, with as many records
// as fit budget bytes, up to PageSize (0: DefaultPageSize); a record that
// would not fit a page alone has its data bounded (fitRecord), so an event
// stored before events were bounded, or one actioned with a long note, is
// still served. With IDs, the page is those of the ids that match the
// other filters, all of them, each record's data bounded to its share of
// the budget; NextToken is then refused.
func (s *Service) ListEvents(ctx context.Context, req subjects.ListEventsRequest, budget int) (subjects.ListEventsResponse, error) {
	q := store.ListQuery{IntegrationID: req.IntegrationID, IncludeActioned: req.IncludeActioned, PageSize: subjects.DefaultPageSize, Token: req.NextToken}
	if req.PageSize != 0 {
		if err := CheckPageSize(req.PageSize); err != nil {
			return subjects.ListEventsResponse{}, err
		}
		q.PageSize = req.PageSize
	}
	if req.EventName != "" {
		k, err := subjects.KindOf(req.EventName)
		if err != nil {
			return subjects.ListEventsResponse{}, badRequest("eventName: %v", err)
		}
		q.Kind = k
	}
	if req.IntegrationID != "" {
		if err := subjects.ValidateIntegrationID(req.IntegrationID); err != nil {
			return subjects.ListEventsResponse{}, badRequest("integrationId: %v", err)
		}
	}
	if req.IDs != nil {
		return s.listByID(ctx, req, budget)
	}
	q.MaxBytes = budget
	q.Fit = fitRecord
	recs, next, err := s.st.ListEvents(ctx, q)
	if errors.Is(err, store.ErrBadToken) {
		return subjects.ListEventsResponse{}, badRequest("nextToken: %v", err)
	}
	if err != nil {
		return subjects.ListEventsResponse{}, err
	}
	return subjects.ListEventsResponse{Data: recs, NextToken: next}, nil
}

// listByID serves a listing restricted to req.IDs: one index read each,
// the matches newest first (by eventTime, then id).
func (s *Service) listByID(ctx context.Context, req subjects.ListEventsRequest, budget int) (subjects.ListEventsResponse, error) {
	ids, err := checkIDs("ids", req.IDs)
	if err != nil {
		return subjects.ListEventsResponse{}, err
	}
	if req.NextToken != "" {
		return subjects.ListEventsResponse{}, badRequest("nextToken: a listing by ids is one page; leave nextToken out")
	}
	if req.PageSize != 0 && req.PageSize < len(ids) {
		return subjects.ListEventsResponse{}, badRequest("pageSize %d is less than the %d ids given: a listing by ids is one page", req.PageSize, len(ids))
	}
	out := []subjects.EventRecord{}
	for _, id := range ids {
		rec, err := s.st.Event(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return subjects.ListEventsResponse{}, err
		}
		if (!req.IncludeActioned && rec.DtActioned != nil) || (req.EventName != "" && rec.EventName != req.EventName) ||
			(req.IntegrationID != "" && rec.IntegrationID != req.IntegrationID) {
			continue
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b subjects.EventRecord) int {
		if c := b.EventTime.Compare(a.EventTime); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	for i := range out {
		fitRecord(&out[i], (budget-64)/len(out)-1)
	}
	return subjects.ListEventsResponse{Data: out}, nil
}

// checkIDs returns ids without repeats, or a 400 unless they are 1 to
// MaxActionIDs ids of at most MaxOperatorBytes each.
func checkIDs(field string, ids []string) ([]string, error) {
	if len(ids) == 0 || len(ids) > subjects.MaxActionIDs {
		return nil, badRequest("%s must hold 1 to %d event ids, got %d", field, subjects.MaxActionIDs, len(ids))
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if len(id) > subjects.MaxOperatorBytes {
			return nil, badRequest("%s: an id is %d bytes, over %d", field, len(id), subjects.MaxOperatorBytes)
		}
		if id == "" {
			return nil, badRequest("%s: an id is empty", field)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Event returns one event by id, its data bounded to fit budget; 404 when
// there is none.
func (s *Service) Event(ctx context.Context, req subjects.GetEventRequest, budget int) (subjects.EventRecord, error) {
	if req.ID == "" {
		return subjects.EventRecord{}, badRequest("id is required")
	}
	rec, err := s.st.Event(ctx, req.ID)
	if errors.Is(err, store.ErrNotFound) {
		return subjects.EventRecord{}, notFound("event %q not found", processor.Truncate(req.ID, subjects.MaxOperatorBytes))
	}
	if err != nil {
		return subjects.EventRecord{}, err
	}
	fitRecord(&rec, budget)
	return rec, nil
}

// ActionEvents marks events as actioned by req.ActionedBy and publishes one
// acknowledgement per event newly actioned, exactly once also across a
// crash (store.Actioner). An event already actioned keeps
// its first dtActioned and is reported under AlreadyActioned; an unknown id
// under NotFound.
func (s *Service) ActionEvents(ctx context.Context, req subjects.ActionEventsRequest, budget int) (subjects.ActionEventsResponse, error) {
	var none subjects.ActionEventsResponse
	ids, err := checkIDs("ids", req.IDs)
	switch {
	case err != nil:
		return none, err
	case strings.TrimSpace(req.ActionedBy) == "":
		return none, badRequest("actionedBy is required")
	case len(req.ActionedBy) > subjects.MaxOperatorBytes:
		return none, badRequest("actionedBy is %d bytes, over %d", len(req.ActionedBy), subjects.MaxOperatorBytes)
	case len(req.Note) > subjects.MaxNoteBytes:
		return none, badRequest("note is %d bytes, over %d", len(req.Note), subjects.MaxNoteBytes)
	}
	resp := subjects.ActionEventsResponse{Actioned: []subjects.EventRecord{}, AlreadyActioned: []subjects.EventRecord{}, NotFound: []string{}}
	now := time.Now().UTC()
	for _, id := range ids {
		rec, newly, err := s.act.Action(ctx, id, req.ActionedBy, req.Note, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			resp.NotFound = append(resp.NotFound, id)
		case err != nil:
			return none, err
		case newly:
			resp.Actioned = append(resp.Actioned, rec)
		default:
			resp.AlreadyActioned = append(resp.AlreadyActioned, rec)
		}
	}
	if len(resp.Actioned) > 0 {
		s.log.Infow("events actioned", "count", len(resp.Actioned), "actionedBy", req.ActionedBy)
	}
	return fitActionReply(resp, budget), nil
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
				recs[i].Note = processor.Truncate(recs[i].Note, limit)
				if limit == 0 {
					recs[i].Note, recs[i].ActionedBy = "", processor.Truncate(recs[i].ActionedBy, minTruncate)
				}
			}
		}
	}
	return resp
}

// fitCounterReply returns c cut to fit budget bytes, encoded; the stored
// record is not changed. A counter is about 40 KiB at most, but JSON escapes
// '<' or a control character six times over, so 100 run ids of 256 such
// characters are 150 KiB. It cuts lastError to 1 KiB, then drops the last
// streak run ids (the first, which began the streak, are kept;
// consecutiveFailures still counts them all), then cuts lastError, lastRunId
// and enabledBy to 64 bytes.
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
	c.LastError = processor.Truncate(c.LastError, 1<<10)
	if excess := over(); excess > 0 {
		n := len(c.StreakRunIDs)
		for cut := 0; n > 1 && cut < excess; n-- {
			q, _ := json.Marshal(c.StreakRunIDs[n-1]) // a string always encodes
			cut += len(q) + 1
		}
		c.StreakRunIDs = c.StreakRunIDs[:n]
	}
	if over() > 0 {
		c.LastError = processor.Truncate(c.LastError, minTruncate)
		c.LastRunID = processor.Truncate(c.LastRunID, minTruncate)
		c.EnabledBy = processor.Truncate(c.EnabledBy, minTruncate)
	}
	return c
}

func checkIntegrationID(id string) error {
	if err := subjects.ValidateIntegrationID(id); err != nil {
		return badRequest("integrationId: %v", err)
	}
	return nil
}

// Integration returns an integration's failure counter and the disable
// policy that applies to it (the rules of its destination, with the
// distance to each threshold: policy.Rules.Applied), fit to budget
// (fitIntegrationReply); 404 for an integration that never reported a run.
func (s *Service) Integration(ctx context.Context, req subjects.IntegrationRequest, budget int) (subjects.IntegrationReply, error) {
	if err := checkIntegrationID(req.IntegrationID); err != nil {
		return subjects.IntegrationReply{}, err
	}
	c, rev, err := s.st.Counter(ctx, req.IntegrationID)
	if err != nil {
		return subjects.IntegrationReply{}, err
	}
	if rev == 0 {
		return subjects.IntegrationReply{}, notFound("integration %q has no runs recorded", req.IntegrationID)
	}
	applied := s.cfg.Policy.For(c.Destination).Applied(c)
	return fitIntegrationReply(subjects.IntegrationReply{FailureCounter: c, Policy: &applied}, budget), nil
}

// fitIntegrationReply cuts r's counter (fitCounterReply) to what the
// policy leaves of budget. The policy is never cut: it is a few hundred
// bytes, its scope a destination key of the operator's own policy file.
func fitIntegrationReply(r subjects.IntegrationReply, budget int) subjects.IntegrationReply {
	if r.Policy != nil {
		b, err := json.Marshal(r.Policy)
		if err != nil {
			return r // the reply's own encoding reports it
		}
		budget -= len(b) + len(`,"policy":`)
	}
	r.FailureCounter = fitCounterReply(r.FailureCounter, budget)
	return r
}

// EnableIntegration stores an enable command, the same one an operator
// could publish, and waits until the pipeline has applied it, so the reply
// shows the integration enabled: 404 for an integration that never
// reported a run, 503 when the command was stored but not applied within
// Config.EnableWait.
func (s *Service) EnableIntegration(ctx context.Context, req subjects.EnableIntegrationRequest, budget int) (subjects.FailureCounter, error) {
	var none subjects.FailureCounter
	if err := checkIntegrationID(req.IntegrationID); err != nil {
		return none, err
	}
	switch {
	case strings.TrimSpace(req.EnabledBy) == "":
		return none, badRequest("enabledBy is required")
	case len(req.EnabledBy) > subjects.MaxOperatorBytes:
		return none, badRequest("enabledBy is %d bytes, over %d", len(req.EnabledBy), subjects.MaxOperatorBytes)
	case len(req.Reason) > subjects.MaxReasonBytes:
		return none, badRequest("reason is %d bytes, over %d", len(req.Reason), subjects.MaxReasonBytes)
	}
	if _, rev, err := s.st.Counter(ctx, req.IntegrationID); err != nil {
		return none, err
	} else if rev == 0 {
		return none, notFound("integration %q has no runs recorded", req.IntegrationID)
	}
	cmd := subjects.EnableCommand{ID: uuid.NewString(), IntegrationID: req.IntegrationID, EnabledBy: req.EnabledBy, Reason: req.Reason, Time: time.Now().UTC()}
	b, err := json.Marshal(cmd)
	if err != nil {
		return none, err
	}
	seq, err := s.st.PublishCommand(ctx, s.subj.Enable(req.IntegrationID), "enable-"+cmd.ID, b)
	if err != nil {
		return none, err
	}
	deadline := time.Now().Add(s.cfg.EnableWait)
	for {
		c, _, err := s.st.Counter(ctx, req.IntegrationID)
		if err != nil {
			return none, err
		}
		// Applied, or overtaken by a later enable, which did the same.
		if c.LastEnableID == cmd.ID || (c.EnabledAt != nil && c.EnabledAt.After(cmd.Time)) {
			return fitCounterReply(c, budget), nil
		}
		if time.Now().After(deadline) {
			return none, errorf(http.StatusServiceUnavailable, "enable command stored at sequence %s but not applied within %s; it is applied when a processor runs", strconv.FormatUint(seq, 10), s.cfg.EnableWait)
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return none, ctx.Err()
		}
	}
}
