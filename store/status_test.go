package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
)

// action marks event id actioned and stores its acknowledgement, as the
// operator API does.
func action(t *testing.T, st *store.Store, id string) {
	t.Helper()
	ctx := context.Background()
	if _, newly, err := actioner(t, st).Action(ctx, id, "ops", "", time.Now()); err != nil || !newly {
		t.Fatalf("action %s: %v %v", id, newly, err)
	}
}

// TestCountEventsSubtractsOnlyEventsStillStored: storeEvents alternates
// perform (even) and validation (odd) events. An acknowledgement of an
// event that has left the stream must not lower the count of those left.
func TestCountEventsSubtractsOnlyEventsStillStored(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	ids := storeEvents(t, st, 10) // sequences 1 to 10
	action(t, st, ids[0])         // perform
	action(t, st, ids[5])         // validation
	action(t, st, ids[6])         // perform

	c, err := st.CountEvents(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	perform, validation := subjects.KindPerform.EventName(), subjects.KindValidation.EventName()
	want := map[string]uint64{perform: 5, validation: 5}
	for _, n := range subjects.EventNames() {
		if c.Stored[n] != want[n] {
			t.Errorf("stored %s: %d, want %d", n, c.Stored[n], want[n])
		}
	}
	if c.Actioned[perform] != 2 || c.Actioned[validation] != 1 || c.ActionedTotal != 3 || c.ActionedRead != 3 {
		t.Errorf("actioned: %+v", c)
	}

	// The first three events age out (a purge stands in for MaxAge): the
	// acknowledgement of ids[0] is newer than the oldest event left, so it
	// is read, and the index shows its event is gone.
	js, err := jetstream.New(st.Conn())
	if err != nil {
		t.Fatal(err)
	}
	events, err := js.Stream(ctx, store.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Purge(ctx, jetstream.WithPurgeSubject(subjects.Default().Events()), jetstream.WithPurgeSequence(4)); err != nil {
		t.Fatal(err)
	}
	c, err = st.CountEvents(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Left: perform 4, 6, 8; validation 3, 5, 7, 9.
	if c.Stored[perform] != 3 || c.Stored[validation] != 4 || c.Actioned[perform] != 1 || c.Actioned[validation] != 1 || c.ActionedTotal != 3 {
		t.Errorf("after the oldest aged out: %+v", c)
	}

	// Bounded: two acknowledgements of three read, the oldest first.
	c, err = st.CountEvents(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.ActionedRead != 2 || c.ActionedTotal != 3 || c.Actioned[perform] != 0 || c.Actioned[validation] != 1 {
		t.Errorf("bounded to 2: %+v", c)
	}
}

func TestCountEventsOfAnEmptyStream(t *testing.T) {
	st := openStore(t)
	c, err := st.CountEvents(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Stored) != len(subjects.Kinds) || len(c.Actioned) != len(subjects.Kinds) || c.ActionedTotal != 0 {
		t.Fatalf("%+v", c)
	}
	for _, n := range subjects.EventNames() {
		if c.Stored[n] != 0 || c.Actioned[n] != 0 {
			t.Errorf("%s: %+v", n, c)
		}
	}
}

// TestPartitionLagFollowsTheConsumer: before any replica held it, a
// partition's lag is its messages; delivered and not acknowledged, ack
// pending; acknowledged, nothing.
func TestPartitionLagFollowsTheConsumer(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	nc := st.Conn()
	const id = "lagging"
	p := subjects.PartitionOf(id, store.DefaultPartitions)
	for i := range 3 {
		if err := nc.Publish(subjects.Default().Run(id), fmt.Appendf(nil, `{"runId":"r%d"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	lagOf := func() subjects.PartitionStatus {
		t.Helper()
		parts, err := st.PartitionLag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != store.DefaultPartitions {
			t.Fatalf("%d partitions", len(parts))
		}
		for _, q := range parts {
			if q.Partition != p && (q.Pending != 0 || !q.Missing) {
				t.Errorf("partition %+v holds nothing and has no consumer", q)
			}
		}
		return parts[p]
	}
	test.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if got := lagOf(); !got.Missing || got.Pending != 3 {
			return fmt.Errorf("before a consumer: %+v", got)
		}
		return nil
	})
	deliveries := make(chan *store.Delivery, 3)
	sub, err := st.ConsumePartition(ctx, p, func(d *store.Delivery) { deliveries <- d })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Stop(context.Background()) })
	test.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if got := lagOf(); got.Missing || got.Pending != 0 || got.AckPending != 3 || !got.Pinned || got.Consumer != store.ConsumerPartitionPrefix+fmt.Sprint(p) {
			return fmt.Errorf("delivered: %+v", got)
		}
		return nil
	})
	for range 3 {
		if err := (<-deliveries).Ack(); err != nil {
			t.Fatal(err)
		}
	}
	test.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if got := lagOf(); got.Pending != 0 || got.AckPending != 0 {
			return fmt.Errorf("acknowledged: %+v", got)
		}
		return nil
	})
}

func TestStreamStatsListsStreamsThenBuckets(t *testing.T) {
	st := openStore(t)
	storeEvents(t, st, 4)
	got, err := st.StreamStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Kind+":"+s.Name)
		switch s.Name {
		case store.StreamEvents, store.BucketEvents:
			if s.Messages != 4 || s.Bytes == 0 {
				t.Errorf("%s: %+v, want 4 messages", s.Name, s)
			}
		default:
			if s.Messages != 0 {
				t.Errorf("%s: %+v, want empty", s.Name, s)
			}
		}
	}
	want := []string{"stream:INTEGRATION_RUNS", "stream:INTEGRATION_EVENTS", "stream:INTEGRATION_COMMANDS", "stream:INTEGRATION_DEADLETTER",
		"stream:INTEGRATION_ADVISORIES", "bucket:integration_failures", "bucket:integration_events", "bucket:integration_actioned_outbox",
		"bucket:integration_processors", "bucket:external_mappings"}
	if !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
}

func TestHeartbeatsAreSortedWithTheirTime(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	for _, id := range []string{"replica-b", "replica-a"} {
		if err := st.Heartbeat(ctx, id, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Leave(ctx, "replica-b"); err != nil {
		t.Fatal(err)
	}
	if err := st.Heartbeat(ctx, "replica-c", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	got, err := st.Heartbeats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "replica-a" || got[1].ID != "replica-c" {
		t.Fatalf("heartbeats %+v, want replica-a and replica-c", got)
	}
	for _, h := range got {
		if h.At.Before(before) || h.At.After(time.Now().Add(time.Second)) {
			t.Errorf("%s at %s", h.ID, h.At)
		}
	}
}

func TestDisabledIntegrationsAreBoundedAndCounted(t *testing.T) {
	st := openStore(t)
	var ids []string
	failures, disabled := map[string]int{}, map[string]bool{}
	for i := range 40 {
		id := fmt.Sprintf("int-%02d", i)
		ids = append(ids, id)
		failures[id] = 1 + i%7
		disabled[id] = i%3 != 0 // 26 of 40
	}
	putCounters(t, st, ids, failures, disabled)
	got, total, err := st.DisabledIntegrations(context.Background(), subjects.MaxStatusDisabled)
	if err != nil {
		t.Fatal(err)
	}
	if total != 26 || len(got) != subjects.MaxStatusDisabled {
		t.Fatalf("%d listed of %d, want 20 of 26", len(got), total)
	}
	for i, c := range got {
		if !c.Disabled {
			t.Errorf("%s is not disabled", c.IntegrationID)
		}
		if i > 0 && (got[i-1].ConsecutiveFailures < c.ConsecutiveFailures ||
			got[i-1].ConsecutiveFailures == c.ConsecutiveFailures && got[i-1].IntegrationID > c.IntegrationID) {
			t.Errorf("%s listed after %s: not most failures first, then by id", c.IntegrationID, got[i-1].IntegrationID)
		}
	}
}

// BenchmarkCountEvents counts STATUS_BENCH_EVENTS events (default
// 100,000; storing 1,000,000 takes minutes) of up to 100,000 integrations,
// MaxStatusActionedRead of them actioned: the stored counts come from the
// server's subject index, the actioned ones from reading every
// acknowledgement and its index entry.
func BenchmarkCountEvents(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("STATUS_BENCH_EVENTS")); err == nil && v >= subjects.MaxStatusActionedRead {
		n = v
	}
	st := openStore(b)
	ctx := context.Background()
	integrations, actioned := min(n/10, 100_000), subjects.MaxStatusActionedRead
	next := func(i int) store.StoredEvent {
		ev := store.StoredEvent{ID: fmt.Sprintf("ev-%07d", i), Kind: subjects.Kinds[i%len(subjects.Kinds)], IntegrationID: fmt.Sprintf("int-%06d", i%integrations), Time: time.Unix(int64(i), 0)}
		ev.CloudEvent = fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"type":%q,"data":{}}`, ev.ID, ev.Kind.EventName())
		return ev
	}
	start := time.Now()
	if err := workload.StoreEvents(ctx, st, n, next, nil); err != nil {
		b.Fatal(err)
	}
	a := actioner(b, st)
	sem := make(chan struct{}, 32)
	errs := make(chan error, actioned)
	for i := range actioned {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			ev := next(n - actioned + i)
			_, _, err := a.Action(ctx, ev.ID, "ops", "", time.Now())
			if err != nil {
				errs <- err
			}
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.Logf("stored %d events, actioned %d, in %s", n, actioned, time.Since(start).Round(time.Second))
	b.ResetTimer()
	for b.Loop() {
		c, err := st.CountEvents(ctx, subjects.MaxStatusActionedRead)
		if err != nil {
			b.Fatal(err)
		}
		var stored, acted uint64
		for _, name := range subjects.EventNames() {
			stored, acted = stored+c.Stored[name], acted+c.Actioned[name]
		}
		if stored != uint64(n) || acted != uint64(actioned) || c.ActionedRead != actioned {
			b.Fatalf("%+v", c)
		}
	}
	b.ReportMetric(float64(n), "events")
}

// BenchmarkDisabledIntegrations lists the disabled integrations among
// STATUS_BENCH_INTEGRATIONS (default 10,000), 1% of them disabled: every
// counter is read, as integrations.list reads them.
func BenchmarkDisabledIntegrations(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("STATUS_BENCH_INTEGRATIONS")); err == nil && v >= 100 {
		n = v
	}
	st := openStore(b)
	ids := make([]string, n)
	failures, disabled := map[string]int{}, map[string]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("int-%06d", i)
		if i%100 == 0 {
			failures[ids[i]], disabled[ids[i]] = 20+i%7, true
		}
	}
	putCounters(b, st, ids, failures, disabled)
	b.ResetTimer()
	for b.Loop() {
		cs, total, err := st.DisabledIntegrations(context.Background(), subjects.MaxStatusDisabled)
		if err != nil || total != n/100 || len(cs) != min(n/100, subjects.MaxStatusDisabled) {
			b.Fatal(len(cs), total, err)
		}
	}
	b.ReportMetric(float64(n), "integrations")
}
