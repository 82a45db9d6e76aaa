package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"go.uber.org/zap"
)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	st, err := store.Open(context.Background(), nc, store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// storeEvents stores n events, alternating two integrations and two kinds,
// and returns their ids oldest first.
func storeEvents(t testing.TB, st *store.Store, n int) []string {
	t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("ev-%07d", i)
		kind := subjects.KindPerform
		if i%2 == 1 {
			kind = subjects.KindValidation
		}
		integration := "int-" + strconv.Itoa(i%3)
		ce := fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"t","type":%q,"time":"2026-11-25T12:00:00Z","data":{"n":%d}}`, id, kind.EventName(), i)
		if _, err := st.PublishEvent(ctx, store.StoredEvent{ID: id, Kind: kind, IntegrationID: integration, Time: time.Unix(int64(i), 0), CloudEvent: ce}); err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func listAll(t *testing.T, st *store.Store, q store.ListQuery) (ids []string, calls int) {
	t.Helper()
	for {
		recs, next, err := st.ListEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if next == "" {
			return ids, calls
		}
		if calls > 1000 {
			t.Fatal("listing does not end")
		}
		q.Token = next
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestListEventsPagesNewestFirstWithFilters(t *testing.T) {
	st := openStore(t)
	ids := storeEvents(t, st, 250)
	got, _ := listAll(t, st, store.ListQuery{PageSize: 7})
	if !slices.Equal(got, reversed(ids)) {
		t.Fatalf("listed %d events, not all newest first", len(got))
	}
	var wantPerform, wantInt1 []string
	for i, id := range ids {
		if i%2 == 0 {
			wantPerform = append(wantPerform, id)
		}
		if i%3 == 1 {
			wantInt1 = append(wantInt1, id)
		}
	}
	if got, _ := listAll(t, st, store.ListQuery{PageSize: 20, Kind: subjects.KindPerform}); !slices.Equal(got, reversed(wantPerform)) {
		t.Fatalf("perform filter: %d events", len(got))
	}
	if got, _ := listAll(t, st, store.ListQuery{PageSize: 100, IntegrationID: "int-1"}); !slices.Equal(got, reversed(wantInt1)) {
		t.Fatalf("integration filter: %d events", len(got))
	}
	if got, _ := listAll(t, st, store.ListQuery{PageSize: 5, IntegrationID: "never"}); len(got) != 0 {
		t.Fatalf("unknown integration: %v", got)
	}
	if _, _, err := st.ListEvents(context.Background(), store.ListQuery{PageSize: 5, Token: "bm9wZQ"}); !errors.Is(err, store.ErrBadToken) {
		t.Fatalf("forged token: %v", err)
	}
}

// TestListEventsNeverScansTheWholeHistory actions all but the 10 oldest of
// 5,000 events: no single call may read them all, yet paging still finds the
// 10, newest first.
func TestListEventsNeverScansTheWholeHistory(t *testing.T) {
	st := openStore(t)
	ids := storeEvents(t, st, 5000)
	now := time.Now()
	act := actioner(t, st)
	for _, id := range ids[10:] {
		if _, newly, err := act.Action(context.Background(), id, "t", "", now); err != nil || !newly {
			t.Fatal(id, newly, err)
		}
	}
	recs, next, err := st.ListEvents(context.Background(), store.ListQuery{PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 || next == "" {
		t.Fatalf("first call returned %d events and token %q: it should stop at its read budget with a token", len(recs), next)
	}
	got, calls := listAll(t, st, store.ListQuery{PageSize: 20})
	if !slices.Equal(got, reversed(ids[:10])) {
		t.Fatalf("found %v", got)
	}
	t.Logf("10 open events under 4,990 actioned ones: %d calls", calls)
	all, _ := listAll(t, st, store.ListQuery{PageSize: 100, IncludeActioned: true})
	if len(all) != 5000 {
		t.Fatalf("include actioned: %d", len(all))
	}
}

func TestActionKeepsTheFirstActioning(t *testing.T) {
	st := openStore(t)
	ids := storeEvents(t, st, 1)
	act := actioner(t, st)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	rec, newly, err := act.Action(ctx, ids[0], "ana", "done", t1)
	if err != nil || !newly || !rec.DtActioned.Equal(t1) {
		t.Fatalf("first: %+v %t %v", rec, newly, err)
	}
	rec, newly, err = act.Action(ctx, ids[0], "bo", "again", t1.Add(time.Hour))
	if err != nil || newly || !rec.DtActioned.Equal(t1) || rec.ActionedBy != "ana" {
		t.Fatalf("second: %+v %t %v", rec, newly, err)
	}
	if _, _, err := act.Action(ctx, "missing", "x", "", t1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, _, err := act.Action(ctx, "bad id with spaces", "x", "", t1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("malformed id: %v", err)
	}
}

// BenchmarkListNewestOpen lists the newest page of not-actioned events with
// LIST_BENCH_EVENTS events stored (default 20,000).
func BenchmarkListNewestOpen(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("LIST_BENCH_EVENTS")); err == nil {
		n = v
	}
	st := openStore(b)
	storeEvents(b, st, n)
	q := store.ListQuery{PageSize: subjects.DefaultPageSize}
	b.ResetTimer()
	for b.Loop() {
		recs, _, err := st.ListEvents(context.Background(), q)
		if err != nil || len(recs) != q.PageSize {
			b.Fatal(len(recs), err)
		}
	}
	b.ReportMetric(float64(n), "events")
}

func TestListEventsFillsAPageByBytes(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	// Sizes from 100 bytes to 12 KB, in an order that leaves gaps at page ends.
	var ids []string
	for i := range 60 {
		id := fmt.Sprintf("big-%03d", i)
		kind := subjects.KindPerform
		if i%5 == 4 {
			kind = subjects.KindValidation
		}
		pad := strings.Repeat("p", 100+(i*7919)%12_000)
		ce := fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"type":%q,"time":"2026-11-25T12:00:00Z","data":{"pad":%q}}`, id, kind.EventName(), pad)
		if _, err := st.PublishEvent(ctx, store.StoredEvent{ID: id, Kind: kind, IntegrationID: "int-big", Time: time.Unix(int64(i), 0), CloudEvent: ce}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// One record alone over the budget is served alone.
	huge := fmt.Appendf(nil, `{"specversion":"1.0","id":"huge","type":"integration.perform.error","time":"2026-11-25T12:00:00Z","data":{"pad":%q}}`, strings.Repeat("h", 40_000))
	if _, err := st.PublishEvent(ctx, store.StoredEvent{ID: "huge", Kind: subjects.KindPerform, IntegrationID: "int-big", Time: time.Unix(100, 0), CloudEvent: huge}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, "huge")

	const budget = 32 << 10
	q := store.ListQuery{PageSize: 100, MaxBytes: budget}
	var got []string
	pages := 0
	for {
		recs, next, err := st.ListEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		b, _ := json.Marshal(subjects.ListEventsResponse{Data: recs, NextToken: next})
		if len(b) > budget && len(recs) != 1 {
			t.Errorf("page %d: %d records in %d bytes, over %d", pages, len(recs), len(b), budget)
		}
		if len(recs) == 0 {
			t.Fatalf("page %d is empty with token %q", pages, next)
		}
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		q.Token = next
	}
	if !slices.Equal(got, reversed(ids)) {
		t.Fatalf("pages gave %d ids %v, want every one once, newest first", len(got), got)
	}
	if pages < 10 {
		t.Errorf("%d pages for about 400 KB in pages of 32 KiB", pages)
	}

	// Fit bounds each record's data before it is measured.
	q = store.ListQuery{PageSize: 100, MaxBytes: budget, Fit: func(r *subjects.EventRecord, _ int) { r.Data = json.RawMessage(`{"fit":true}`) }}
	recs, next, err := st.ListEvents(ctx, q)
	if err != nil || len(recs) != len(ids) || next != "" || string(recs[0].Data) != `{"fit":true}` {
		t.Fatalf("with Fit: %d records, token %q, %v", len(recs), next, err)
	}

	// A record Fit makes exactly room bytes fills a page alone, within the
	// budget, whatever its token.
	q = store.ListQuery{PageSize: 100, MaxBytes: budget, Fit: func(r *subjects.EventRecord, room int) {
		r.Data = json.RawMessage(`""`)
		b, _ := json.Marshal(r)
		r.Data = json.RawMessage(`"` + strings.Repeat("p", room-len(b)) + `"`)
	}}
	for pages = 0; ; pages++ {
		recs, next, err := st.ListEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(subjects.ListEventsResponse{Data: recs, NextToken: next})
		if len(recs) != 1 || len(b) > budget || len(b) < budget-64 {
			t.Fatalf("page %d with records of room bytes: %d records in %d bytes, budget %d", pages, len(recs), len(b), budget)
		}
		if q.Token = next; next == "" {
			break
		}
	}
}
