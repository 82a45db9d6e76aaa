package bench

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// backlog is how many outcomes and enables the partition consumers have
// not yet had acknowledged, summed over the partitions.
func (r *runner) backlog(ctx context.Context) (uint64, error) {
	counts, err := r.st.PartitionBacklog(ctx)
	var n uint64
	for _, c := range counts {
		n += c
	}
	return n, err
}

// streamCount returns how many messages stream holds on subjects matching
// filter.
func (r *runner) streamCount(ctx context.Context, stream, filter string) (uint64, error) {
	st, err := r.js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n, nil
}

// lastRunSeq returns the last sequence of INTEGRATION_RUNS.
func (r *runner) lastRunSeq(ctx context.Context) (uint64, error) {
	st, err := r.js.Stream(ctx, store.StreamRuns)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", store.StreamRuns, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", store.StreamRuns, err)
	}
	return info.State.LastSeq, nil
}

// replayRuns calls fn with every partitioned message of INTEGRATION_RUNS
// after sequence after, in stream order, up to the last one stored when it
// was called.
func (r *runner) replayRuns(ctx context.Context, after uint64, fn func(pm subjects.Partitioned, data []byte)) error {
	last, err := r.lastRunSeq(ctx)
	if err != nil || last <= after {
		return err
	}
	c, err := r.js.OrderedConsumer(ctx, store.StreamRuns, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1})
	if err != nil {
		return fmt.Errorf("replay %s: %w", store.StreamRuns, err)
	}
	it, err := c.Messages()
	if err != nil {
		return fmt.Errorf("replay %s: %w", store.StreamRuns, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return fmt.Errorf("replay %s: %w", store.StreamRuns, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		if pm, err := r.subj.ParsePartitioned(m.Subject()); err == nil {
			fn(pm, m.Data())
		}
		if md.Sequence.Stream >= last {
			return nil
		}
	}
}

// counters calls fn with every stored failure counter.
func (r *runner) counters(ctx context.Context, fn func(subjects.FailureCounter)) error {
	kv, err := r.js.KeyValue(ctx, store.BucketCounters)
	if err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil {
			return nil
		}
		var c subjects.FailureCounter
		if err := json.Unmarshal(e.Value(), &c); err != nil {
			return fmt.Errorf("counter %s: %w", e.Key(), err)
		}
		fn(c)
	}
	return ctx.Err()
}
