package processor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config configures the pipeline.
type Config struct {
	// Policy is the disable policy; nil means policy.Default().
	Policy *policy.Resolved
	// Batch is the most deliveries of one partition applied together: their
	// writes are sent at once and awaited together, one round trip per step.
	Batch int
	// RetryMin and RetryMax bound the backoff of a step that failed for a
	// reason other than its input; the step is retried in place, never
	// skipped.
	RetryMin, RetryMax time.Duration
	// Heartbeat is how often the replica renews its membership and
	// rebalances partitions.
	Heartbeat time.Duration
	// ReleaseTimeout bounds how long a replica waits for its workers to
	// finish a partition it hands over.
	ReleaseTimeout time.Duration
	// BatchTimeout bounds a batch's rounds of writes; a batch not through
	// by then is applied one delivery at a time, whose retries keep each
	// delivery in progress. It must be under the ack wait, or JetStream
	// redelivers a slow batch while it is being applied.
	BatchTimeout time.Duration
}

// DefaultBatch is the default of Config.Batch: as many as the deliveries a
// partition has in flight by default.
const DefaultBatch = 256

// DefaultBatchTimeout is the default of Config.BatchTimeout, under the
// default ack wait (6s) with room for the fall-back.
const DefaultBatchTimeout = 3 * time.Second

// DefaultConfig returns the pipeline defaults.
func DefaultConfig() Config { return Config{}.WithDefaults() }

// WithDefaults returns c with every unset field at its default, as
// NewPipeline uses it.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Policy == nil {
		c.Policy = policy.MustResolve(policy.Default())
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.RetryMin == 0 {
		c.RetryMin = 50 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5 * time.Second
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Second
	}
	if c.ReleaseTimeout == 0 {
		c.ReleaseTimeout = 10 * time.Second
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
}

// Validate reports the first setting that cannot work, by the name of its
// flag (batch, batch-timeout, heartbeat); the policy is validated when it is
// resolved.
func (c *Config) Validate() error {
	switch {
	case c.Batch < 1 || c.Batch > 4096:
		return fmt.Errorf("batch %d must be 1 to 4096", c.Batch)
	case c.BatchTimeout < 100*time.Millisecond:
		return fmt.Errorf("batch-timeout %s is under 100ms", c.BatchTimeout)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return errors.New("retry backoff must be positive with max >= min")
	case c.Heartbeat < 100*time.Millisecond:
		return fmt.Errorf("heartbeat %s is under 100ms", c.Heartbeat)
	case c.ReleaseTimeout <= 0:
		return errors.New("release timeout must be positive")
	}
	return nil
}

// Pipeline applies run outcomes and enable commands, publishing the events
// and disable commands they raise.
//
// INTEGRATION_RUNS is split into partitions by integration. Replicas agree on
// who owns which partition from the membership heartbeats (rebalance.go), and
// each consumes the partitions it owns; the consumers' pinned priority group
// makes sure the server delivers a partition to one replica at a time even
// while replicas disagree. A partition has its own worker (batch.go), which
// takes what was delivered in batches and applies each batch along one path
// (apply.go): it gathers the inputs in stream order (with the messages an
// earlier holder left, to catch up), looks up the resends among them
// (resend.go), plans each on a copy of its counter with the pure planner
// (plan.go, composing the streak state machine of streak.go), and stores the
// plans (execute.go): dead letters, then events and disable commands, index
// entries and counters in one round of writes each, then counts and logs
// what is stored. The batch is acknowledged at the end. A batch that fails
// is applied again one delivery at a time along the same path, each retried
// until it succeeds. A message that cannot be applied stalls its
// partition, never the other partitions.
type Pipeline struct {
	cfg  Config
	st   *store.Store
	subj subjects.Subjects
	log  *zap.SugaredLogger
	// core is log's, to check a level before building a line's fields.
	core zapcore.Core
	// metrics counts what the pipeline applies; nil counts nothing.
	metrics *metrics.Metrics
	id      string
	parts   []*partition
	// releases tracks partitions being handed over.
	releases sync.WaitGroup

	unpartitioned *store.Subscription
	undelivered   *store.Subscription
	stopping      chan struct{}
	coordinated   chan struct{}
	stopOnce      sync.Once
	// hard ends every retry: a stop that ran out of time.
	hard       context.Context
	hardCancel context.CancelFunc
}

