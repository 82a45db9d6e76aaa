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

// newRecovery returns a recovery loop of cfg on a store of a new
// embedded server, not running yet, the server's JetStream and the loop's
// logs.
func newRecovery(t *testing.T, cfg recovery.Config) (*recovery.Recovery, jetstream.JetStream, *observer.ObservedLogs) {
	t.Helper()
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	st, err := store.Open(context.Background(), nc, store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	r, err := recovery.New(cfg, st, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return r, js, logs
}

// TestUnreadableRecoveredEventsAreAcknowledged stores, on the recovered
// subject, a message that is no JSON, a CloudEvent of another type, and a
// recovery whose integrationId is not its subject's, then a well-formed
// one: Run acknowledges all four, logs each unreadable one with its
// sequence and reason, and stops when its context ends.
func TestUnreadableRecoveredEventsAreAcknowledged(t *testing.T) {
	ctx := context.Background()
	r, js, logs := newRecovery(t, recovery.Config{RetryDelay: 100 * time.Millisecond})
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

// TestStreakEventsNeverIndexedAreSkippedInTheEnd stores a streak's events
// without their index entries, as an attempt whose plan a retry did not
// repeat leaves them, then its recovery: the recovery is delivered again
// until GiveUpAfter deliveries, then acknowledged with the events it could
// not action named in its log line.
func TestStreakEventsNeverIndexedAreSkippedInTheEnd(t *testing.T) {
	ctx := context.Background()
	r, js, logs := newRecovery(t, recovery.Config{RetryDelay: 50 * time.Millisecond, GiveUpAfter: 3})
	s := subjects.Default()
	for _, m := range []struct{ subject, body string }{
		{s.Event(subjects.KindPerform, "int-z"), `{"id":"f1","type":"integration.perform.error","data":{"integrationId":"int-z","consecutiveFailures":1}}`},
		{s.Event(subjects.KindWarning, "int-z"), `{"id":"w1","type":"integration.disable.warning","data":{"integrationId":"int-z","consecutiveFailures":1}}`},
		{s.Event(subjects.KindRecovered, "int-z"), `{"id":"r1","type":"integration.recovered","data":{"integrationId":"int-z","autoAction":true,"failedRuns":1,"runId":"ok"}}`},
	} {
		if _, err := js.Publish(ctx, m.subject, []byte(m.body)); err != nil {
			t.Fatal(err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = r.Run(rctx) }()
	test.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if logs.FilterMessage("streak auto-actioned on recovery").Len() == 0 {
			return fmt.Errorf("not acknowledged yet; %d retries logged", logs.FilterMessage("streak not all auto-actioned, will retry").Len())
		}
		return nil
	})
	if n := logs.FilterMessage("streak not all auto-actioned, will retry").Len(); n != 2 {
		t.Errorf("%d retries before giving up, want 2", n)
	}
	f := logs.FilterMessage("streak auto-actioned on recovery").All()[0].ContextMap()
	if skipped := fmt.Sprint(f["skippedNotIndexed"]); skipped != "[w1 f1]" || f["actioned"] != int64(0) {
		t.Errorf("log %v: want w1 and f1 skipped, none actioned", f)
	}
}
