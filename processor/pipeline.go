package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

// Config configures the pipeline.
type Config struct {
	// DisableAfter is the streak of failures that disables an integration.
	DisableAfter int
	// Lanes is how many integrations are worked on at once. The messages of
	// one integration always go to the same lane, in stream order.
	Lanes int
	// RetryMin and RetryMax bound the backoff of a step that failed for a
	// reason other than its input; the step is retried in place, never
	// skipped.
	RetryMin, RetryMax time.Duration
	// Heartbeat is how often the replica renews its membership and
	// rebalances partitions.
	Heartbeat time.Duration
	// ReleaseTimeout bounds how long a replica waits for its lanes to
	// finish a partition it hands over.
	ReleaseTimeout time.Duration
}

// DefaultConfig returns the pipeline defaults.
func DefaultConfig() Config {
	c := Config{}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.DisableAfter == 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.Lanes == 0 {
		c.Lanes = 16
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
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.DisableAfter < 1 || c.DisableAfter > 10000:
		return fmt.Errorf("disable-after %d must be 1 to 10000", c.DisableAfter)
	case c.Lanes < 1 || c.Lanes > 1024:
		return fmt.Errorf("lanes %d must be 1 to 1024", c.Lanes)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return errors.New("retry backoff must be positive with max >= min")
	case c.Heartbeat <= 0 || c.ReleaseTimeout <= 0:
		return errors.New("heartbeat and release timeout must be positive")
	}
	return nil
}

// Pipeline applies run outcomes and enable commands, publishing the events
// and disable commands they raise.
//
// INTEGRATION_RUNS is split into partitions by integration. Replicas agree on
// who owns which partition from the membership heartbeats, and each consumes
// the partitions it owns; the consumers' pinned priority group makes sure the
// server delivers a partition to one replica at a time even while replicas
// disagree. Within a replica every integration belongs to one lane, which
// applies its messages one at a time in stream order; lanes run in parallel.
type Pipeline struct {
	cfg   Config
	st    *store.Store
	subj  subjects.Subjects
	log   *zap.SugaredLogger
	id    string
	lanes []*lane
	parts []*partition
	wg    sync.WaitGroup // lanes
	// releases tracks partitions being handed over.
	releases sync.WaitGroup

	unpartitioned *store.Subscription
	stopping      chan struct{}
	coordinated   chan struct{}
	stopOnce      sync.Once
	// hard ends retries on a stop that ran out of time.
	hard       context.Context
	hardCancel context.CancelFunc
}

// partition is one partition as this replica sees it.
type partition struct {
	n int
	// gen counts acquisitions: a lane's copy of a counter loaded under an
	// older acquisition may have missed what another replica applied.
	gen      atomic.Uint64
	inflight atomic.Int64
	mu       sync.Mutex
	sub      *store.Subscription // owned and consuming
	leaving  bool                // being handed over
}

// work is one delivery for a lane.
type work struct {
	d    *store.Delivery
	m    subjects.Partitioned
	part *partition
	gen  uint64
}

// NewPipeline returns a pipeline over st. Start runs it.
func NewPipeline(cfg Config, st *store.Store, logger *zap.Logger) (*Pipeline, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline config: %w", err)
	}
	hard, cancel := context.WithCancel(context.Background())
	id := uuid.NewString()
	p := &Pipeline{cfg: cfg, st: st, subj: st.Subjects(), log: logger.Sugar().With("replica", id[:8]), id: id,
		stopping: make(chan struct{}), coordinated: make(chan struct{}), hard: hard, hardCancel: cancel}
	for range cfg.Lanes {
		p.lanes = append(p.lanes, &lane{p: p, ch: make(chan work, 256), state: map[string]*entry{}})
	}
	for n := range st.Partitions() {
		p.parts = append(p.parts, &partition{n: n})
	}
	return p, nil
}

// ID is the replica id in the membership bucket.
func (p *Pipeline) ID() string { return p.id }

// Start starts the lanes, joins the replicas, takes this replica's share of
// the partitions, and keeps the share balanced until Stop.
func (p *Pipeline) Start(ctx context.Context) error {
	for _, l := range p.lanes {
		p.wg.Add(1)
		go l.run()
	}
	var err error
	if p.unpartitioned, err = p.st.ConsumeUnpartitioned(ctx, p.rejectMalformed); err != nil {
		close(p.coordinated)
		p.Stop(ctx)
		return err
	}
	if err := p.rebalance(ctx); err != nil {
		close(p.coordinated)
		p.Stop(ctx)
		return err
	}
	go p.coordinate()
	return nil
}