// NewPipeline returns a pipeline over st. Start runs it.
func NewPipeline(cfg Config, st *store.Store, logger *zap.Logger) (*Pipeline, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline config: %w", err)
	}
	if err := cfg.CheckLimits(st.Config()); err != nil {
		return nil, fmt.Errorf("pipeline config: %w", err)
	}
	hard, cancel := context.WithCancel(context.Background())
	id := uuid.NewString()
	p := &Pipeline{cfg: cfg, st: st, subj: st.Subjects(), log: logger.Sugar().With("replica", id[:8]), core: logger.Core(), id: id,
		stopping: make(chan struct{}), coordinated: make(chan struct{}), hard: hard, hardCancel: cancel}
	for n := range st.Partitions() {
		p.parts = append(p.parts, &partition{n: n, counted: map[string]uint64{}})
	}
	return p, nil
}

// SetMetrics makes the pipeline count what it applies in m. Call it before
// Start.
func (p *Pipeline) SetMetrics(m *metrics.Metrics) {
	p.metrics = m
	m.WatchResendWindow(p.RunsInResendWindow)
}

// Start joins the replicas, takes this replica's share of the partitions,
// and keeps the share balanced until Stop.
func (p *Pipeline) Start(ctx context.Context) error {
	var err error
	if p.unpartitioned, err = p.st.ConsumeUnpartitioned(ctx, p.rejectMalformed); err == nil {
		if p.undelivered, err = p.st.ConsumeMaxDeliveries(ctx, p.deadLetterUndelivered); err == nil {
			err = p.rebalance(ctx)
		}
	}
	if err != nil {
		close(p.coordinated)
		p.Stop(ctx)
		return err
	}
	go p.coordinate()
	return nil
}

// Stop leaves the replicas, stops consuming, finishes what was delivered, and
// unpins its partitions so the others take them over at once. When ctx ends
// first, unfinished deliveries are left unacknowledged, for redelivery. Stop
// is safe to call more than once.
func (p *Pipeline) Stop(ctx context.Context) {
	p.stopOnce.Do(func() { p.stop(ctx) })
}

func (p *Pipeline) stop(ctx context.Context) {
	close(p.stopping)
	<-p.coordinated
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := p.st.Leave(lctx, p.id); err != nil {
		p.log.Warnw("leave failed; the others wait for the heartbeat to expire", "error", err)
	}
	cancel()
	for _, sub := range []*store.Subscription{p.unpartitioned, p.undelivered} {
		if sub != nil {
			sub.Stop(ctx)
		}
	}
	for _, part := range p.parts {
		p.release(ctx, part)
	}
	p.releases.Wait()
	p.hardCancel()
}

// inProgressEvery is how often a delivery being retried is marked in
// progress, below the shortest AckWait allowed.
const inProgressEvery = 250 * time.Millisecond

// settle runs step until it succeeds, backing off between tries, then acks.
// It gives up, leaving the delivery for redelivery, only when stop ends.
func (p *Pipeline) settle(stop context.Context, d *store.Delivery, step func(context.Context) error) {
	backoff := p.cfg.RetryMin
	for {
		ctx, cancel := context.WithTimeout(stop, 10*time.Second)
		err := step(ctx)
		cancel()
		if err == nil {
			break
		}
		if stop.Err() != nil {
			return
		}
		p.log.Warnw("step failed, retrying", p.deliveryFields(d, "seq", d.Seq, "retryIn", backoff, "error", err)...)
		// Keep the delivery ours while waiting, however short AckWait is.
		for wait := backoff; wait > 0; wait -= inProgressEvery {
			_ = d.InProgress()
			select {
			case <-time.After(min(wait, inProgressEvery)):
			case <-stop.Done():
				return
			}
		}
		backoff = min(backoff*2, p.cfg.RetryMax)
	}
	p.ack(d)
}

