package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// actioner returns st's actioner; acked, when given, is told of each
// acknowledgement it stores.
func actioner(t testing.TB, st *store.Store, acked ...func(subjects.EventRecord, bool)) *store.Actioner {
	t.Helper()
	cfg := store.ActionerConfig{Encode: processor.ActionedAck}
	if len(acked) > 0 {
		cfg.Acked = acked[0]
	}
	a, err := st.Actioner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// crashingActioner is an actioner whose actions stop at fault point.
func crashingActioner(t testing.TB, st *store.Store, point string) *store.Actioner {
	t.Helper()
	a := actioner(t, st)
	store.CrashAt(a, point)
	return a
}

// restart opens the store again on a new connection, as a restarted
// process would, logging to the returned observer.
func restart(t testing.TB, st *store.Store) (*store.Store, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	st2, err := store.Open(context.Background(), test.Connect(t, st.Conn().ConnectedUrl()), store.DefaultConfig(), zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	return st2, logs
}

// shortenDuplicateWindow sets the duplicate window of INTEGRATION_EVENTS
// to 100ms, the least the server takes. Call it before any message is
// stored with a Nats-Msg-Id: the server re-arms its purge timer for a new
// window only racily once it holds ids.
func shortenDuplicateWindow(t testing.TB, nc *nats.Conn) {
	t.Helper()
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(ctx, store.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.Duplicates = 100 * time.Millisecond
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}

// passDuplicateWindow returns once every message stored so far has left
// the duplicate window: a probe is published again until the stream stores
// it anew.
func passDuplicateWindow(t testing.TB, nc *nats.Conn) {
	t.Helper()
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	probe := &nats.Msg{Subject: "integrations.mappings.window-probe", Data: []byte("probe")}
	id := uuid.NewString()
	if _, err := js.PublishMsg(ctx, probe, jetstream.WithMsgID(id)); err != nil {
		t.Fatal(err)
	}
	test.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		ack, err := js.PublishMsg(ctx, probe, jetstream.WithMsgID(id))
		if err == nil && ack.Duplicate {
			err = errors.New("the probe is still de-duplicated")
		}
		return err
	})
}

// checkOneAckEach checks the acknowledgements of st against the records
// of actioned (test.CheckOneAckEach).
func checkOneAckEach(t testing.TB, st *store.Store, actioned []string) {
	t.Helper()
	recs := make([]subjects.EventRecord, len(actioned))
	for i, id := range actioned {
		rec, err := st.Event(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = rec
	}
	test.CheckOneAckEach(t, st.Conn(), recs)
}

// TestActionStoppedAtEveryStepIsCompletedOnce stops an action at each
// fault point, as a crash there would, then completes the outbox from a
// store opened again: the event is actioned as asked, with one
// acknowledgement, and the outbox is empty. A second pass and a second
// action change nothing.
func TestActionStoppedAtEveryStepIsCompletedOnce(t *testing.T) {
	for _, point := range []string{store.PointActionedIntent, store.PointActionedMarked, store.PointActionedPublished} {
		t.Run(point, func(t *testing.T) {
			st := openStore(t)
			ids := storeEvents(t, st, 3)
			ctx := context.Background()
			t1 := time.Date(2026, 11, 25, 9, 0, 0, 123456789, time.UTC)
			_, _, err := crashingActioner(t, st, point).Action(ctx, ids[0], "ana", "mapping created", t1)
			if !errors.Is(err, store.ErrCrashed) {
				t.Fatalf("action stopped at %s: %v", point, err)
			}
			if keys := test.OutboxKeys(t, st.Conn()); len(keys) != 1 || keys[0] != ids[0] {
				t.Fatalf("outbox after the crash: %v", keys)
			}
			rec, err := st.Event(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if marked := rec.DtActioned != nil; marked != (point != store.PointActionedIntent) {
				t.Fatalf("after a crash at %s the record is actioned: %t", point, marked)
			}
			wantAcks, wantStored := 0, 1
			if point == store.PointActionedPublished {
				wantAcks, wantStored = 1, 0
			}
			if n := len(test.StoredAcks(t, st.Conn())[ids[0]]); n != wantAcks {
				t.Fatalf("after a crash at %s: %d acknowledgements, want %d", point, n, wantAcks)
			}

			st2, logs := restart(t, st)
			act := actioner(t, st2)
			n, err := act.Complete(ctx)
			if err != nil || n != wantStored {
				t.Fatalf("complete: stored %d (want %d), %v", n, wantStored, err)
			}
			if got := logs.FilterMessage("actioned acknowledgement completed from the outbox").FilterField(zap.String("eventId", ids[0])).Len(); got != wantStored {
				t.Fatalf("%d completion log lines for %s, want %d: %v", got, ids[0], wantStored, logs.All())
			}
			rec, err = st2.Event(ctx, ids[0])
			if err != nil || rec.DtActioned == nil || !rec.DtActioned.Equal(t1) || rec.ActionedBy != "ana" || rec.Note != "mapping created" {
				t.Fatalf("record after completion: %+v %v", rec, err)
			}
			checkOneAckEach(t, st2, ids[:1])
			if keys := test.OutboxKeys(t, st2.Conn()); len(keys) != 0 {
				t.Fatalf("outbox after completion: %v", keys)
			}
			if n, err := act.Complete(ctx); n != 0 || err != nil {
				t.Fatalf("second pass stored %d: %v", n, err)
			}
			rec, newly, err := act.Action(ctx, ids[0], "bo", "again", t1.Add(time.Hour))
			if err != nil || newly || rec.ActionedBy != "ana" {
				t.Fatalf("second action: %+v %t %v", rec, newly, err)
			}
			checkOneAckEach(t, st2, ids[:1])
		})
	}
}

// TestCompleteAfterTheDuplicateWindowStoresNoSecondAck completes actions
// stopped after the acknowledgement and after the mark once the duplicate
// window (shortened to 100ms) has passed, with other acknowledgements of the same integration
// stored in between: the one stored is found in the stream, the missing
// one is stored, and every event has one.
func TestCompleteAfterTheDuplicateWindowStoresNoSecondAck(t *testing.T) {
	st := openStore(t)
	shortenDuplicateWindow(t, st.Conn())
	ids := storeEvents(t, st, 12) // ids[0], [3], [6], [9] are int-0's
	ctx := context.Background()
	now := time.Now()
	if _, _, err := crashingActioner(t, st, store.PointActionedPublished).Action(ctx, ids[0], "ana", "", now); !errors.Is(err, store.ErrCrashed) {
		t.Fatal(err)
	}
	if _, _, err := crashingActioner(t, st, store.PointActionedMarked).Action(ctx, ids[3], "ana", "", now); !errors.Is(err, store.ErrCrashed) {
		t.Fatal(err)
	}
	act := actioner(t, st)
	for _, id := range []string{ids[6], ids[9], ids[1]} {
		if _, newly, err := act.Action(ctx, id, "bo", "", now); err != nil || !newly {
			t.Fatal(id, newly, err)
		}
	}
	passDuplicateWindow(t, st.Conn())

	st2, logs := restart(t, st)
	n, err := actioner(t, st2).Complete(ctx)
	if err != nil || n != 1 {
		t.Fatalf("complete stored %d, want 1 (the one stopped after the mark): %v", n, err)
	}
	if logs.FilterMessage("actioned acknowledgement completed from the outbox").FilterField(zap.String("eventId", ids[3])).Len() != 1 {
		t.Fatalf("no completion logged for %s: %v", ids[3], logs.All())
	}
	checkOneAckEach(t, st2, []string{ids[0], ids[3], ids[6], ids[9], ids[1]})
}

// TestCompleteAfterTheAckFloorLeftTheStream stops an action of int-0 after
// the mark, then removes the acknowledgement its outbox entry took as its
// floor, as event retention (MaxAge) or an administrator's purge would:
// the whole subject, or the floor message alone with an older
// acknowledgement left. Completion still stores the acknowledgement, once:
// a second pass and a second action store none.
func TestCompleteAfterTheAckFloorLeftTheStream(t *testing.T) {
	for _, tc := range []struct {
		name  string
		purge bool // the subject; else only the floor message
	}{{"subject purged", true}, {"floor message deleted", false}} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			ids := storeEvents(t, st, 7) // ids[0], [3], [6] are int-0's
			ctx := context.Background()
			act := actioner(t, st)
			now := time.Now()
			for _, id := range []string{ids[0], ids[3]} {
				if _, newly, err := act.Action(ctx, id, "ana", "", now); err != nil || !newly {
					t.Fatal(id, newly, err)
				}
			}
			js, _ := jetstream.New(st.Conn())
			events, err := js.Stream(ctx, store.StreamEvents)
			if err != nil {
				t.Fatal(err)
			}
			subject := subjects.Default().Actioned("int-0")
			floor, err := events.GetLastMsgForSubject(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := crashingActioner(t, st, store.PointActionedMarked).Action(ctx, ids[6], "bo", "", now); !errors.Is(err, store.ErrCrashed) {
				t.Fatal(err)
			}
			acked := []string{ids[0], ids[6]}
			if tc.purge {
				err, acked = events.Purge(ctx, jetstream.WithPurgeSubject(subject)), ids[6:7]
			} else {
				err = events.DeleteMsg(ctx, floor.Sequence)
			}
			if err != nil {
				t.Fatal(err)
			}

			n, err := act.Complete(ctx)
			if err != nil || n != 1 {
				t.Fatalf("complete: stored %d, want 1: %v", n, err)
			}
			if keys := test.OutboxKeys(t, st.Conn()); len(keys) != 0 {
				t.Fatalf("outbox after completion: %v", keys)
			}
			if n, err := act.Complete(ctx); n != 0 || err != nil {
				t.Fatalf("second pass stored %d: %v", n, err)
			}
			if _, newly, err := act.Action(ctx, ids[6], "cy", "", now); err != nil || newly {
				t.Fatalf("second action: newly %t, %v", newly, err)
			}
			checkOneAckEach(t, st, acked)
		})
	}
}

// TestCompletersAndActionsRacing leaves 30 actions stopped at the three
// fault points, lets the duplicate window pass, and then runs three
// completers on their own connections at once, while two operators action
// 20 other events at the same time: each event gets one acknowledgement,
// each is stored by one writer only, and the outbox ends empty.
func TestCompletersAndActionsRacing(t *testing.T) {
	st := openStore(t)
	shortenDuplicateWindow(t, st.Conn())
	ids := storeEvents(t, st, 60)
	ctx := context.Background()
	now := time.Now()
	points := []string{store.PointActionedIntent, store.PointActionedMarked, store.PointActionedPublished}
	for i, id := range ids[:30] {
		if _, _, err := crashingActioner(t, st, points[i%3]).Action(ctx, id, "ana", fmt.Sprint("note ", i), now); !errors.Is(err, store.ErrCrashed) {
			t.Fatal(err)
		}
	}
	passDuplicateWindow(t, st.Conn())

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stored int
		// ackedBy counts, by event, the writers that stored its
		// acknowledgement; newly the operators told they actioned it.
		ackedBy = map[string]int{}
		newly   = map[string]int{}
		start   = make(chan struct{})
		errs    = make(chan error, 8)
	)
	acked := func(rec subjects.EventRecord, _ bool) {
		mu.Lock()
		ackedBy[rec.ID]++
		mu.Unlock()
	}
	// race runs run on its own connection once start is closed.
	race := func(run func(a *store.Actioner) error) {
		s, _ := restart(t, st)
		a := actioner(t, s, acked)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- run(a)
		}()
	}
	for range 3 {
		race(func(a *store.Actioner) error {
			n, err := a.Complete(ctx)
			mu.Lock()
			stored += n
			mu.Unlock()
			return err
		})
	}
	for _, who := range []string{"bo", "cy"} {
		race(func(a *store.Actioner) error {
			for _, id := range ids[30:50] {
				_, ok, err := a.Action(ctx, id, who, "", time.Now())
				if err != nil {
					return err
				}
				if ok {
					mu.Lock()
					newly[id]++
					mu.Unlock()
				}
			}
			return nil
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if stored < 20 {
		t.Errorf("the completers stored %d acknowledgements, want at least the 20 of the actions stopped before theirs", stored)
	}
	for i, id := range ids[:50] {
		want := 1
		if i < 30 && points[i%3] == store.PointActionedPublished {
			want = 0 // stored before the crash
		}
		if ackedBy[id] != want {
			t.Errorf("event %s: %d writers stored its acknowledgement, want %d", id, ackedBy[id], want)
		}
		if i >= 30 && newly[id] != 1 {
			t.Errorf("event %s was newly actioned by %d operators", id, newly[id])
		}
	}
	t.Logf("3 completers stored %d acknowledgements racing 2 operators over 20 events", stored)
	checkOneAckEach(t, st, ids[:50])
	if keys := test.OutboxKeys(t, st.Conn()); len(keys) != 0 {
		t.Fatalf("outbox after the race: %v", keys)
	}
}

// TestCompleteReportsAnUnreadableOutboxEntry puts bytes that are not an
// outbox entry under an event's key: Complete names the key and still
// completes the other entries.
func TestCompleteReportsAnUnreadableOutboxEntry(t *testing.T) {
	st := openStore(t)
	ids := storeEvents(t, st, 2)
	ctx := context.Background()
	if _, _, err := crashingActioner(t, st, store.PointActionedMarked).Action(ctx, ids[1], "ana", "", time.Now()); !errors.Is(err, store.ErrCrashed) {
		t.Fatal(err)
	}
	js, _ := jetstream.New(st.Conn())
	kv, err := js.KeyValue(ctx, store.BucketActionedOutbox)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, ids[0], []byte("{not an entry")); err != nil {
		t.Fatal(err)
	}
	n, err := actioner(t, st).Complete(ctx)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "outbox entry "+ids[0]) || !strings.Contains(err.Error(), "is not an actioned outbox entry") {
		t.Fatalf("complete: stored %d, error %v", n, err)
	}
	checkOneAckEach(t, st, ids[1:2])
}

// BenchmarkAction actions one event per iteration (events of three
// integrations) with its acknowledgement: every step of the outbox.
func BenchmarkAction(b *testing.B) {
	st := openStore(b)
	ids := storeEvents(b, st, b.N)
	act := actioner(b, st)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, newly, err := act.Action(ctx, ids[i], "bench", "", time.Now()); err != nil || !newly {
			b.Fatal(newly, err)
		}
	}
}