// Owned lists the partitions this replica consumes now.
func (p *Pipeline) Owned() []int {
	var out []int
	for _, part := range p.parts {
		part.mu.Lock()
		if part.sub != nil && !part.leaving {
			out = append(out, part.n)
		}
		part.mu.Unlock()
	}
	return out
}

func (p *Pipeline) coordinate() {
	defer close(p.coordinated)
	t := time.NewTicker(p.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-p.stopping:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(p.hard, p.cfg.Heartbeat*3)
		if err := p.rebalance(ctx); err != nil {
			p.log.Warnw("rebalance failed; keeping the partitions held", "error", err)
		}
		cancel()
	}
}

// rebalance renews the heartbeat, then acquires the partitions the member
// list gives this replica and hands over the others.
func (p *Pipeline) rebalance(ctx context.Context) error {
	info := fmt.Appendf(nil, `{"id":%q,"at":%q}`, p.id, time.Now().UTC().Format(time.RFC3339Nano))
	if err := p.st.Heartbeat(ctx, p.id, info); err != nil {
		return err
	}
	members, err := p.st.Members(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(members, p.id) {
		members = append(members, p.id)
	}
	owned := Assign(len(p.parts), members, p.id)
	for _, part := range p.parts {
		want := slices.Contains(owned, part.n)
		part.mu.Lock()
		has, leaving := part.sub != nil, part.leaving
		part.mu.Unlock()
		switch {
		case want && !has:
			if err := p.acquire(ctx, part); err != nil {
				return err
			}
		case !want && has && !leaving:
			p.release(part)
		}
	}
	return nil
}

func (p *Pipeline) acquire(ctx context.Context, part *partition) error {
	gen := part.gen.Add(1)
	sub, err := p.st.ConsumePartition(ctx, part.n, p.dispatch(part, gen))
	if err != nil {
		return err
	}
	part.mu.Lock()
	part.sub = sub
	part.mu.Unlock()
	p.log.Infow("partition acquired", "partition", part.n)
	return nil
}

// release hands a partition over in the background: stop pulling, let the
// lanes finish what they were given, then unpin so the new owner starts now.
func (p *Pipeline) release(part *partition) {
	part.mu.Lock()
	part.leaving = true
	sub := part.sub
	part.mu.Unlock()
	p.releases.Add(1)
	go func() {
		defer p.releases.Done()
		ctx, cancel := context.WithTimeout(p.hard, p.cfg.ReleaseTimeout)
		defer cancel()
		p.handOver(ctx, part, sub)
		part.mu.Lock()
		part.sub, part.leaving = nil, false
		part.mu.Unlock()
		p.log.Infow("partition released", "partition", part.n)
	}()
}

func (p *Pipeline) handOver(ctx context.Context, part *partition, sub *store.Subscription) {
	sub.Stop(ctx)
	for part.inflight.Load() > 0 && ctx.Err() == nil {
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sub.Unpin(uctx); err != nil {
		p.log.Warnw("unpin failed; the partition moves after the pinned TTL", "partition", part.n, "error", err)
	}
}

// Stop leaves the replicas, stops consuming, finishes what was delivered, and
// unpins its partitions. When ctx ends first, unfinished deliveries are left
// unacknowledged, for redelivery. Stop is safe to call more than once.
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
	p.releases.Wait()
	var held []*store.Subscription
	for _, part := range p.parts {
		if part.sub != nil {
			part.sub.Stop(ctx)
			held = append(held, part.sub)
		}
	}
	if p.unpartitioned != nil {
		p.unpartitioned.Stop(ctx)
	}
	for _, l := range p.lanes {
		close(l.ch)
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.hardCancel()
		<-done
	}
	p.hardCancel()
	uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, sub := range held {
		_ = sub.Unpin(uctx)
	}
}

// dispatch hands the deliveries of one acquisition of part to the lanes.
func (p *Pipeline) dispatch(part *partition, gen uint64) store.Handler {
	return func(d *store.Delivery) {
		m, err := p.subj.ParsePartitioned(d.Subject)
		if err != nil {
			p.rejectMalformed(d)
			return
		}
		h := fnv.New32a()
		h.Write([]byte(m.IntegrationID))
		part.inflight.Add(1)
		select {
		case p.lanes[h.Sum32()%uint32(len(p.lanes))].ch <- work{d: d, m: m, part: part, gen: gen}:
		case <-p.hard.Done():
			part.inflight.Add(-1)
		}
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
	p.settle(d, func(ctx context.Context) error { return p.deadLetter(ctx, d.Msg, reason) })
}

// settle runs step until it succeeds, backing off between tries, then acks.
// It gives up, leaving the delivery for redelivery, only on a hard stop.
func (p *Pipeline) settle(d *store.Delivery, step func(context.Context) error) {
	backoff := p.cfg.RetryMin
	for {
		ctx, cancel := context.WithTimeout(p.hard, 10*time.Second)
		err := step(ctx)
		cancel()
		if err == nil {
			break
		}
		if p.hard.Err() != nil {
			return
		}
		p.log.Warnw("step failed, retrying", "subject", d.Subject, "seq", d.Seq, "retryIn", backoff, "error", err)
		_ = d.InProgress()
		select {
		case <-time.After(backoff):
		case <-p.hard.Done():
			return
		}
		backoff = min(backoff*2, p.cfg.RetryMax)
	}
	if err := d.Ack(); err != nil {
		p.log.Warnw("ack failed; the message will be redelivered and skipped", "subject", d.Subject, "seq", d.Seq, "error", err)
	}
}

// deadLetter records a rejected message under the subject it was published
// on. It fails only if the record could not be stored, so the caller retries
// instead of losing the message.
func (p *Pipeline) deadLetter(ctx context.Context, m store.Msg, reason error) error {
	m.Subject = p.subj.OriginalOf(m.Subject)
	if err := p.st.DeadLetter(ctx, m, reason.Error()); err != nil {
		return err
	}
	p.log.Warnw("message dead-lettered", "subject", m.Subject, "stream", m.Stream, "seq", m.Seq, "reason", reason.Error())
	return nil
}

// lane applies the messages of its integrations one at a time.
type lane struct {
	p     *Pipeline
	ch    chan work
	state map[string]*entry
}

// entry is a lane's copy of one integration's counter.
type entry struct {
	c   subjects.FailureCounter
	rev uint64
	gen uint64
	// caughtUp is set once every stored message older than the ones the
	// consumer delivers from now on has been applied.
	caughtUp bool
}

func (l *lane) run() {
	defer l.p.wg.Done()
	for w := range l.ch {
		l.p.settle(w.d, func(ctx context.Context) error { return l.apply(ctx, w) })
		w.part.inflight.Add(-1)
	}
}

func (l *lane) apply(ctx context.Context, w work) error {
	id := w.m.IntegrationID
	e, err := l.entry(ctx, id, w.gen)
	if err != nil {
		return err
	}
	if !e.caughtUp {
		if err := l.catchUp(ctx, e, id, w.d.Seq, w.d.AckFloor); err != nil {
			return err
		}
		e.caughtUp = true
	}
	if w.d.Seq <= e.c.LastAppliedSeq {
		l.p.log.Debugw("already applied, skipped", "integration", id, "seq", w.d.Seq, "numDelivered", w.d.NumDelivered)
		return nil
	}
	return l.applyStored(ctx, e, w.m, w.d.Msg)
}

// entry returns the lane's copy of a counter, loading it when there is none
// or when it dates from an earlier acquisition of the partition.
func (l *lane) entry(ctx context.Context, id string, gen uint64) (*entry, error) {
	if e, ok := l.state[id]; ok && e.gen == gen {
		return e, nil
	}
	c, rev, err := l.p.st.Counter(ctx, id)
	if err != nil {
		return nil, err
	}
	e := &entry{c: c, rev: rev, gen: gen}
	l.state[id] = e
	return e, nil
}

// catchUp applies the stored messages of an integration that come before
// upTo and after what its counter has applied and the consumer's ack floor.
// After a restart or a hand-over JetStream hands out new messages at once
// but redelivers the unacknowledged ones only after AckWait, so without this
// an older outcome could be applied after a newer one.
func (l *lane) catchUp(ctx context.Context, e *entry, id string, upTo, ackFloor uint64) error {
	from := max(e.c.LastAppliedSeq, ackFloor) + 1
	for {
		m, err := l.p.st.NextRun(ctx, id, from)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if m.Seq >= upTo {
			return nil
		}
		if pm, err := l.p.subj.ParsePartitioned(m.Subject); err == nil && m.Seq > e.c.LastAppliedSeq {
			if err := l.applyStored(ctx, e, pm, m); err != nil {
				return err
			}
		}
		from = m.Seq + 1
	}
}

func (l *lane) applyStored(ctx context.Context, e *entry, pm subjects.Partitioned, m store.Msg) error {
	if pm.Kind == subjects.StoredEnable {
		return l.applyEnable(ctx, e, pm.IntegrationID, m)
	}
	return l.applyRun(ctx, e, pm.IntegrationID, m)
}

// applyRun applies one outcome: effects first, then the counter. Effects have
// deterministic ids, so if the counter write never happens the retry
// publishes the same events again and JetStream drops the copies.
func (l *lane) applyRun(ctx context.Context, e *entry, id string, m store.Msg) error {
	p := l.p
	o, err := subjects.DecodeOutcome(id, m.Data)
	if err != nil {
		return p.deadLetter(ctx, m, err)
	}
	first, err := p.st.ClaimRun(ctx, id, o.RunID, m.Seq)
	if err != nil {
		return err
	}
	if first != m.Seq {
		p.log.Infow("resent outcome ignored", "integration", id, "runId", o.RunID, "seq", m.Seq, "firstSeq", first)
		return nil
	}
	next, t := ApplyOutcome(e.c, &o, m.Seq, p.cfg.DisableAfter)
	eff := BuildEffects(&next, &o, t)
	for _, ev := range eff.Events {
		ce, err := EncodeCloudEvent(ev.ID, ev.Kind.EventName(), id, ev.Time, ev.Data)
		if err != nil {
			return err
		}
		if _, err := p.st.PublishEvent(ctx, store.StoredEvent{ID: ev.ID, Kind: ev.Kind, IntegrationID: id, Time: ev.Time, CloudEvent: ce}); err != nil {
			return err
		}
	}
	if eff.Disable != nil {
		b, err := json.Marshal(eff.Disable)
		if err != nil {
			return err
		}
		if _, err := p.st.PublishCommand(ctx, p.subj.Disable(id), "disable-"+eff.Disable.DisabledEventID, b); err != nil {
			return err
		}
	}
	if err := l.commit(ctx, e, next); err != nil {
		return err
	}
	if t.Disabled {
		p.log.Infow("integration disabled", "integration", id, "episode", next.Episode, "consecutiveFailures", next.ConsecutiveFailures, "disabledEventId", next.DisabledEventID)
	}
	return nil
}

func (l *lane) applyEnable(ctx context.Context, e *entry, id string, m store.Msg) error {
	cmd, err := subjects.DecodeEnable(id, m.Data)
	if err != nil {
		return l.p.deadLetter(ctx, m, err)
	}
	if cmd.Time.IsZero() {
		cmd.Time = m.Time
	}
	next, reopened := Enable(e.c, cmd, m.Seq, l.p.cfg.DisableAfter)
	if err := l.commit(ctx, e, next); err != nil {
		return err
	}
	l.p.log.Infow("integration enabled", "integration", id, "enabledBy", cmd.EnabledBy, "episode", next.Episode, "wasDisabled", reopened)
	return nil
}

// commit stores next with compare-and-set. On a conflict the lane reloads the
// counter and the caller's retry re-applies against it.
func (l *lane) commit(ctx context.Context, e *entry, next subjects.FailureCounter) error {
	next.UpdatedAt = time.Now().UTC()
	rev, err := l.p.st.PutCounter(ctx, &next, e.rev)
	if errors.Is(err, store.ErrConflict) {
		c, r, rerr := l.p.st.Counter(ctx, next.IntegrationID)
		if rerr == nil {
			e.c, e.rev = c, r
		}
		return err
	}
	if err != nil {
		return err
	}
	e.c, e.rev = next, rev
	return nil
}
