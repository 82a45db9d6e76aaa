package test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// waitSplit waits until the replicas hold disjoint sets of partitions that
// together cover all of them, each holding its fair share.
func waitSplit(t *testing.T, partitions int, replicas ...*Serve) {
	t.Helper()
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		seen := map[int]bool{}
		var shares []string
		for _, r := range replicas {
			held := r.Partitions()
			if n := len(held); n < partitions/len(replicas) || n > (partitions+len(replicas)-1)/len(replicas) {
				return fmt.Errorf("replica %d holds %d partitions", r.PID(), n)
			}
			for p := range held {
				if seen[p] {
					return fmt.Errorf("partition %d held twice", p)
				}
				seen[p] = true
			}
			shares = append(shares, fmt.Sprint(sortedKeys(held)))
		}
		if len(seen) != partitions {
			return fmt.Errorf("%d of %d partitions held: %s", len(seen), partitions, strings.Join(shares, " "))
		}
		return nil
	})
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// probeIn returns an integration id that falls in partition p.
func probeIn(p, partitions int, tag string) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("probe-%s-%d", tag, i)
		if subjects.PartitionOf(id, partitions) == p {
			return id
		}
	}
}

// TestReplicasSplitPartitionsAndFailOver runs two replicas on a 3-node
// cluster, kills one with SIGKILL under load and measures how long its
// partitions take to be processed again, adds a third replica without
// restarting the others, stops one with SIGTERM, and compares the final state
// with the model.
func TestReplicasSplitPartitionsAndFailOver(t *testing.T) {
	const disableAfter, partitions = 5, 8
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	c := StartCluster(t, 3)
	flags := []string{"--nats-url", c.URLs(), "--replicas", "3", "--policy", polFile}
	start := func() *Serve { return StartServe(t, t.TempDir(), "127.0.0.1:0", flags...) }
	a := start()
	b := start()
	waitSplit(t, partitions, a, b)

	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 11, Integrations: 200, Outcomes: 3000, FailRate: 0.3, Broken: 0.1, ResendRate: 0.03})
	r := StartRunner(t, c.URLs(), w.Outcomes, 4*time.Minute)
	nc, js := r.NC, r.JS
	model := w.Model(pol)

	// Kill a: its partitions must be processed again by b within 10 s.
	r.WaitSent(800)
	victim := sortedKeys(a.Partitions())[0]
	probe := probeIn(victim, partitions, "kill")
	killed := time.Now()
	a.Kill()
	if err := r.Publish(workload.Failed(probe, "probe-1", subjects.StagePerform, 500)); err != nil {
		t.Fatal(err)
	}
	model.Apply(workload.Failed(probe, "probe-1", subjects.StagePerform, 500))
	WaitCounter(t, nc, probe, Streak(1, false))
	failover := time.Since(killed)
	t.Logf("SIGKILL of one replica: partition %d processed again after %s", victim, failover.Round(time.Millisecond))
	if failover > 10*time.Second {
		t.Errorf("fail-over took %s, over 10s", failover)
	}
	waitSplit(t, partitions, b)

	// Add c: it takes half the partitions over while b keeps running.
	r.WaitSent(1600)
	cc := start()
	waitSplit(t, partitions, b, cc)
	t.Logf("third replica took %d partitions", len(cc.Partitions()))

	// SIGTERM b: a clean hand-over to c.
	r.WaitSent(2400)
	handed := time.Now()
	if err := b.Terminate(40 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	waitSplit(t, partitions, cc)
	t.Logf("SIGTERM hand-over: replica c holds all partitions %s after the signal", time.Since(handed).Round(time.Millisecond))

	r.Wait()
	checkModel(t, nc, model)
	info, err := js.Stream(context.Background(), store.StreamRuns)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d outcomes published, %d stored messages (with retries and enables), 1 SIGKILL, 1 SIGTERM, 1 replica added", len(w.Outcomes)+1, info.CachedInfo().State.Msgs)
}

// TestReplicasCrashRepeatedly kills a replica with SIGKILL four times under
// load, alternating between two, restarting each at once, on a 3-node
// cluster; the final state must equal the model.
func TestReplicasCrashRepeatedly(t *testing.T) {
	const disableAfter = 5
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	c := StartCluster(t, 3)
	flags := []string{"--nats-url", c.URLs(), "--replicas", "3", "--policy", polFile}
	start := func() *Serve { return StartServe(t, t.TempDir(), "127.0.0.1:0", flags...) }
	replicas := []*Serve{start(), start()}

	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 23, Integrations: 300, Outcomes: 5000, FailRate: 0.3, Broken: 0.1, ResendRate: 0.03})
	r := StartRunner(t, c.URLs(), w.Outcomes, 4*time.Minute)
	kills := 0
	for _, at := range []int64{800, 1800, 2800, 3800} {
		r.WaitSent(at)
		i := kills % 2
		replicas[i].Kill()
		kills++
		replicas[i] = start()
	}
	r.Wait()
	checkModel(t, r.NC, w.Model(pol))
	waitSplit(t, store.DefaultPartitions, replicas...)
	t.Logf("%d outcomes, %d SIGKILLs of replicas under load: state equals the model", len(w.Outcomes), kills)
}

// TestStalledReplicaIsFailedOver freezes one of two replicas with SIGSTOP
// under load: the other must take its partitions over and process them;
// after SIGCONT the frozen one resumes with stale copies and queued
// deliveries, the replicas split again, and the state equals the model.
func TestStalledReplicaIsFailedOver(t *testing.T) {
	const disableAfter, partitions = 5, 8
	polFile, pol := WritePolicy(t, SuitePolicy(disableAfter))
	c := StartCluster(t, 3)
	flags := []string{"--nats-url", c.URLs(), "--replicas", "3", "--policy", polFile}
	a := StartServe(t, t.TempDir(), "127.0.0.1:0", flags...)
	b := StartServe(t, t.TempDir(), "127.0.0.1:0", flags...)
	waitSplit(t, partitions, a, b)
	w := workload.NewWorkload(workload.WorkloadConfig{Seed: 31, Integrations: 200, Outcomes: 4000, FailRate: 0.3, Broken: 0.1, ResendRate: 0.03})
	r := StartRunner(t, c.URLs(), w.Outcomes, 4*time.Minute)
	model := w.Model(pol)

	r.WaitSent(1000)
	frozen := sortedKeys(a.Partitions())[0]
	probe := probeIn(frozen, partitions, "stall")
	a.Pause()
	paused := time.Now()
	if err := r.Publish(workload.Failed(probe, "probe-1", subjects.StagePerform, 500)); err != nil {
		t.Fatal(err)
	}
	model.Apply(workload.Failed(probe, "probe-1", subjects.StagePerform, 500))
	WaitCounter(t, r.NC, probe, Streak(1, false))
	t.Logf("SIGSTOP of one replica: partition %d processed by the other after %s", frozen, time.Since(paused).Round(time.Millisecond))
	// What the frozen replica was handed comes back after the ack wait (6 s)
	// to the replica pinned after the frozen one's pin expired (5 s).
	if d := time.Since(paused); d > 15*time.Second {
		t.Errorf("stall fail-over took %s, over 15s", d)
	}
	r.WaitSent(2500)
	a.Resume()
	r.Wait()
	checkModel(t, r.NC, model)
	waitSplit(t, partitions, a, b)
}
