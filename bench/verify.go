package bench

import (
	"context"
	"fmt"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// snapshot is where the streams stood before a processor run.
type snapshot struct {
	runs, events, disables uint64
}

func (r *runner) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	var err error
	if s.runs, err = r.lastRunSeq(ctx); err != nil {
		return s, err
	}
	if s.events, err = r.streamCount(ctx, store.StreamEvents, r.subj.Events()); err != nil {
		return s, err
	}
	s.disables, err = r.streamCount(ctx, store.StreamCommands, r.subj.Disables())
	return s, err
}

// verify replays what the run stored through the reference model and
// compares every counter, the number of events and of disable commands with
// it. Events are de-duplicated by id, so a count equal to the model's means
// each expected event was stored once.
func (r *runner) verify(ctx context.Context, name string, before snapshot) error {
	r.prog.phase(name+": verifying", 0)
	m := workload.NewModel(r.cfg.Pipeline.Policy)
	var undecodable int
	err := r.replayRuns(ctx, before.runs, func(pm subjects.Partitioned, data []byte) {
		if pm.Kind == subjects.StoredEnable {
			m.Enable(pm.IntegrationID)
			return
		}
		o, err := subjects.DecodeOutcome(pm.IntegrationID, data)
		if err != nil {
			undecodable++
			return
		}
		m.Apply(o)
	})
	if err != nil {
		return err
	}
	var diffs []string
	found := map[string]bool{}
	err = r.counters(ctx, func(c subjects.FailureCounter) {
		if _, ok := m.Counters[c.IntegrationID]; !ok {
			return
		}
		found[c.IntegrationID] = true
		if d := m.Diff(c.IntegrationID, c); d != "" {
			diffs = append(diffs, d)
		}
	})
	if err != nil {
		return err
	}
	// An integration that never failed may have no counter stored.
	for id := range m.Counters {
		if !found[id] {
			if d := m.Diff(id, subjects.FailureCounter{IntegrationID: id}); d != "" {
				diffs = append(diffs, d+" (no counter stored)")
			}
		}
	}
	after, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	disables := 0
	for _, n := range m.Disables {
		disables += n
	}
	if got := after.events - before.events; got != uint64(len(m.Events)) {
		diffs = append(diffs, fmt.Sprintf("%d events stored, the model expects %d", got, len(m.Events)))
	}
	if got := after.disables - before.disables; got != uint64(disables) {
		diffs = append(diffs, fmt.Sprintf("%d disable commands stored, the model expects %d", got, disables))
	}
	if undecodable > 0 {
		diffs = append(diffs, fmt.Sprintf("%d stored outcomes do not decode", undecodable))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %s: %d differences, first: %s", ErrNotVerified, name, len(diffs), diffs[0])
	}
	r.prog.printf("%s: verified: %s integrations, %s events, %d disables as the model says", name, thousands(len(m.Counters)), thousands(len(m.Events)), disables)
	return nil
}
