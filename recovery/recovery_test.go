package recovery_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/recovery"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestUnreadableRecoveredEventsAreAcknowledged stores, on the recovered
// subject, a message that is no JSON, a CloudEvent of another type, and a
// recovery whose integrationId is not its subject's, then a well-formed
// one: Run acknowledges all four, logs each unreadable one with its
// sequence and reason, and stops when its context ends.
func TestUnreadableRecoveredEventsAreAcknowledged(t *testing.T) {
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	ctx := context.Background()
	st, err := store.Open(ctx, nc, store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	r, err := recovery.New(recovery.Config{RetryDelay: 100 * time.Millisecond}, st, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subj := subjects.Default().Event(subjects.KindRecovered, "int-x")
	recoveredType := subjects.KindRecovered.EventName()
	bodies := []string{
		`not json`,
		`{"id":"e2","type":"integration.perform.error","data":{"integrationId":"int-x","autoAction":true}}`,
		`{"id":"e3","type":"` + recoveredType + `","data":{"integrationId":"int-y","autoAction":true}}`,
		`{"id":"e4","type":"` + recoveredType + `","data":{"integrationId":"int-x","autoAction":true,"failedRuns":1}}`,
	}
	var last uint64
	for _, b := range bodies {
		ack, err := js.Publish(ctx, subj, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Sequence
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	test.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		c, err := js.Consumer(ctx, store.StreamEvents, store.ConsumerRecoveries)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.AckFloor.Stream != last || info.NumAckPending != 0 {
			return fmt.Errorf("ack floor %d of %d, %d unacknowledged", info.AckFloor.Stream, last, info.NumAckPending)
		}
		return nil
	})
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	unreadable := logs.FilterMessage("recovered event unreadable, acknowledged without auto-action").All()
	if len(unreadable) != 3 {
		t.Fatalf("%d unreadable recovered events logged, want 3: %v", len(unreadable), logs.All())
	}
	for i, want := range []string{"not a structured CloudEvent", "is not " + recoveredType, `"int-y" is not the subject's "int-x"`} {
		f := unreadable[i].ContextMap()
		if e, _ := f["error"].(string); !strings.Contains(e, want) || f["seq"] != uint64(i+1) {
			t.Errorf("log %d: %v, want seq %d and an error with %q", i, f, i+1, want)
		}
	}
	// The well-formed one has no events before it: nothing to action.
	if n := logs.FilterMessage("streak auto-actioned on recovery").Len(); n != 1 {
		t.Fatalf("%d streaks auto-actioned, want 1: %v", n, logs.All())
	}
}
