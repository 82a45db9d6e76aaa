package recovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

// Config configures a Recovery.
type Config struct {
	// RetryDelay is how long a recovered event waits to be delivered
	// again when its streak could not all be actioned (a store error, an
	// event not indexed yet), and how long Run waits between attempts to
	// create its consumer. Default 5s.
	RetryDelay time.Duration
	// GiveUpAfter is the deliveries of one recovered event after which an
	// event of its streak that is still not indexed is skipped: it was
	// stored by an attempt whose plan a retry did not repeat (a policy
	// changed in between), so no retry will index it. Default 12 (a
	// minute at the default delay).
	GiveUpAfter int
}

func (c *Config) setDefaults() {
	if c.RetryDelay == 0 {
		c.RetryDelay = 5 * time.Second
	}
	if c.GiveUpAfter == 0 {
		c.GiveUpAfter = 12
	}
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.RetryDelay < 0:
		return fmt.Errorf("recovery: retry delay %s is negative", c.RetryDelay)
	case c.GiveUpAfter < 1:
		return fmt.Errorf("recovery: give up after %d deliveries: want 1 or more", c.GiveUpAfter)
	}
	return nil
}

// Recovery auto-actions the streaks that recoveries end, when the
// recovered event says so (autoAction).
type Recovery struct {
	cfg Config
	st  *store.Store
	act *store.Actioner
	log *zap.SugaredLogger
	// metrics counts events actioned; nil counts nothing.
	metrics *metrics.Metrics
}

// New returns the recovery loop over st.
func New(cfg Config, st *store.Store, logger *zap.Logger) (*Recovery, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Recovery{cfg: cfg, st: st, log: logger.Sugar()}
	act, err := st.Actioner(store.ActionerConfig{
		Encode: processor.ActionedAck,
		Acked:  func(subjects.EventRecord, bool) { r.metrics.Actioned(1) },
	})
	if err != nil {
		return nil, err
	}
	r.act = act
	return r, nil
}

// SetMetrics makes the loop count the events it actions in m
// (integration_events_actioned_total). Call it before Run.
func (r *Recovery) SetMetrics(m *metrics.Metrics) { r.metrics = m }

// stopWait bounds how long Run waits, once ctx ends, for the handler to
// return; what it leaves unacknowledged is delivered again.
const stopWait = 10 * time.Second

// Run consumes the recovered events (store.ConsumeRecoveries) until ctx
// ends, then stops. It retries creating the consumer every RetryDelay until
// it succeeds; it returns ctx's error.
func (r *Recovery) Run(ctx context.Context) error {
	var sub *store.Subscription
	for {
		var err error
		if sub, err = r.st.ConsumeRecoveries(ctx, func(d *store.Delivery) { r.handle(ctx, d) }); err == nil {
			break
		}
		r.log.Warnw("recoveries: consumer not created, will retry", "error", err, "retryIn", r.cfg.RetryDelay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.cfg.RetryDelay):
		}
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	sub.Stop(sctx)
	return ctx.Err()
}

// recovered is what handle reads of a recovered event.
type recovered struct {
	ID   string             `json:"id"`
	Type string             `json:"type"`
	Data subjects.EventData `json:"data"`
}

// handle auto-actions the streak of the recovered event d when it says so,
// and acknowledges d once every event of the streak is actioned. An event
// that cannot be read is acknowledged and logged: delivering it again
// would not make it readable.
func (r *Recovery) handle(ctx context.Context, d *store.Delivery) {
	ev, err := r.decode(d.Msg)
	if err != nil {
		r.log.Warnw("recovered event unreadable, acknowledged without auto-action", "seq", d.Seq, "subject", redact.Text(d.Subject), "error", redact.Text(err.Error()))
		r.ack(d)
		return
	}
	if !ev.Data.AutoAction {
		r.ack(d)
		return
	}
	st, err := r.actionStreak(ctx, d, ev)
	fields := []any{"integrationId", ev.Data.IntegrationID, "recoveredEventId", ev.ID, "seq", d.Seq,
		"actioned", st.actioned, "alreadyActioned", st.already, "numDelivered", d.NumDelivered}
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warnw("streak not all auto-actioned, will retry", append(fields, "error", err, "retryIn", r.cfg.RetryDelay)...)
		}
		if rerr := d.Retry(r.cfg.RetryDelay); rerr != nil {
			r.log.Debugw("recovered event not handed back; it comes back after the ack wait", "seq", d.Seq, "error", rerr)
		}
		return
	}
	if !st.complete {
		fields = append(fields, "note", "the streak's first events have aged out of "+store.StreamEvents)
	}
	if len(st.skipped) > 0 {
		fields = append(fields, "skippedNotIndexed", st.skipped)
	}
	r.log.Infow("streak auto-actioned on recovery", fields...)
	r.ack(d)
}

