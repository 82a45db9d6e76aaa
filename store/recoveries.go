package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ConsumerRecoveries names the durable consumer of the integration.recovered
// events, which auto-actions the streaks they end.
const ConsumerRecoveries = "integration-events-recoveries"

// Retry hands the delivery back to be delivered again after delay, to this
// or another replica.
func (d *Delivery) Retry(delay time.Duration) error { return d.m.NakWithDelay(delay) }

// ConsumeRecoveries delivers the integration.recovered events of
// INTEGRATION_EVENTS (<root>.events.recovered.*), from the first stored
// on, to h. Every replica may call it: the durable consumer shares the
// events out, each to one of them at a time, and redelivers one left
// unacknowledged for AckWait (a handler that works longer reports
// InProgress) or handed back with Retry. JetStream never gives up on one.
func (s *Store) ConsumeRecoveries(ctx context.Context, h Handler) (*Subscription, error) {
	filters := []string{s.subj.EventFilter(subjects.KindRecovered, "")}
	cons, err := s.events.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:        ConsumerRecoveries,
		Description:    "Marks the error and warning events of a streak actioned when its recovery says so (autoActionOnRecovery).",
		FilterSubjects: filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        s.cfg.AckWait,
		MaxAckPending:  s.cfg.MaxAckPending,
		MaxDeliver:     -1,
		Replicas:       s.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", ConsumerRecoveries, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			s.log.Warnw("delivery without metadata, leaving it for redelivery", "subject", m.Subject())
			return
		}
		h(&Delivery{
			Msg:          Msg{Stream: StreamEvents, Subject: m.Subject(), Seq: md.Sequence.Stream, Time: md.Timestamp, Data: m.Data(), Header: m.Headers()},
			NumDelivered: md.NumDelivered,
			m:            m,
		})
	}, // One at a time: a buffered event would wait out its AckWait behind a
		// long streak and be handed to another replica as well.
		jetstream.PullMaxMessages(1),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				s.log.Debugw("consumer", "consumer", ConsumerRecoveries, "error", err)
				return
			}
			s.log.Warnw("consumer error", "consumer", ConsumerRecoveries, "error", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", ConsumerRecoveries, err)
	}
	return &Subscription{cc: cc, stream: s.events, cons: cons, consumer: ConsumerRecoveries, filters: filters}, nil
}
