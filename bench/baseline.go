package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// streamBaseline is the scratch stream of the raw JetStream baseline.
const streamBaseline = "BENCH_BASELINE"

func (r *runner) baseline(ctx context.Context) error {
	// The healthy workload's payloads, made before timing starts.
	m := healthyMix("baseline", r.cfg.HealthyIntegrations)
	pool := make([][]byte, min(r.cfg.Baseline, 8192))
	for i := range pool {
		pool[i] = m.message(r.subj, i).Data
	}
	r.prog.phase("baseline", r.cfg.Baseline)
	pub, cons, err := r.rawBaseline(ctx, r.cfg.Baseline, func(i int) []byte { return pool[i%len(pool)] })
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	r.res.BaselinePublishPerSec = float64(r.cfg.Baseline) / pub.Seconds()
	r.res.BaselineConsumePerSec = float64(r.cfg.Baseline) / cons.Seconds()
	r.prog.printf("baseline: publish %s, consume %s", perSec(r.res.BaselinePublishPerSec), perSec(r.res.BaselineConsumePerSec))
	return nil
}

// rawBaseline measures raw JetStream on a scratch stream with file storage,
// as many partitions and replicas as the processor's: publishing n payloads
// made by data asynchronously, then receiving and acknowledging each one
// with a pull consumer. The stream is deleted afterwards.
func (r *runner) rawBaseline(ctx context.Context, n int, data func(i int) []byte) (publish, consume time.Duration, err error) {
	cfg := r.cfg.Store
	prefix := r.subj.Root + ".bench.baseline."
	_ = r.js.DeleteStream(ctx, streamBaseline) // left over from a run that was killed
	st, err := r.js.CreateStream(ctx, jetstream.StreamConfig{Name: streamBaseline, Subjects: []string{prefix + ">"}, Storage: jetstream.FileStorage, Replicas: cfg.Replicas})
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", streamBaseline, err)
	}
	defer func() { _ = r.js.DeleteStream(context.WithoutCancel(ctx), streamBaseline) }()
	start := time.Now()
	err = workload.Publish(ctx, r.nc, n, func(i int) *nats.Msg {
		return &nats.Msg{Subject: prefix + strconv.Itoa(i%cfg.Partitions), Data: data(i)}
	}, nil)
	if err != nil {
		return 0, 0, err
	}
	publish = time.Since(start)

	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: cfg.MaxAckPending * cfg.Partitions})
	if err != nil {
		return 0, 0, fmt.Errorf("baseline consumer: %w", err)
	}
	received := make(chan struct{})
	got := 0
	start = time.Now()
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		if got++; got == n {
			close(received)
		}
	}, jetstream.PullMaxMessages(1024))
	if err != nil {
		return 0, 0, err
	}
	defer cc.Stop()
	select {
	case <-received:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	// Done once the server has processed every acknowledgement.
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			return 0, 0, err
		}
		if info.NumAckPending == 0 && info.AckFloor.Stream == uint64(n) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return publish, time.Since(start), nil
}
