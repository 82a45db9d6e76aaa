package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// storeSeqEvents stores n events over three integrations, one after the
// other, and returns by integration the stream sequences of its events,
// oldest first, and by sequence the event id.
func storeSeqEvents(t *testing.T, st *store.Store, n int) (map[string][]uint64, map[uint64]string) {
	t.Helper()
	bySeq, byInt := map[uint64]string{}, map[string][]uint64{}
	for i := range n {
		id, integration := fmt.Sprintf("ev-%05d", i), fmt.Sprintf("int-%d", i%3)
		ce := fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"t","type":%q,"time":"2026-11-25T12:00:00Z","data":{}}`, id, subjects.KindPerform.EventName())
		seq, err := st.PublishEvent(context.Background(), store.StoredEvent{ID: id, Kind: subjects.KindPerform, IntegrationID: integration, Time: time.Unix(int64(i), 0), CloudEvent: ce})
		if err != nil {
			t.Fatal(err)
		}
		bySeq[seq], byInt[integration] = id, append(byInt[integration], seq)
	}
	return byInt, bySeq
}

// eventsBefore collects what EventsBefore hands fn, stopping after stop
// events (0: never).
func eventsBefore(t *testing.T, st *store.Store, integration string, before uint64, stop int) []uint64 {
	t.Helper()
	var got []uint64
	err := st.EventsBefore(context.Background(), integration, before, func(m store.Msg) (bool, error) {
		got = append(got, m.Seq)
		return stop == 0 || len(got) < stop, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func newestFirst(s []uint64) []uint64 {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

// TestEventsBefore walks an integration's events back from one of them,
// across many windows and past other integrations' events: every earlier
// one, newest first, none of another integration, none at or after the
// start; fn's false stops it and fn's error is returned.
func TestEventsBefore(t *testing.T) {
	st := openStore(t)
	byInt, bySeq := storeSeqEvents(t, st, 600)
	own := byInt["int-1"]
	from := own[150]
	got := eventsBefore(t, st, "int-1", from, 0)
	if want := newestFirst(own[:150]); !slices.Equal(got, want) {
		t.Fatalf("walked %d events %v..., want %d %v...", len(got), got[:min(5, len(got))], len(want), want[:5])
	}
	for _, seq := range got {
		if bySeq[seq] == "" {
			t.Fatalf("sequence %d is no event stored", seq)
		}
	}
	if got := eventsBefore(t, st, "int-1", from, 7); !slices.Equal(got, newestFirst(own[143:150])) {
		t.Fatalf("stopped after 7: %v, want %v", got, newestFirst(own[143:150]))
	}
	if got := eventsBefore(t, st, "int-1", own[0], 0); len(got) != 0 {
		t.Fatalf("before the integration's first event: %v", got)
	}
	boom := errors.New("boom")
	err := st.EventsBefore(context.Background(), "int-2", byInt["int-2"][3], func(store.Msg) (bool, error) { return true, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("fn's error: got %v", err)
	}
}

// TestEventsBeforeStreamStart walks back from an event whose predecessors
// have partly left the stream (purged, as MaxAge would): the walk ends at
// the stream's first message with the events still stored.
func TestEventsBeforeStreamStart(t *testing.T) {
	st := openStore(t)
	byInt, _ := storeSeqEvents(t, st, 300)
	own := byInt["int-0"]
	js, err := jetstream.New(st.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := js.Stream(ctx, store.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	// Keep from int-0's 40th event on.
	if err := s.Purge(ctx, jetstream.WithPurgeSequence(own[40])); err != nil {
		t.Fatal(err)
	}
	if got, want := eventsBefore(t, st, "int-0", own[90], 0), newestFirst(own[40:90]); !slices.Equal(got, want) {
		t.Fatalf("walked %v, want %v", got, want)
	}
}
