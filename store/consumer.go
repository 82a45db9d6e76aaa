package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Msg is a stored message.
type Msg struct {
	Stream  string
	Subject string
	Seq     uint64
	// Time is when the stream stored the message.
	Time   time.Time
	Data   []byte
	Header nats.Header
}

// Delivery is a message handed to a Handler by a consumer. The handler must
// Ack it only once its effects are durable; an unacknowledged delivery comes
// back after AckWait.
type Delivery struct {
	Msg
	// NumDelivered counts deliveries of this message, 1 the first time.
	NumDelivered uint64
	// PinID is the pin the server delivered this message under.
	PinID string
	// Epoch is the pin and the interruptions of the subscription seen
	// before this delivery (a consumer leader change, missed heartbeats):
	// deliveries of one epoch come in stream order, except redeliveries.
	// A new consumer leader may keep the pin but not the order: it goes on
	// with new messages and redelivers what its predecessor had handed out
	// only after AckWait.
	Epoch Epoch
	m     jetstream.Msg
}

// Epoch names a delivery epoch of a subscription: the pin the server
// delivered under and how many interruptions came before. It is
// comparable, so it can key a map.
type Epoch struct {
	Pin string
	N   uint64
}

// String is the epoch for a log line: "pin#n".
func (e Epoch) String() string { return e.Pin + "#" + strconv.FormatUint(e.N, 10) }

// Ack acknowledges the delivery.
func (d *Delivery) Ack() error { return d.m.Ack() }

// InProgress resets the delivery's AckWait while a slow step is retried.
func (d *Delivery) InProgress() error { return d.m.InProgress() }

// Handler receives deliveries, in stream order, from one goroutine.
type Handler func(*Delivery)

// Subscription is a running consumer.
type Subscription struct {
	cc       jetstream.ConsumeContext
	stream   jetstream.Stream
	cons     jetstream.Consumer
	consumer string
	filters  []string
}

// Position returns the consumer's ack floor (every message at or below it
// was acknowledged) and the last stream sequence it delivered.
func (s *Subscription) Position(ctx context.Context) (ackFloor, delivered uint64, err error) {
	info, err := s.cons.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("consumer %s position: %w", s.consumer, err)
	}
	return info.AckFloor.Stream, info.Delivered.Stream, nil
}

// Range returns the messages the subscription's consumer filters for, with
// stream sequences after after and up to through, in stream order. It reads
// from the stream leader, in one pass however many there are, and fails
// rather than return a range it cannot show is whole: a pull that went
// unanswered looks the same as the end of the stream.
func (s *Subscription) Range(ctx context.Context, after, through uint64) ([]Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var out []Msg
	err := s.Scan(ctx, after, time.Time{}, through, func(m Msg) error {
		out = append(out, m)
		return nil
	})
	return out, err
}

// Scan calls fn, in stream order, with each message the subscription's
// consumer filters for whose stream sequence is after after and up to
// through; when since is set it starts instead at the first message stored
// at or after since. It reads as Range does, without collecting, and runs
// until it is through or ctx ends; fn's error stops it and is returned.
func (s *Subscription) Scan(ctx context.Context, after uint64, since time.Time, through uint64, fn func(Msg) error) error {
	if through <= after {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: s.filters, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1}
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, 0, &since
	}
	c, err := s.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("read %s from %d: %w", s.consumer, after+1, err)
	}
	if info := c.CachedInfo(); info != nil && info.NumPending == 0 {
		// Nothing stored from the start on: a start by time has no
		// sequence for noneStored to begin at.
		return nil
	}
	it, err := c.Messages()
	if err != nil {
		return fmt.Errorf("read %s from %d: %w", s.consumer, after+1, err)
	}
	defer it.Stop()
	name := s.stream.CachedInfo().Config.Name
	next := after + 1
	for {
		m, err := it.Next(jetstream.NextMaxWait(rangeQuiet))
		if errors.Is(err, nats.ErrTimeout) {
			done, err := s.noneStored(ctx, next, through)
			if err != nil || done {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s from %d: %w", s.consumer, next, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("read %s: %w", s.consumer, err)
		}
		if md.Sequence.Stream > through {
			return nil
		}
		if err := fn(Msg{Stream: name, Subject: m.Subject(), Seq: md.Sequence.Stream, Time: md.Timestamp, Data: m.Data(), Header: m.Headers()}); err != nil {
			return err
		}
		next = md.Sequence.Stream + 1
		if md.Sequence.Stream == through || md.NumPending == 0 {
			return nil
		}
	}
}

