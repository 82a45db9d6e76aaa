package operator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// pageOverhead is what a page reply takes beside its records: braces,
// names and a nextToken (an integration id or a mapping key, at most about
// 520 bytes once base64-encoded).
const pageOverhead = 1 << 10

// fitPage returns the first of items whose encodings, with pageOverhead,
// fit budget bytes, each first cut by fit (when not nil) to what a page
// holding it alone can carry. When it returns fewer items than it was
// given, the token is tokenAfter its last item, so the next page continues
// right after it; else it is next, the store's.
func fitPage[T any](items []T, next string, budget int, fit func(T, int) T, tokenAfter func(T) string) ([]T, string) {
	room := budget - pageOverhead
	used := 0
	for i := range items {
		if fit != nil {
			items[i] = fit(items[i], room)
		}
		b, err := json.Marshal(items[i])
		if err != nil {
			return items, next // the reply's own encoding reports it
		}
		if used += len(b) + 1; used > room && i > 0 {
			return items[:i], tokenAfter(items[i-1])
		}
	}
	return items, next
}

// pageSize returns n, or DefaultPageSize for 0, or a 400 (CheckPageSize).
func pageSize(n int) (int, error) {
	if n == 0 {
		return subjects.DefaultPageSize, nil
	}
	return n, CheckPageSize(n)
}

// listError maps the errors a store listing shares: a token it did not
// issue is a 400, a bucket too large to list in order a 503.
func listError(err error) error {
	switch {
	case errors.Is(err, store.ErrBadToken):
		return badRequest("nextToken: %v", err)
	case errors.Is(err, store.ErrTooMany):
		return errorf(http.StatusServiceUnavailable, "cannot list: %v", err)
	}
	return err
}

// ListIntegrations returns a page of integrations with their failure
// counters, disabled first, then failing, each most failures first, then
// the rest, ties by id (store.ListIntegrations): up to PageSize (1 to 100,
// 0: DefaultPageSize), as many as fit budget bytes, each counter cut as
// integrations.get cuts it (fitCounterReply). Errors: 400 for a bad
// pageSize or a nextToken not issued here; 503 when integration_failures
// holds more than store.MaxIntegrationsListed counters.
func (s *Service) ListIntegrations(ctx context.Context, req subjects.ListIntegrationsRequest, budget int) (subjects.ListIntegrationsResponse, error) {
	n, err := pageSize(req.PageSize)
	if err != nil {
		return subjects.ListIntegrationsResponse{}, err
	}
	cs, next, err := s.st.ListIntegrations(ctx, n, req.NextToken)
	if err != nil {
		return subjects.ListIntegrationsResponse{}, listError(err)
	}
	cs, next = fitPage(cs, next, budget, fitCounterReply, store.IntegrationsTokenAfter)
	if cs == nil {
		cs = []subjects.FailureCounter{}
	}
	return subjects.ListIntegrationsResponse{Data: cs, NextToken: next}, nil
}

// Run returns a run read back from INTEGRATION_RUNS (store.Run) as the
// processor admits it (processor.Admit): decoded, redacted and bounded, so
// nothing the runner sent unredacted leaves; then cut further, when it must,
// to fit budget bytes (processor.FitOutcome, Shortened set). Errors: 400
// for a bad integrationId or runId; 404 for a run not stored (never sent,
// aged out after 7 days) and for one that no longer decodes as an outcome
// (the processor dead-letters such a message), with the reason; 503 when
// the search reached store.MaxRunReads of the integration's outcomes.
func (s *Service) Run(ctx context.Context, req subjects.RunRequest, budget int) (subjects.RunRecord, error) {
	var none subjects.RunRecord
	if err := checkIntegrationID(req.IntegrationID); err != nil {
		return none, err
	}
	switch {
	case req.RunID == "":
		return none, badRequest("runId is required")
	case len(req.RunID) > subjects.MaxRunIDBytes:
		return none, badRequest("runId is %d bytes, over %d", len(req.RunID), subjects.MaxRunIDBytes)
	}
	m, err := s.st.Run(ctx, req.IntegrationID, req.RunID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return none, notFound("run %q of integration %q not found in %s (outcomes are kept 7 days)", req.RunID, req.IntegrationID, store.StreamRuns)
	case errors.Is(err, store.ErrGaveUp):
		// Retrying cannot help: the newest outcomes searched do not hold it.
		return none, notFound("run %q of integration %q not found: only the integration's newest %d outcomes are searched", req.RunID, req.IntegrationID, store.MaxRunReads)
	case err != nil:
		return none, err
	}
	o, err := processor.Admit(req.IntegrationID, m.Data, m.Time)
	if err != nil {
		// The reason may quote a field, which may hold a credential: it is
		// redacted, as the dead-letter reason is.
		return none, notFound("run %q of integration %q is stored at sequence %d but is not a valid outcome (the processor dead-letters such a message): %s",
			req.RunID, req.IntegrationID, m.Seq, processor.Truncate(redact.Text(err.Error()), 1<<10))
	}
	rec := subjects.RunRecord{IntegrationID: req.IntegrationID, RunID: o.RunID, Seq: m.Seq, ReceivedAt: m.Time.UTC(), ReportedFinishedAt: o.ReportedFinishedAt}
	rest, err := json.Marshal(rec)
	if err != nil {
		return none, err
	}
	empty, _ := json.Marshal(subjects.RunOutcome{}) // a zero outcome always encodes
	rec.Outcome, rec.Shortened = processor.FitOutcome(o, budget-(len(rest)-len(empty))-len(`,"shortened":true`))
	return rec, nil
}
