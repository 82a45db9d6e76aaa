package processor

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// work is one delivery for a lane.
type work struct {
	d *store.Delivery
	m subjects.Partitioned
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
	pin string
	// caughtUp is set once every stored message older than the ones the
	// consumer delivers from now on has been applied.
	caughtUp bool
}

func (l *lane) run(h *holding) {
	defer h.wg.Done()
	for w := range l.ch {
		l.p.settle(h.stop, w.d, func(ctx context.Context) error { return l.apply(ctx, h, w) })
	}
}

// apply applies one delivery. The first time a lane sees an integration under
// a pin, it reloads the counter (another replica may have written it) and
// catches up: it applies, straight from the stream, every stored message of
// the integration that an earlier holder was given and may not have applied,
// up to the epoch's delivered position. After that the pin's deliveries
// arrive in order, and any redelivery of an older message is skipped.
func (l *lane) apply(ctx context.Context, h *holding, w work) error {
	id := w.m.IntegrationID
	ep, err := h.epoch(ctx, w.d.PinID)
	if err != nil {
		return err
	}
	e, err := l.entry(ctx, id, w.d.PinID)
	if err != nil {
		return err
	}
	if !e.caughtUp {
		if err := l.catchUp(ctx, e, id, max(w.d.Seq, ep.delivered+1), ep.ackFloor); err != nil {
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

// entry returns the lane's copy of a counter, loading it the first time and
// again under a new pin.
func (l *lane) entry(ctx context.Context, id, pin string) (*entry, error) {
	if e, ok := l.state[id]; ok && e.pin == pin {
		return e, nil
	}
	c, rev, err := l.p.st.Counter(ctx, id)
	if err != nil {
		return nil, err
	}
	e := &entry{c: c, rev: rev, pin: pin}
	l.state[id] = e
	l.p.log.Debugw("counter loaded", "integration", id, "rev", rev, "lastAppliedSeq", c.LastAppliedSeq)
	return e, nil
}

// catchUp applies the stored messages of an integration that come before
// upTo and after what its counter has applied and the consumer's ack floor.
// After a restart or a hand-over JetStream hands out new messages at once
// but redelivers what an earlier holder left unacknowledged only after
// AckWait, so without this an older outcome could be applied after a newer
// one, and then skipped as already applied.
func (l *lane) catchUp(ctx context.Context, e *entry, id string, upTo, ackFloor uint64) error {
	from := max(e.c.LastAppliedSeq, ackFloor) + 1
	l.p.log.Debugw("catching up", "integration", id, "from", from, "upTo", upTo, "ackFloor", ackFloor)
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

// commit stores next with compare-and-set. On a conflict the lane forgets its
// copy, so the caller's retry starts again from the store.
func (l *lane) commit(ctx context.Context, e *entry, next subjects.FailureCounter) error {
	next.UpdatedAt = time.Now().UTC()
	rev, err := l.p.st.PutCounter(ctx, &next, e.rev)
	if errors.Is(err, store.ErrConflict) {
		// Someone else wrote it: the retry starts again from the store,
		// catching up from what that writer applied.
		delete(l.state, next.IntegrationID)
		return err
	}
	if err != nil {
		return err
	}
	l.p.log.Debugw("applied", "integration", next.IntegrationID, "seq", next.LastAppliedSeq, "rev", rev)
	e.c, e.rev = next, rev
	return nil
}
