package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sync"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

// Config configures the pipeline.
type Config struct {
	// DisableAfter is the streak of failures that disables an integration.
	DisableAfter int
	// Lanes is how many integrations are worked on at once. The outcomes
	// of one integration always go to the same lane, in stream order.
	Lanes int
	// RetryMin and RetryMax bound the backoff of a step that failed for a
	// reason other than its input; the step is retried in place, never
	// skipped.
	RetryMin, RetryMax time.Duration
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
	}
	return nil
}

// Pipeline applies run outcomes and enable commands, publishing the events
// and disable commands they raise. Every integration belongs to one lane,
// which applies its messages one at a time in stream order; lanes run in
// parallel.
type Pipeline struct {
	cfg      Config
	st       *store.Store
	subj     subjects.Subjects
	log      *zap.SugaredLogger
	lanes    []*lane
	wg       sync.WaitGroup
	stopOnce sync.Once

	runs, enables *store.Subscription
	// ready is closed once the runs consumer's ack floor is known.
	ready    chan struct{}
	ackFloor uint64
	// hard ends retries on a stop that ran out of time.
	hard       context.Context
	hardCancel context.CancelFunc
}

// work is one delivery for a lane.
type work struct {
	d             *store.Delivery
	integrationID string
	enable        bool
}

// NewPipeline returns a pipeline over st. Start runs it.
func NewPipeline(cfg Config, st *store.Store, logger *zap.Logger) (*Pipeline, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline config: %w", err)
	}
	hard, cancel := context.WithCancel(context.Background())
	p := &Pipeline{cfg: cfg, st: st, subj: st.Subjects(), log: logger.Sugar(), ready: make(chan struct{}), hard: hard, hardCancel: cancel}
	for range cfg.Lanes {
		p.lanes = append(p.lanes, &lane{p: p, ch: make(chan work, 256), state: map[string]*entry{}})
	}
	return p, nil
}

// Start starts the lanes and the consumers.
func (p *Pipeline) Start(ctx context.Context) error {
	for _, l := range p.lanes {
		p.wg.Add(1)
		go l.run()
	}
	var err error
	p.runs, err = p.st.ConsumeRuns(ctx, p.dispatch(false))
	if err == nil {
		p.ackFloor = p.runs.AckFloor
	}
	close(p.ready)
	if err != nil {
		p.Stop(ctx)
		return err
	}
	if p.enables, err = p.st.ConsumeEnables(ctx, p.dispatch(true)); err != nil {
		p.Stop(ctx)
		return err
	}
	return nil
}

// Stop stops consuming and finishes what was delivered. When ctx ends first,
// unfinished deliveries are left unacknowledged, for redelivery.
// Stop is safe to call more than once.
func (p *Pipeline) Stop(ctx context.Context) {
	p.stopOnce.Do(func() { p.stop(ctx) })
}

func (p *Pipeline) stop(ctx context.Context) {
	for _, s := range []*store.Subscription{p.runs, p.enables} {
		if s != nil {
			s.Stop(ctx)
		}
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
}

func (p *Pipeline) dispatch(enable bool) store.Handler {
	prefix := p.subj.RunsPrefix()
	if enable {
		prefix = p.subj.EnablePrefix()
	}
	return func(d *store.Delivery) {
		id, err := subjects.IntegrationFrom(d.Subject, prefix)
		if err != nil {
			// No integration to order it by: reject it here.
			p.settle(d, func(ctx context.Context) error { return p.deadLetter(ctx, d.Msg, err) })
			return
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		select {
		case p.lanes[h.Sum32()%uint32(len(p.lanes))].ch <- work{d: d, integrationID: id, enable: enable}:
		case <-p.hard.Done():
		}
	}
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

// deadLetter records a rejected message. It fails only if the record could
// not be stored, so the caller retries instead of losing the message.
func (p *Pipeline) deadLetter(ctx context.Context, m store.Msg, reason error) error {
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
	// caughtUp is set once every stored outcome older than the ones the
	// consumer delivers from now on has been applied.
	caughtUp bool
}

func (l *lane) run() {
	defer l.p.wg.Done()
	<-l.p.ready
	for w := range l.ch {
		l.p.settle(w.d, func(ctx context.Context) error { return l.apply(ctx, w) })
	}
}

func (l *lane) apply(ctx context.Context, w work) error {
	e, err := l.entry(ctx, w.integrationID)
	if err != nil {
		return err
	}
	if !e.caughtUp {
		upTo := uint64(math.MaxUint64)
		if !w.enable {
			upTo = w.d.Seq
		}
		if err := l.catchUp(ctx, e, w.integrationID, upTo); err != nil {
			return err
		}
		e.caughtUp = true
	}
	if w.enable {
		return l.applyEnable(ctx, e, w.integrationID, w.d.Msg)
	}
	if w.d.Seq <= e.c.LastAppliedSeq {
		return nil // a redelivery of what is already applied
	}
	return l.applyRun(ctx, e, w.integrationID, w.d.Msg)
}

func (l *lane) entry(ctx context.Context, id string) (*entry, error) {
	if e, ok := l.state[id]; ok {
		return e, nil
	}
	c, rev, err := l.p.st.Counter(ctx, id)
	if err != nil {
		return nil, err
	}
	e := &entry{c: c, rev: rev}
	l.state[id] = e
	return e, nil
}

// catchUp applies the stored outcomes of an integration that come before
// upTo and after what its counter has applied. After a restart JetStream
// hands out new messages at once but redelivers the unacknowledged ones only
// after AckWait, so without this an older outcome could be applied after a
// newer one.
func (l *lane) catchUp(ctx context.Context, e *entry, id string, upTo uint64) error {
	from := max(e.c.LastAppliedSeq, l.p.ackFloor) + 1
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
		if m.Seq > e.c.LastAppliedSeq {
			if err := l.applyRun(ctx, e, id, m); err != nil {
				return err
			}
		}
		from = m.Seq + 1
	}
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
	if m.Seq <= e.c.LastEnableSeq {
		return nil
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
