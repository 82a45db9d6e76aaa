package test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publishDurably publishes o through JetStream and retries until the server
// acknowledges it, as a careful runner would: across a crash of serve and its
// embedded server, a retry after a lost acknowledgement may store it twice.
func publishDurably(ctx context.Context, js jetstream.JetStream, o subjects.RunOutcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.Publish(pctx, subjects.Default().Run(o.IntegrationID), b)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKilledMidStreamLosesAndDoublesNothing kills serve with SIGKILL twice
// and stops it with SIGTERM once while a runner publishes, restarts it on the
// same data directory each time, and compares the final counters, events and disable commands with the model.
func TestKilledMidStreamLosesAndDoublesNothing(t *testing.T) {
	const disableAfter = 5
	w := NewWorkload(WorkloadConfig{Seed: 42, Integrations: 40, Outcomes: 3000, FailRate: 0.3, Broken: 0.15, ResendRate: 0.03})
	model := w.Model(disableAfter)
	dir, listen := t.TempDir(), FreePort(t)
	flags := []string{"--disable-after", fmt.Sprint(disableAfter)}
	s := StartServe(t, dir, listen, flags...)

	nc, err := nats.Connect(s.URL, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var sent atomic.Int64
	done := make(chan error, 1)
	go func() {
		for _, o := range w.Outcomes {
			if err := publishDurably(ctx, js, o); err != nil {
				done <- err
				return
			}
			sent.Add(1)
		}
		done <- nil
	}()
	// Two crashes, then a clean stop, each under load and followed by a restart.
	for i, at := range []int64{1000, 2000, 2500} {
		CheckFor(t, time.Minute, 5*time.Millisecond, func() error {
			if n := sent.Load(); n < at {
				return fmt.Errorf("%d sent", n)
			}
			return nil
		})
		if i < 2 {
			s.Kill()
			t.Logf("killed serve (pid %d) after %d outcomes", s.PID(), sent.Load())
		} else if err := s.Terminate(30 * time.Second); err != nil {
			t.Fatalf("SIGTERM under load: %v", err)
		} else {
			t.Logf("stopped serve (pid %d) with SIGTERM after %d outcomes; it exited 0", s.PID(), sent.Load())
		}
		s = StartServe(t, dir, listen, flags...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	checkModel(t, nc, model)
	t.Logf("%d outcomes (%d stored with retries), %d events expected and found; 2 kills, 1 SIGTERM", len(w.Outcomes), len(Stored(t, nc, store.StreamRuns)), len(model.Events))
	if err := s.Terminate(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