// rangeQuiet is how long Range waits for a message before asking the stream
// whether one is still to come.
const rangeQuiet = 200 * time.Millisecond

// noneStored reports whether no message on the subscription's filters is
// stored from sequence from up to through; it fails once ctx ends.
func (s *Subscription) noneStored(ctx context.Context, from, through uint64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("read %s from %d: messages up to %d are stored but were not delivered: %w", s.consumer, from, through, err)
	}
	for _, f := range s.filters {
		m, err := s.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(f))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("read %s from %d: %w", s.consumer, from, err)
		}
		if m.Sequence <= through {
			return false, nil
		}
	}
	return true, nil
}

// Stop stops pulling and waits until the handler has returned for every
// message already pulled, or ctx ends.
func (s *Subscription) Stop(ctx context.Context) {
	s.cc.Drain()
	select {
	case <-s.cc.Closed():
	case <-ctx.Done():
		s.cc.Stop()
	}
}

// Unpin releases the consumer's pin, so that the server hands it to another
// replica at once rather than after the pinned TTL. ours are the pin ids
// this subscription was delivered under: a pin that is none of them already
// belongs to the next replica and is left alone. With none known, the pin is
// released whoever holds it.
func (s *Subscription) Unpin(ctx context.Context, ours []string) error {
	info, err := s.cons.Info(ctx)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unpin %s: %w", s.consumer, err)
	}
	for _, g := range info.PriorityGroups {
		if g.Group == PriorityGroup && (g.PinnedClientID == "" || len(ours) > 0 && !slices.Contains(ours, g.PinnedClientID)) {
			return nil
		}
	}
	err = s.stream.UnpinConsumer(ctx, s.consumer, PriorityGroup)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("unpin %s: %w", s.consumer, err)
	}
	return nil
}

// ConsumePartition delivers the outcomes and enable commands of partition p,
// in stream order. Replicas may all call it: the consumer's pinned priority
// group delivers to one of them at a time.
func (s *Store) ConsumePartition(ctx context.Context, p int, h Handler) (*Subscription, error) {
	return s.consume(ctx, ConsumerPartitionPrefix+strconv.Itoa(p), "Applies the outcomes and enables of partition "+strconv.Itoa(p)+".", []string{s.subj.Partition(p)}, h)
}

// ConsumeUnpartitioned delivers the messages stored on malformed subjects.
func (s *Store) ConsumeUnpartitioned(ctx context.Context, h Handler) (*Subscription, error) {
	return s.consume(ctx, ConsumerUnpartitioned, "Dead-letters messages on malformed subjects.", []string{s.subj.Runs(), s.subj.Unpartitioned()}, h)
}

