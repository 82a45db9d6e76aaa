package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamBaseline is the scratch stream of the raw JetStream baseline.
const StreamBaseline = "BENCH_BASELINE"

// RawMsg is a message to publish as a client would.
type RawMsg struct {
	Subject string
	Data    []byte
	Header  nats.Header
	// MsgID, when set, de-duplicates the message within the stream's window.
	MsgID string
}

// asyncWindow bounds the publishes awaiting their acknowledgement.
const asyncWindow = 4096

// PublishAll publishes n messages made by next, in order, with asynchronous
// JetStream publishes, as a fast runner would, and returns once every one
// is acknowledged. next may block to pace the publishing; acked, when not
// nil, is told the i and stream sequence of each message in order.
func (s *Store) PublishAll(ctx context.Context, n int, next func(i int) RawMsg, acked func(i int, seq uint64)) error {
	js, err := jetstream.New(s.nc, jetstream.WithPublishAsyncMaxPending(asyncWindow*2))
	if err != nil {
		return err
	}
	var pending []jetstream.PubAckFuture
	done := 0
	// settle collects acknowledgements from the front, waiting only while
	// more than keep are outstanding.
	settle := func(keep int) error {
		for len(pending) > 0 {
			f := pending[0]
			var ack *jetstream.PubAck
			if len(pending) > keep {
				select {
				case ack = <-f.Ok():
				case err := <-f.Err():
					return fmt.Errorf("publish %s: %w", f.Msg().Subject, err)
				case <-ctx.Done():
					return ctx.Err()
				}
			} else {
				select {
				case ack = <-f.Ok():
				case err := <-f.Err():
					return fmt.Errorf("publish %s: %w", f.Msg().Subject, err)
				default:
					return nil
				}
			}
			pending = pending[1:]
			if acked != nil {
				acked(done, ack.Sequence)
			}
			done++
		}
		return nil
	}
	for i := range n {
		m := next(i)
		var opts []jetstream.PublishOpt
		if m.MsgID != "" {
			opts = append(opts, jetstream.WithMsgID(m.MsgID))
		}
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header}, opts...)
		if err != nil {
			return fmt.Errorf("publish %s: %w", m.Subject, err)
		}
		pending = append(pending, f)
		if err := settle(asyncWindow); err != nil {
			return err
		}
	}
	return settle(-1)
}

// Baseline measures raw JetStream on a scratch stream with file storage:
// publishing the payloads of n messages made by next asynchronously, then
// receiving and acknowledging each one with a pull consumer. The stream is
// deleted afterwards.
func (s *Store) Baseline(ctx context.Context, n int, next func(i int) RawMsg) (publish, consume time.Duration, err error) {
	prefix := s.subj.Root + ".bench.baseline."
	_ = s.js.DeleteStream(ctx, StreamBaseline) // left over from a run that was killed
	st, err := s.js.CreateStream(ctx, jetstream.StreamConfig{Name: StreamBaseline, Subjects: []string{prefix + ">"}, Storage: jetstream.FileStorage, Replicas: s.cfg.Replicas})
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", StreamBaseline, err)
	}
	defer func() { _ = s.js.DeleteStream(context.WithoutCancel(ctx), StreamBaseline) }()
	start := time.Now()
	scratch := func(i int) RawMsg {
		return RawMsg{Subject: prefix + strconv.Itoa(i%s.cfg.Partitions), Data: next(i).Data}
	}
	if err := s.PublishAll(ctx, n, scratch, nil); err != nil {
		return 0, 0, err
	}
	publish = time.Since(start)

	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: s.cfg.MaxAckPending * s.cfg.Partitions})
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

// Backlog is how many outcomes and enables the partition consumers have not
// yet had acknowledged: pending delivery plus delivered but unacknowledged
// (PartitionLag summed).
func (s *Store) Backlog(ctx context.Context) (uint64, error) {
	counts, err := s.PartitionBacklog(ctx)
	var n uint64
	for _, c := range counts {
		n += c
	}
	return n, err
}

// PartitionBacklog is Backlog of each partition, by partition number
// (PartitionLag's pending plus ack pending).
func (s *Store) PartitionBacklog(ctx context.Context) ([]uint64, error) {
	parts, err := s.PartitionLag(ctx)
	if err != nil {
		return nil, fmt.Errorf("backlog: %w", err)
	}
	counts := make([]uint64, len(parts))
	for i, p := range parts {
		counts[i] = p.Pending + uint64(p.AckPending)
	}
	return counts, nil
}

// StreamCount returns how many messages stream holds on subjects matching
// filter ("" for all of them).
func (s *Store) StreamCount(ctx context.Context, stream, filter string) (uint64, error) {
	st, err := s.js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	if filter == "" {
		info, err := st.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("stream %s: %w", stream, err)
		}
		return info.State.Msgs, nil
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

// LastRunSeq returns the last sequence of INTEGRATION_RUNS.
func (s *Store) LastRunSeq(ctx context.Context) (uint64, error) {
	info, err := s.runs.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", StreamRuns, err)
	}
	return info.State.LastSeq, nil
}

// ReplayRuns calls fn with every message of INTEGRATION_RUNS after sequence
// after, in stream order, up to the last one stored when it was called.
func (s *Store) ReplayRuns(ctx context.Context, after uint64, fn func(subjects.Partitioned, Msg)) error {
	last, err := s.LastRunSeq(ctx)
	if err != nil || last <= after {
		return err
	}
	c, err := s.runs.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1})
	if err != nil {
		return fmt.Errorf("replay %s: %w", StreamRuns, err)
	}
	it, err := c.Messages()
	if err != nil {
		return fmt.Errorf("replay %s: %w", StreamRuns, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return fmt.Errorf("replay %s: %w", StreamRuns, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		if pm, err := s.subj.ParsePartitioned(m.Subject()); err == nil {
			fn(pm, Msg{Stream: StreamRuns, Subject: m.Subject(), Seq: md.Sequence.Stream, Time: md.Timestamp, Data: m.Data()})
		}
		if md.Sequence.Stream >= last {
			return nil
		}
	}
}

// Counters calls fn with every stored failure counter.
func (s *Store) Counters(ctx context.Context, fn func(subjects.FailureCounter)) error {
	w, err := s.counters.WatchAll(ctx, jetstream.IgnoreDeletes())
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

// PublishEvents stores n events made by next, each de-duplicated by id and
// indexed as PublishEvent does, with asynchronous publishes: first the
// events, then their index entries. next must return the same event for the
// same i; asked for no body, it may leave CloudEvent empty. acked, when not
// nil, is told each event stored and indexed.
func (s *Store) PublishEvents(ctx context.Context, n int, next func(i int, body bool) StoredEvent, acked func(i int)) error {
	seqs := make([]uint64, n)
	hdr := cloudEventHeader()
	err := s.PublishAll(ctx, n, func(i int) RawMsg {
		ev := next(i, true)
		return RawMsg{Subject: s.subj.Event(ev.Kind, ev.IntegrationID), Data: ev.CloudEvent, Header: hdr, MsgID: ev.ID}
	}, func(i int, seq uint64) { seqs[i] = seq })
	if err != nil {
		return err
	}
	return s.PublishAll(ctx, n, func(i int) RawMsg {
		ev := next(i, false)
		b, _ := json.Marshal(newIndexEntry(ev, seqs[i]))
		return RawMsg{Subject: kvSubject(BucketEvents, ev.ID), Data: b, Header: expectLast(0)}
	}, func(i int, _ uint64) {
		if acked != nil {
			acked(i)
		}
	})
}
