package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Event is an event as a subscriber reads it.
type Event struct {
	Subject string
	ID      string             `json:"id"`
	Type    string             `json:"type"`
	Source  string             `json:"source"`
	Time    time.Time          `json:"time"`
	Data    subjects.EventData `json:"data"`
	Header  nats.Header
	Raw     []byte
}

// Stored returns every message stored in stream, read from the stream
// itself: the durable truth, where a duplicate would show.
func Stored(t testing.TB, nc *nats.Conn, stream string) []*nats.Msg {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*nats.Msg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		var m *jetstream.RawStreamMsg
		// Only a deleted message may be passed over: a read that fails
		// under load is tried again, or the test stops, so a missing
		// message always means a message that is not there.
		for try := 0; ; try++ {
			m, err = s.GetMsg(ctx, seq)
			if err == nil || errors.Is(err, jetstream.ErrMsgNotFound) || try == 20 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("read %s sequence %d: %v", stream, seq, err)
		}
		out = append(out, &nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header})
	}
	if len(out) != int(info.State.Msgs) {
		t.Fatalf("read %d messages of %s, its state says %d", len(out), stream, info.State.Msgs)
	}
	return out
}

// StoredEvents returns the events in INTEGRATION_EVENTS, in stream order.
func StoredEvents(t testing.TB, nc *nats.Conn) []Event {
	t.Helper()
	var out []Event
	for _, m := range Stored(t, nc, store.StreamEvents) {
		if !strings.Contains(m.Subject, ".events.") {
			continue
		}
		out = append(out, DecodeEvent(t, m))
	}
	return out
}

// storedEventsOf counts the events of integration in INTEGRATION_EVENTS.
func storedEventsOf(t testing.TB, nc *nats.Conn, integration string) int {
	t.Helper()
	n := 0
	for _, e := range StoredEvents(t, nc) {
		if e.Data.IntegrationID == integration {
			n++
		}
	}
	return n
}

// DecodeEvent parses a structured CloudEvent message.
func DecodeEvent(t testing.TB, m *nats.Msg) Event {
	t.Helper()
	var e Event
	if err := json.Unmarshal(m.Data, &e); err != nil {
		t.Fatalf("event on %s is not a CloudEvent: %v: %s", m.Subject, err, m.Data)
	}
	e.Subject, e.Header, e.Raw = m.Subject, m.Header, m.Data
	return e
}

// Counter reads an integration's record from the KV bucket, as `nats kv get`
// would; ok is false when there is none.
func Counter(t testing.TB, nc *nats.Conn, integration string) (c subjects.FailureCounter, ok bool) {
	t.Helper()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, store.BucketCounters)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, integration)
	if err != nil {
		return c, false
	}
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		t.Fatal(err)
	}
	return c, true
}

// WaitCounter waits until integration's record satisfies want.
func WaitCounter(t testing.TB, nc *nats.Conn, integration string, want func(subjects.FailureCounter) error) subjects.FailureCounter {
	t.Helper()
	var c subjects.FailureCounter
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		var ok bool
		if c, ok = Counter(t, nc, integration); !ok {
			return fmt.Errorf("no counter for %s yet", integration)
		}
		return want(c)
	})
	return c
}

// Streak is a WaitCounter condition: the streak is n and the disabled flag is disabled.
func Streak(n int, disabled bool) func(subjects.FailureCounter) error {
	return func(c subjects.FailureCounter) error {
		if c.ConsecutiveFailures != n || c.Disabled != disabled {
			return fmt.Errorf("consecutiveFailures=%d disabled=%t, want %d %t", c.ConsecutiveFailures, c.Disabled, n, disabled)
		}
		return nil
	}
}

// API returns a client of the operator API on nc, under the default
// subjects. Error replies are *operator.Error.
func API(nc *nats.Conn) *operator.Client { return operator.NewClient(nc, subjects.Default()) }