// MaxDeliveries is a message JetStream gave up delivering.
type MaxDeliveries struct {
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// ConsumeMaxDeliveries delivers the max-deliveries advisories of the
// partition consumers, decoded, with the message each one names (Msg.Data
// empty when it is gone from the stream).
func (s *Store) ConsumeMaxDeliveries(ctx context.Context, h func(*Delivery, MaxDeliveries, Msg)) (*Subscription, error) {
	return s.consumeStream(ctx, s.advisories, ConsumerAdvisories, "Dead-letters what JetStream gave up delivering.", nil, func(d *Delivery) {
		var a MaxDeliveries
		if err := json.Unmarshal(d.Data, &a); err != nil || a.StreamSeq == 0 {
			s.log.Warnw("unreadable max-deliveries advisory, skipped", "seq", d.Seq)
			_ = d.Ack()
			return
		}
		m := Msg{Stream: StreamRuns, Seq: a.StreamSeq}
		gctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		raw, err := s.runs.GetMsg(gctx, a.StreamSeq)
		switch {
		case err == nil:
			m.Subject, m.Time, m.Data, m.Header = raw.Subject, raw.Time, raw.Data, raw.Header
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			// Not read now: the advisory comes back after AckWait.
			s.log.Warnw("message of a max-deliveries advisory unreadable, will retry", "seq", a.StreamSeq, "error", err)
			return
		}
		h(d, a, m)
	})
}

func (s *Store) consume(ctx context.Context, durable, desc string, filters []string, h Handler) (*Subscription, error) {
	return s.consumeStream(ctx, s.runs, durable, desc, filters, h)
}

func (s *Store) consumeStream(ctx context.Context, stream jetstream.Stream, durable, desc string, filters []string, h Handler) (*Subscription, error) {
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:        durable,
		Description:    desc,
		FilterSubjects: filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        s.cfg.AckWait,
		MaxAckPending:  s.cfg.MaxAckPending,
		// Failures that are not the input's are retried in place by the
		// handler; MaxDeliver only catches what waited behind one for long.
		MaxDeliver:     s.cfg.MaxDeliver,
		Replicas:       s.cfg.Replicas,
		PriorityGroups: []string{PriorityGroup},
		PriorityPolicy: jetstream.PriorityPolicyPinned,
		PinnedTTL:      s.cfg.PinnedTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", durable, err)
	}
	name := stream.CachedInfo().Config.Name
	var interruptions atomic.Uint64
	var lastConsumerSeq uint64
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			s.log.Warnw("delivery without metadata, leaving it for redelivery", "subject", m.Subject())
			return
		}
		// Every delivery, redeliveries too, takes the next consumer sequence,
		// so a gap means deliveries were lost on the way (a consumer leader
		// that died with them in flight, say): they come back after AckWait,
		// behind newer ones, so what follows is a new epoch.
		if lastConsumerSeq != 0 && md.Sequence.Consumer != lastConsumerSeq+1 {
			interruptions.Add(1)
		}
		lastConsumerSeq = md.Sequence.Consumer
		pin := m.Headers().Get("Nats-Pin-Id")
		h(&Delivery{
			Msg:          Msg{Stream: name, Subject: m.Subject(), Seq: md.Sequence.Stream, Time: md.Timestamp, Data: m.Data(), Header: m.Headers()},
			NumDelivered: md.NumDelivered,
			PinID:        pin,
			Epoch:        Epoch{Pin: pin, N: interruptions.Load()},
			m:            m,
		})
	}, jetstream.PullPriorityGroup(PriorityGroup), jetstream.PullMaxMessages(256),
		// A frozen replica's pull request must not outlive its pin by much:
		// the server keeps delivering to a waiting request.
		jetstream.PullExpiry(max(time.Second, s.cfg.PinnedTTL/2)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			// nats.go reports these from the goroutine that hands out the
			// deliveries, so every later delivery is of a new epoch.
			interruptions.Add(1)
			if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				s.log.Debugw("consumer", "consumer", durable, "error", err)
				return
			}
			s.log.Warnw("consumer error", "consumer", durable, "error", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", durable, err)
	}
	return &Subscription{cc: cc, stream: stream, cons: cons, consumer: durable, filters: filters}, nil
}

// NextRun returns the first stored outcome or enable command of
// integrationID at or after stream sequence from, or ErrNotFound.
func (s *Store) NextRun(ctx context.Context, integrationID string, from uint64) (Msg, error) {
	if from == 0 {
		from = 1
	}
	raw, err := s.runs.GetMsg(ctx, from, jetstream.WithGetMsgSubject(s.subj.PartitionedOf(integrationID)))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Msg{}, ErrNotFound
	}
	if err != nil {
		return Msg{}, fmt.Errorf("next run of %s from %d: %w", integrationID, from, err)
	}
	return Msg{Stream: StreamRuns, Subject: raw.Subject, Seq: raw.Sequence, Time: raw.Time, Data: raw.Data, Header: raw.Header}, nil
}

// opTimeout bounds one store call made on behalf of a delivery.
const opTimeout = 10 * time.Second
