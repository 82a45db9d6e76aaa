package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// Query timings are medians over these many calls.
const (
	listCalls   = 31
	actionCalls = 5
)

// query stores events up to EventsStored, then times the operator API:
// listing the newest page of not-actioned events, and actioning 100 events
// in one call.
func (r *runner) query(ctx context.Context) error {
	have, err := r.streamCount(ctx, store.StreamEvents, r.subj.Events())
	if err != nil {
		return err
	}
	if want := uint64(r.cfg.EventsStored); have < want {
		n := int(want - have)
		r.prog.phase("query: storing events", n)
		if err := workload.StoreEvents(ctx, r.st, n, r.storedEvent, func(i int) { r.prog.set(i + 1) }); err != nil {
			return fmt.Errorf("store events: %w", err)
		}
	}
	if r.res.EventsStored, err = r.streamCount(ctx, store.StreamEvents, r.subj.Events()); err != nil {
		return err
	}
	ops, err := operator.New(operator.DefaultConfig(), r.st, r.log)
	if err != nil {
		return err
	}
	api, err := operator.NewNATS(r.nc, ops, r.log)
	if err != nil {
		return err
	}
	defer func() { _ = api.Stop() }()
	client := operator.NewClient(r.nc, r.subj)

	r.prog.phase("query: timing the API", 0)
	if r.res.ListNewestOpenMs, err = r.medianList(ctx, client); err != nil {
		return err
	}
	if r.res.HTTPListNewestMs, err = r.medianHTTPList(ctx, ops); err != nil {
		return err
	}
	var action []time.Duration
	for range actionCalls {
		page, err := client.ListEvents(ctx, subjects.ListEventsRequest{PageSize: subjects.MaxActionIDs})
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(page.Data))
		for _, e := range page.Data {
			ids = append(ids, e.ID)
		}
		start := time.Now()
		resp, err := client.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: ids, ActionedBy: "bench"})
		took := time.Since(start)
		if err != nil {
			return err
		}
		if len(resp.Actioned) != subjects.MaxActionIDs {
			return fmt.Errorf("%w: actioning %d events actioned %d", ErrNotVerified, len(ids), len(resp.Actioned))
		}
		action = append(action, took)
	}
	r.res.Action100Ms = msOf(median(action))
	if r.res.ListAfterActionMs, err = r.medianList(ctx, client); err != nil {
		return err
	}
	r.prog.printf("query: %s events: list %s (HTTP %s), action 100 %s, list after %d actioned %s", thousands(int(r.res.EventsStored)),
		ms(r.res.ListNewestOpenMs), ms(r.res.HTTPListNewestMs), ms(r.res.Action100Ms), actionCalls*subjects.MaxActionIDs, ms(r.res.ListAfterActionMs))
	return nil
}

func (r *runner) medianList(ctx context.Context, client *operator.Client) (float64, error) {
	var ds []time.Duration
	for range listCalls {
		start := time.Now()
		page, err := client.ListEvents(ctx, subjects.ListEventsRequest{})
		took := time.Since(start)
		if err != nil {
			return 0, err
		}
		if len(page.Data) != subjects.DefaultPageSize {
			return 0, fmt.Errorf("list returned %d events, want a full page of %d", len(page.Data), subjects.DefaultPageSize)
		}
		ds = append(ds, took)
	}
	return msOf(median(ds)), nil
}

// medianHTTPList times GET /api/events, the newest page of not-actioned
// events, through the HTTP API on a loopback port, as a script or the
// console calls it: the same listing plus HTTP and JSON over TCP.
func (r *runner) medianHTTPList(ctx context.Context, ops *operator.Service) (float64, error) {
	h, err := operator.NewHTTP(operator.HTTPConfig{Listen: "127.0.0.1:0"}, ops, r.log)
	if err != nil {
		return 0, err
	}
	if err := h.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = h.Shutdown(context.WithoutCancel(ctx)) }()
	url := "http://" + h.Addr() + "/api/events"
	var ds []time.Duration
	for range listCalls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		var page subjects.ListEventsResponse
		err = json.NewDecoder(resp.Body).Decode(&page)
		_ = resp.Body.Close()
		took := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET /api/events: %s: %v", resp.Status, err)
		}
		if len(page.Data) != subjects.DefaultPageSize {
			return 0, fmt.Errorf("GET /api/events returned %d events, want a full page of %d", len(page.Data), subjects.DefaultPageSize)
		}
		ds = append(ds, took)
	}
	return msOf(median(ds)), nil
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// storedEvent is the i-th event stored for the query phase: a failure event
// built by the processor's own code, as it would have published it.
func (r *runner) storedEvent(i int) store.StoredEvent {
	m := mix{name: "stored", integrations: 10_000, failEvery: 1, nonce: r.nonce}
	o := m.outcome(i)
	next, t := processor.ApplyOutcome(subjects.FailureCounter{IntegrationID: o.IntegrationID}, &o, uint64(i+1), r.cfg.Pipeline.Policy.For(o.Destination))
	eff := processor.BuildEffects(&next, &o, t)
	stored, err := processor.StoredEvents(o.IntegrationID, eff)
	if err != nil {
		panic(err) // events built above always encode
	}
	return stored[0]
}
