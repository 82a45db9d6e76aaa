package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// modelFromStream replays INTEGRATION_RUNS in stored order, outcomes and
// enables alike, into a fresh model: the order the processor must follow.
func modelFromStream(t *testing.T, nc *nats.Conn, pol *policy.Resolved) (*workload.Model, int) {
	t.Helper()
	m := workload.NewModel(pol)
	sub := subjects.Default()
	enables := 0
	for _, msg := range Stored(t, nc, store.StreamRuns) {
		pm, err := sub.ParsePartitioned(msg.Subject)
		if err != nil {
			continue
		}
		if pm.Kind == subjects.StoredEnable {
			m.Enable(pm.IntegrationID)
			enables++
			continue
		}
		if o, err := subjects.DecodeOutcome(pm.IntegrationID, msg.Data); err == nil {
			m.Apply(o)
		}
	}
	return m, enables
}

// TestEnablesAndActionsRaceWithOutcomes runs two replicas while a runner
// publishes outcomes, operators enable the same integrations (through the
// API and as raw commands) and action their events, all at once. The final
// state must equal the model replayed from the stream's own order, and every
// actioned event must have exactly one acknowledgement.
func TestEnablesAndActionsRaceWithOutcomes(t *testing.T) {
	const disableAfter = 4
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	srv := StartServer(t)
	flags := []string{"--nats-url", srv.ClientURL(), "--policy", polFile}
	StartServe(t, t.TempDir(), "127.0.0.1:0", flags...)
	StartServe(t, t.TempDir(), "127.0.0.1:0", flags...)
	nc := Connect(t, srv.ClientURL())
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 5, Integrations: 12, Outcomes: 3000, FailRate: 0.6, Broken: 0.4, ResendRate: 0.02})
	ids := map[string]bool{}
	for _, o := range w.Outcomes {
		ids[o.IntegrationID] = true
	}
	var integrations []string
	for id := range ids {
		integrations = append(integrations, id)
	}
	var published atomic.Bool
	var wg sync.WaitGroup
	var rawEnables, apiEnables, actioned atomic.Int64
	errs := make(chan error, 3)
	wg.Add(3)
	runner := StartRunner(t, srv.ClientURL(), w.Outcomes, 3*time.Minute)
	go func() {
		runner.Wait()
		published.Store(true)
	}()
	enabler := func(seed uint64, raw bool) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 2))
		for !published.Load() {
			id := integrations[r.IntN(len(integrations))]
			if raw {
				b, _ := json.Marshal(subjects.EnableCommand{IntegrationID: id, EnabledBy: "raw"})
				if _, err := js.Publish(ctx, subjects.Default().Enable(id), b); err != nil {
					errs <- err
					return
				}
				rawEnables.Add(1)
				time.Sleep(2 * time.Millisecond)
				continue
			}
			if _, err := API(nc).EnableIntegration(ctx, subjects.EnableIntegrationRequest{IntegrationID: id, EnabledBy: "api"}); err == nil {
				apiEnables.Add(1)
			} else if !errors.Is(err, operator.ErrNotFound) {
				errs <- fmt.Errorf("enable %s: %w", id, err)
				return
			}
		}
	}
	go enabler(1, true)  // operators publishing enable commands
	go enabler(2, false) // operators enabling through the API
	go func() {          // operators actioning what they see
		defer wg.Done()
		for !published.Load() {
			page, err := API(nc).ListEvents(ctx, subjects.ListEventsRequest{PageSize: 10})
			if err != nil {
				errs <- fmt.Errorf("list: %w", err)
				return
			}
			var ids []string
			for _, r := range page.Data {
				ids = append(ids, r.ID)
			}
			if len(ids) == 0 {
				continue
			}
			// Two operators action the same page at once.
			var both sync.WaitGroup
			for range 2 {
				both.Add(1)
				go func() {
					defer both.Done()
					resp, err := API(nc).ActionEvents(ctx, subjects.ActionEventsRequest{IDs: ids, ActionedBy: "ops"})
					if err != nil {
						errs <- fmt.Errorf("action: %w", err)
						return
					}
					actioned.Add(int64(len(resp.Actioned)))
				}()
			}
			both.Wait()
		}
	}()
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}

	// Every enable published must have been sourced before replaying.
	var model *workload.Model
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		var enables int
		model, enables = modelFromStream(t, nc, pol)
		if want := int(rawEnables.Load() + apiEnables.Load()); enables != want {
			return fmt.Errorf("%d of %d enables in INTEGRATION_RUNS", enables, want)
		}
		return nil
	})
	checkModel(t, nc, model)

	acks := map[string]int{}
	for _, m := range Stored(t, nc, store.StreamEvents) {
		if strings.Contains(m.Subject, ".actioned.") {
			var ce struct {
				Data subjects.Actioned `json:"data"`
			}
			if err := json.Unmarshal(m.Data, &ce); err != nil {
				t.Fatal(err)
			}
			acks[ce.Data.EventID]++
		}
	}
	for id, n := range acks {
		if n != 1 {
			t.Errorf("event %s has %d acknowledgements", id, n)
		}
	}
	if len(acks) != int(actioned.Load()) {
		t.Errorf("%d events reported actioned, %d acknowledgements stored", actioned.Load(), len(acks))
	}
	t.Logf("%d outcomes, %d raw and %d API enables, %d events actioned by two racing operators; state equals the replayed model",
		len(w.Outcomes), rawEnables.Load(), apiEnables.Load(), actioned.Load())
}
