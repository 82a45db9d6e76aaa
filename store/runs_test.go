package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// storedRun is one outcome publishRuns stored.
type storedRun struct {
	integration, runID string
	seq                uint64
}

// publishRuns stores n outcomes round-robin over integrations, each a
// perform failure with its HTTP exchange (about 700 bytes), and returns them
// in stream order. runID names run i.
func publishRuns(t testing.TB, st *store.Store, n, integrations int, runID func(i int) string) []storedRun {
	t.Helper()
	out := make([]storedRun, n)
	err := workload.Publish(context.Background(), st.Conn(), n, func(i int) *nats.Msg {
		integration := fmt.Sprintf("int-%03d", i%integrations)
		b, err := json.Marshal(workload.Failed(integration, runID(i), subjects.StagePerform, 400))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = storedRun{integration: integration, runID: runID(i)}
		return &nats.Msg{Subject: subjects.Default().Run(integration), Data: b}
	}, func(i int, seq uint64) { out[i].seq = seq })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunIsReadBackByIntegrationAndRunID(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	// run-5 of int-000 is sent twice (i = 5*3 and a resend at i = 40*3);
	// int-001 has a run-5 of its own.
	runs := publishRuns(t, st, 300, 3, func(i int) string {
		if i == 120 {
			return "run-5"
		}
		return fmt.Sprintf("run-%d", i/3)
	})
	first, resend, other := runs[15], runs[120], runs[16]
	if first.integration != "int-000" || resend.integration != "int-000" || other.runID != "run-5" || other.integration != "int-001" {
		t.Fatalf("fixture: %+v %+v %+v", first, resend, other)
	}
	check := func(when string, want storedRun) {
		t.Helper()
		m, err := st.Run(ctx, want.integration, want.runID)
		if err != nil {
			t.Fatalf("%s: %s of %s: %v", when, want.runID, want.integration, err)
		}
		o, err := subjects.DecodeOutcome(want.integration, m.Data)
		if err != nil || m.Seq != want.seq || m.Stream != store.StreamRuns || o.RunID != want.runID || o.IntegrationID != want.integration || m.Time.IsZero() {
			t.Fatalf("%s: %s of %s: got sequence %d (%s), want %d: %v", when, want.runID, want.integration, m.Seq, m.Subject, want.seq, err)
		}
		if pm, err := subjects.Default().ParsePartitioned(m.Subject); err != nil || pm.Kind != subjects.StoredRun || pm.IntegrationID != want.integration {
			t.Fatalf("%s: subject %s: %v", when, m.Subject, err)
		}
	}
	check("stored", runs[0])
	check("stored", runs[len(runs)-1])
	check("stored", first) // not the resend
	check("stored", other)
	if _, err := st.Run(ctx, "int-000", "run-none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a run never sent: %v", err)
	}
	if _, err := st.Run(ctx, "int-404", "run-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an integration never seen: %v", err)
	}
	for _, bad := range [][2]string{{"int.000", "run-1"}, {"int-000", ""}, {"", "run-1"}, {"int-000", string(make([]byte, 257))}} {
		if _, err := st.Run(ctx, bad[0], bad[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Run(%q, %q): %v", bad[0], bad[1][:min(len(bad[1]), 10)], err)
		}
	}

	// With the first copy gone (removed, say), the search finds the resend.
	js, _ := jetstream.New(st.Conn())
	stream, err := js.Stream(ctx, store.StreamRuns)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.DeleteMsg(ctx, first.seq); err != nil {
		t.Fatal(err)
	}
	check("first copy removed", resend)
}

// TestRunSearchGivesUpAtItsBound stores more outcomes of one integration
// than a search reads: its newest runs are found, those past the newest
// MaxRunReads are not (ErrGaveUp, naming how many were searched), and a run
// that is not there is not a scan of everything.
func TestRunSearchGivesUpAtItsBound(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 50,050 outcomes")
	}
	st := openStore(t)
	ctx := context.Background()
	n := store.MaxRunReads + 50
	runs := publishRuns(t, st, n, 1, func(i int) string { return fmt.Sprintf("busy-%d", i) })
	_, err := st.Run(ctx, "int-000", "not-there")
	if !errors.Is(err, store.ErrGaveUp) || !strings.Contains(err.Error(), fmt.Sprintf("newest %d outcomes", store.MaxRunReads)) {
		t.Fatalf("search past the bound: %v", err)
	}
	t.Log(err)
	for _, r := range []storedRun{runs[n-1], runs[n-2], runs[n/2], runs[n-store.MaxRunReads]} {
		if m, err := st.Run(ctx, "int-000", r.runID); err != nil || m.Seq != r.seq {
			t.Fatalf("%s, within the newest %d: %d, %v", r.runID, store.MaxRunReads, m.Seq, err)
		}
	}
	if _, err := st.Run(ctx, "int-000", runs[n-store.MaxRunReads-1].runID); !errors.Is(err, store.ErrGaveUp) {
		t.Fatalf("the newest run past the bound: %v", err)
	}
}

// BenchmarkRunReadBack reads a run back with 20,000 runs of 200
// integrations stored (100 each, about 700 bytes): a run in the middle of
// its integration's outcomes, the integration's newest, and one it does not
// have (the search's worst case there).
func BenchmarkRunReadBack(b *testing.B) {
	st := openStore(b)
	ctx := context.Background()
	runs := publishRuns(b, st, 20_000, 200, func(i int) string { return fmt.Sprintf("run-%d", i) })
	middle, newest := runs[10_007], runs[len(runs)-1]
	read := func(b *testing.B, r storedRun) {
		for b.Loop() {
			m, err := st.Run(ctx, r.integration, r.runID)
			if err != nil || m.Seq != r.seq {
				b.Fatal(m.Seq, err)
			}
		}
	}
	b.Run("middle", func(b *testing.B) { read(b, middle) })
	b.Run("newest", func(b *testing.B) { read(b, newest) })
	b.Run("absent", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Run(ctx, newest.integration, "run-none"); !errors.Is(err, store.ErrNotFound) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRunSearchBound prices the longest search: the newest
// MaxRunReads outcomes of one integration read without finding the run.
func BenchmarkRunSearchBound(b *testing.B) {
	st := openStore(b)
	publishRuns(b, st, store.MaxRunReads+50, 1, func(i int) string { return fmt.Sprintf("busy-%d", i) })
	for b.Loop() {
		if _, err := st.Run(context.Background(), "int-000", "not-there"); !errors.Is(err, store.ErrGaveUp) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(store.MaxRunReads, "outcomes")
}