func (r *Recovery) ack(d *store.Delivery) {
	if err := d.Ack(); err != nil {
		r.log.Debugw("recovered event not acknowledged; it comes back and is skipped", "seq", d.Seq, "error", err)
	}
}

// decode reads the recovered event m and checks it is one, of the
// integration its subject names.
func (r *Recovery) decode(m store.Msg) (recovered, error) {
	var ev recovered
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		return ev, fmt.Errorf("not a structured CloudEvent: %w", err)
	}
	subjectID := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	switch {
	case ev.ID == "":
		return ev, errors.New("CloudEvent has no id")
	case ev.Type != subjects.KindRecovered.EventName():
		return ev, fmt.Errorf("CloudEvent type %q is not %s", processor.Truncate(ev.Type, 60), subjects.KindRecovered.EventName())
	case ev.Data.IntegrationID != subjectID:
		return ev, fmt.Errorf("integrationId %q is not the subject's %q", processor.Truncate(ev.Data.IntegrationID, 140), subjectID)
	}
	if err := subjects.ValidateIntegrationID(subjectID); err != nil {
		return ev, err
	}
	return ev, nil
}

// streakStats is what actionStreak did.
type streakStats struct {
	actioned, already int
	// complete is false when the streak's start had aged out.
	complete bool
	// skipped are the events still not indexed after GiveUpAfter
	// deliveries.
	skipped []string
}

// progressEvery is how often a long streak reports the delivery in
// progress, so that it is not delivered again meanwhile.
const progressEvery = time.Second

// actionStreak actions the events of the streak that ev, the recovered
// event d, ended, each by subjects.ActionedByRecovery. An event actioned
// before keeps its actioning. It goes on past an event it could not action
// and returns the errors joined.
func (r *Recovery) actionStreak(ctx context.Context, d *store.Delivery, ev recovered) (streakStats, error) {
	last := time.Now()
	progress := func() {
		if time.Since(last) >= progressEvery {
			last = time.Now()
			_ = d.InProgress()
		}
	}
	var st streakStats
	w := NewWalk(ev.Data.FailedRuns)
	var ids []string
	err := r.st.EventsBefore(ctx, ev.Data.IntegrationID, d.Seq, func(m store.Msg) (bool, error) {
		progress()
		e, err := decodeEvent(m)
		if err != nil {
			r.log.Warnw("unreadable event in the walk back from a recovery, skipped", "seq", m.Seq, "subject", redact.Text(m.Subject), "error", redact.Text(err.Error()))
			return true, nil
		}
		action, done := w.Next(e)
		if action {
			ids = append(ids, e.ID)
		}
		st.complete = done
		return !done, nil
	})
	if err != nil {
		return st, err
	}
	note := "streak ended by the success of run " + ev.Data.RunID
	var errs []error
	for _, id := range ids {
		progress()
		_, ours, err := r.act.Action(ctx, id, subjects.ActionedByRecovery, note, time.Now())
		switch {
		case errors.Is(err, store.ErrNotFound) && int(d.NumDelivered) >= r.cfg.GiveUpAfter:
			st.skipped = append(st.skipped, id)
		case errors.Is(err, store.ErrNotFound):
			// Stored but not indexed yet: the processor indexes events
			// after it stores them.
			errs = append(errs, fmt.Errorf("event %s: not indexed yet: %w", id, err))
		case err != nil:
			errs = append(errs, err)
		case ours:
			st.actioned++
		default:
			st.already++
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
	return st, errors.Join(errs...)
}

// decodeEvent reads what Walk needs of a stored event.
func decodeEvent(m store.Msg) (Event, error) {
	var ce struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			NotCounted          bool `json:"notCounted"`
			ConsecutiveFailures int  `json:"consecutiveFailures"`
		} `json:"data"`
	}
	if err := json.Unmarshal(m.Data, &ce); err != nil {
		return Event{}, fmt.Errorf("not a structured CloudEvent: %w", err)
	}
	if ce.ID == "" {
		return Event{}, errors.New("CloudEvent has no id")
	}
	k, err := subjects.KindOf(ce.Type)
	if err != nil {
		// A kind this build does not know: Walk skips it.
		k = subjects.Kind(ce.Type)
	}
	return Event{ID: ce.ID, Kind: k, NotCounted: ce.Data.NotCounted, ConsecutiveFailures: ce.Data.ConsecutiveFailures}, nil
}