// ack acknowledges d; a failed ack only costs a redelivery, skipped then.
func (p *Pipeline) ack(d *store.Delivery) {
	if err := d.Ack(); err != nil {
		p.log.Warnw("ack failed; the message will be redelivered and skipped", p.deliveryFields(d, "seq", d.Seq, "error", err)...)
	}
}

// rejectMalformed dead-letters a message whose subject names no valid
// integration: there is nothing to order it by.
func (p *Pipeline) rejectMalformed(d *store.Delivery) {
	orig := p.subj.OriginalOf(d.Subject)
	prefix := p.subj.RunsPrefix()
	if strings.HasPrefix(orig, p.subj.EnablePrefix()) {
		prefix = p.subj.EnablePrefix()
	}
	_, reason := subjects.IntegrationFrom(orig, prefix)
	if reason == nil {
		reason = fmt.Errorf("%w: %q is not a subject of the contract", subjects.ErrBadSubject, orig)
	}
	p.settle(p.hard, d, func(ctx context.Context) error { return p.deadLetter(ctx, d.Msg, reason) })
}

// deadLetterUndelivered records a message JetStream gave up delivering, so
// that nothing is dropped silently. It usually waited behind a message whose
// step kept failing; if that step later succeeds, the message is applied too
// and the record says what happened on the way.
func (p *Pipeline) deadLetterUndelivered(d *store.Delivery, a store.MaxDeliveries, m store.Msg) {
	reason := undelivered(a)
	if m.Subject == "" {
		m.Subject = "(gone from " + store.StreamRuns + ")"
	}
	p.settle(p.hard, d, func(ctx context.Context) error { return p.deadLetter(ctx, m, reason) })
}

// deadLetter records a rejected message under the subject it was published
// on. It fails only if the record could not be stored, so the caller retries
// instead of losing the message.
func (p *Pipeline) deadLetter(ctx context.Context, m store.Msg, reason error) error {
	m.Subject = p.subj.OriginalOf(m.Subject)
	// A reason quotes the field it refuses, which may hold a credential:
	// it is logged and sent as a header, so it is redacted; the record's
	// payload keeps the raw bytes, as documented.
	why := redact.Text(reason.Error())
	stored, err := p.st.DeadLetter(ctx, m, why)
	if err != nil {
		return err
	}
	class := DeadLetterReason(reason)
	if stored {
		p.metrics.DeadLettered(class)
	}
	p.log.Warnw("message dead-lettered", p.msgFields(m, "stream", m.Stream, "seq", m.Seq, "class", class, "reason", why)...)
	return nil
}

// deliveryFields are msgFields of a delivery.
func (p *Pipeline) deliveryFields(d *store.Delivery, kv ...any) []any {
	return p.msgFields(d.Msg, kv...)
}

// msgFields are the fields of a log line about a stored message, then kv:
// its subject, redacted (an integration id may hold a credential, which
// Admit refuses), and outcomeFields when the subject names an integration.
func (p *Pipeline) msgFields(m store.Msg, kv ...any) []any {
	out := []any{"subject", redact.Text(m.Subject)}
	if pm, err := p.subj.ParsePartitioned(m.Subject); err == nil {
		out = append(out, outcomeFields(pm.IntegrationID, m.Data)...)
	} else if id, err := subjects.IntegrationFrom(p.subj.OriginalOf(m.Subject), p.subj.RunsPrefix()); err == nil {
		out = append(out, outcomeFields(id, m.Data)...)
	}
	return append(out, kv...)
}
