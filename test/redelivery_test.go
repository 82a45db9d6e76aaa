package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
)

// TestLateAcksAreRedeliveredAndAppliedOnce gives serve a one-second ack wait
// and batches of one delivery, and a backlog much larger than it applies in a
// second: JetStream redelivers messages still queued for the worker, and
// every one must be applied exactly once.
func TestLateAcksAreRedeliveredAndAppliedOnce(t *testing.T) {
	const disableAfter = 5
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	srv := StartServer(t)
	flags := []string{"--nats-url", srv.ClientURL(), "--ack-wait", "1s", "--batch-timeout", "500ms", "--batch", "1", "--log-level", "debug", "--policy", polFile}
	// A first start creates the streams; the backlog builds while serve is down.
	if err := StartServe(t, t.TempDir(), "127.0.0.1:0", flags...).Terminate(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	nc := Connect(t, srv.ClientURL())
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 3, Integrations: 300, Outcomes: 6000, FailRate: 0.3, Broken: 0.1, ResendRate: 0.02})
	for _, o := range w.Outcomes {
		b, _ := json.Marshal(o)
		if _, err := js.PublishAsync(subjects.Default().Run(o.IntegrationID), b); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		t.Fatal("burst not acknowledged")
	}
	s := StartServe(t, t.TempDir(), "127.0.0.1:0", append(flags, "--http-listen", FreePort(t))...)
	checkModel(t, nc, w.Model(pol))

	// Each outcome is counted once: redeliveries and resends are not.
	runs := map[[2]string]bool{}
	for _, o := range w.Outcomes {
		runs[[2]string{o.IntegrationID, o.RunID}] = true
	}
	CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		m, err := scrape(s.HTTP, "")
		if err != nil {
			return err
		}
		if n := m.Sum("integration_events_outcomes_total"); n != float64(len(runs)) {
			return fmt.Errorf("%v outcomes counted, want %d (%d published, resends included)", n, len(runs), len(w.Outcomes))
		}
		return nil
	})

	// Each redelivery of an applied message is skipped with a debug line.
	skipped := strings.Count(s.Output(), `"msg":"already applied, skipped"`)
	t.Logf("%d outcomes; %d redeliveries of applied messages skipped; all applied once", len(w.Outcomes), skipped)
	if skipped == 0 {
		t.Fatal("no redelivery happened: the test did not exercise late acks")
	}
}
