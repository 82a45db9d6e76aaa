package test

import (
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/workload"
)

// TestKilledMidStreamLosesAndDoublesNothing kills serve with SIGKILL twice
// and stops it with SIGTERM once while a runner publishes, restarts it on the
// same data directory each time, and compares the final counters, events and disable commands with the model.
func TestKilledMidStreamLosesAndDoublesNothing(t *testing.T) {
	const disableAfter = 5
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 42, Integrations: 40, Outcomes: 3000, FailRate: 0.3, Broken: 0.15, ResendRate: 0.03})
	model := w.Model(pol)
	dir, listen := t.TempDir(), FreePort(t)
	flags := []string{"--policy", polFile}
	s := StartServe(t, dir, listen, flags...)

	r := StartRunner(t, s.URL, w.Outcomes, 3*time.Minute)
	// Two crashes, then a clean stop, each under load and followed by a restart.
	for i, at := range []int64{1000, 2000, 2500} {
		r.WaitSent(at)
		if i < 2 {
			s.Kill()
			t.Logf("killed serve (pid %d) after %d outcomes", s.PID(), r.Sent())
		} else if err := s.Terminate(30 * time.Second); err != nil {
			t.Fatalf("SIGTERM under load: %v", err)
		} else {
			t.Logf("stopped serve (pid %d) with SIGTERM after %d outcomes; it exited 0", s.PID(), r.Sent())
		}
		s = StartServe(t, dir, listen, flags...)
	}
	r.Wait()
	nc := r.NC

	checkModel(t, nc, model)
	t.Logf("%d outcomes (%d stored with retries), %d events expected and found; 2 kills, 1 SIGTERM", len(w.Outcomes), len(Stored(t, nc, store.StreamRuns)), len(model.Events))
	if err := s.Terminate(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
