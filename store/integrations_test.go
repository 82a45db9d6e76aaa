package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// putCounters stores a counter per id, failures[id] failures each, those in
// disabled disabled, 32 at a time.
func putCounters(t testing.TB, st *store.Store, ids []string, failures map[string]int, disabled map[string]bool) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	errs := make(chan error, len(ids))
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := subjects.FailureCounter{IntegrationID: id, ConsecutiveFailures: failures[id], DisableAfter: 20, Disabled: disabled[id],
				LastRunID: "run-" + id, FailuresByKind: map[string]int{}, UpdatedAt: now}
			if c.ConsecutiveFailures > 0 {
				c.FirstFailureAt, c.LastFailureAt = &now, &now
				c.FailuresByKind[subjects.KindPerform.EventName()] = c.ConsecutiveFailures
			}
			if _, err := st.PutCounter(context.Background(), &c, 0); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

func listIntegrationIDs(t *testing.T, st *store.Store, pageSize int) (ids []string, pages int) {
	t.Helper()
	token := ""
	for {
		cs, next, err := st.ListIntegrations(context.Background(), pageSize, token)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(cs) == 0 || len(cs) > pageSize {
			t.Fatalf("page %d holds %d counters, page size %d", pages, len(cs), pageSize)
		}
		for _, c := range cs {
			ids = append(ids, c.IntegrationID)
		}
		if next == "" {
			return ids, pages
		}
		if pages > 100 {
			t.Fatal("listing does not end")
		}
		token = next
	}
}

func TestListIntegrationsPutsDisabledThenFailingFirst(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if cs, next, err := st.ListIntegrations(ctx, 10, ""); err != nil || len(cs) != 0 || next != "" {
		t.Fatalf("no integrations: %d, %q, %v", len(cs), next, err)
	}
	failures := map[string]int{"d-2": 20, "d-1": 25, "d-0": 20, "f-a": 3, "f-b": 7, "f-c": 3, "h-z": 0, "h-a": 0, "h-m": 0}
	disabled := map[string]bool{"d-0": true, "d-1": true, "d-2": true}
	ids := []string{"h-z", "f-c", "d-2", "h-a", "f-a", "d-0", "h-m", "f-b", "d-1"}
	putCounters(t, st, ids, failures, disabled)
	want := []string{"d-1", "d-0", "d-2", "f-b", "f-a", "f-c", "h-a", "h-m", "h-z"}
	for _, size := range []int{1, 2, 4, 9, 100} {
		got, pages := listIntegrationIDs(t, st, size)
		if !slices.Equal(got, want) {
			t.Fatalf("page size %d: %v, want %v", size, got, want)
		}
		if wantPages := (len(want) + size - 1) / size; pages != wantPages {
			t.Fatalf("page size %d: %d pages, want %d", size, pages, wantPages)
		}
	}
	cs, _, err := st.ListIntegrations(ctx, 1, "")
	if err != nil || cs[0].IntegrationID != "d-1" || !cs[0].Disabled || cs[0].ConsecutiveFailures != 25 || cs[0].LastRunID != "run-d-1" {
		t.Fatalf("the whole counter is returned: %+v, %v", cs, err)
	}

	// A page continues after the last integration's place, whatever was
	// added meanwhile: a new healthy integration comes in its place.
	_, next, err := st.ListIntegrations(ctx, 4, "")
	if err != nil {
		t.Fatal(err)
	}
	putCounters(t, st, []string{"a-new"}, nil, nil)
	cs, _, err = st.ListIntegrations(ctx, 100, next)
	var got []string
	for _, c := range cs {
		got = append(got, c.IntegrationID)
	}
	if err != nil || !slices.Equal(got, []string{"f-a", "f-c", "a-new", "h-a", "h-m", "h-z"}) {
		t.Fatalf("after the token: %v, %v", got, err)
	}

	for _, tok := range []string{"bm9wZQ", "!!", encodeB64("in1:3:0:x"), encodeB64("in1:1:-1:x"), encodeB64("in1:1:2:bad id"), encodeB64("ev1:12")} {
		if _, _, err := st.ListIntegrations(ctx, 5, tok); !errors.Is(err, store.ErrBadToken) {
			t.Fatalf("token %q: %v", tok, err)
		}
	}
}

// BenchmarkListIntegrations lists the first page of 10,000 integrations,
// 1% disabled and 10% failing: every call reads every counter.
func BenchmarkListIntegrations(b *testing.B) {
	st := openStore(b)
	const n = 10_000
	ids := make([]string, n)
	failures, disabled := map[string]int{}, map[string]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("int-%05d", i)
		switch {
		case i%100 == 0:
			failures[ids[i]], disabled[ids[i]] = 20+i%7, true
		case i%10 == 0:
			failures[ids[i]] = 1 + i%19
		}
	}
	putCounters(b, st, ids, failures, disabled)
	b.ResetTimer()
	for b.Loop() {
		cs, next, err := st.ListIntegrations(context.Background(), subjects.DefaultPageSize, "")
		if err != nil || len(cs) != subjects.DefaultPageSize || next == "" || !cs[0].Disabled {
			b.Fatal(len(cs), err)
		}
	}
	b.ReportMetric(n, "integrations")
}

func encodeB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
