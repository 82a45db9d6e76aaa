package test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StoredAcks returns the actioned acknowledgements INTEGRATION_EVENTS
// holds, by event id, read from the stream itself. It fails t on a message
// of an acknowledgement subject that is not an integration.event.actioned
// CloudEvent with Nats-Msg-Id actioned-<eventId>.
func StoredAcks(t testing.TB, nc *nats.Conn) map[string][]subjects.Actioned {
	t.Helper()
	prefix := strings.TrimSuffix(subjects.Default().ActionedAll(), ">")
	out := map[string][]subjects.Actioned{}
	for _, m := range Stored(t, nc, store.StreamEvents) {
		if !strings.HasPrefix(m.Subject, prefix) {
			continue
		}
		var ce struct {
			Type string            `json:"type"`
			Data subjects.Actioned `json:"data"`
		}
		if err := json.Unmarshal(m.Data, &ce); err != nil || ce.Type != subjects.ActionedType {
			t.Fatalf("not an acknowledgement on %s: %v %s", m.Subject, err, m.Data)
		}
		if got, want := m.Header.Get(jetstream.MsgIDHeader), store.ActionedMsgID(ce.Data.EventID); got != want {
			t.Fatalf("acknowledgement of %s has Nats-Msg-Id %q, want %q", ce.Data.EventID, got, want)
		}
		out[ce.Data.EventID] = append(out[ce.Data.EventID], ce.Data)
	}
	return out
}

// CheckOneAckEach fails t unless each of actioned, records of actioned
// events, has exactly one acknowledgement that agrees with it, and no
// other event has one.
func CheckOneAckEach(t testing.TB, nc *nats.Conn, actioned []subjects.EventRecord) {
	t.Helper()
	acks := StoredAcks(t, nc)
	for _, rec := range actioned {
		got := acks[rec.ID]
		delete(acks, rec.ID)
		if len(got) != 1 {
			t.Errorf("event %s has %d acknowledgements, want 1", rec.ID, len(got))
			continue
		}
		a := got[0]
		if rec.DtActioned == nil || !a.DtActioned.Equal(*rec.DtActioned) || a.ActionedBy != rec.ActionedBy || a.Note != rec.Note ||
			a.IntegrationID != rec.IntegrationID || a.EventName != rec.EventName {
			t.Errorf("acknowledgement %+v does not agree with record %+v", a, rec)
		}
	}
	for id, a := range acks {
		t.Errorf("event %s was not actioned but has %d acknowledgements", id, len(a))
	}
}

// OutboxKeys returns the keys of the actioned outbox bucket: the actions
// whose acknowledgement may not be stored yet.
func OutboxKeys(t testing.TB, nc *nats.Conn) []string {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, store.BucketActionedOutbox)
	if err != nil {
		t.Fatal(err)
	}
	l, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	if ctx.Err() != nil {
		t.Fatalf("list %s: %v", store.BucketActionedOutbox, ctx.Err())
	}
	return keys
}
