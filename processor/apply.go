package processor

import (
	"context"
	"errors"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// work is one delivery to apply.
type work struct {
	d *store.Delivery
	m subjects.Partitioned
}

// entry is a holding's copy of one integration's counter.
type entry struct {
	c   subjects.FailureCounter
	rev uint64
	// epoch is the delivery epoch the copy was loaded in.
	epoch string
	// caughtUp is set once every stored message older than the ones the
	// consumer delivers from now on has been applied.
	caughtUp bool
}

// apply applies one delivery. The first time the holding sees an
// integration in a delivery epoch, it reloads the counter (another replica may have
// written it) and catches up: it applies the messages of the integration
// that an earlier holder was given and may not have applied. After that the
// epoch's deliveries arrive in order, and any redelivery of an older message
// is skipped.
func (h *holding) apply(ctx context.Context, p *Pipeline, w work) error {
	id := w.m.IntegrationID
	ep, err := h.epoch(ctx, p, w.d.Epoch)
	if err != nil {
		return err
	}
	e, err := h.entry(ctx, p, id, w.d.Epoch, outcomeFields(id, w.d.Data))
	if err != nil {
		return err
	}
	if !e.caughtUp {
		if err := h.catchUp(ctx, p, e, id, ep); err != nil {
			return err
		}
		e.caughtUp = true
	}
	if w.d.Seq <= e.c.LastAppliedSeq {
		p.log.Debugw("already applied, skipped", append(outcomeFields(id, w.d.Data), "seq", w.d.Seq, "numDelivered", w.d.NumDelivered)...)
		return nil
	}
	return h.applyStored(ctx, p, e, w.m, w.d.Msg)
}

// entry returns the holding's copy of a counter, loading it the first time
// and again in a new delivery epoch; fields are those of the delivery that
// needs it, for the log.
func (h *holding) entry(ctx context.Context, p *Pipeline, id, epochID string, fields []any) (*entry, error) {
	if e, ok := h.state[id]; ok && e.epoch == epochID {
		return e, nil
	}
	c, rev, err := p.st.Counter(ctx, id)
	if err != nil {
		return nil, err
	}
	e := &entry{c: c, rev: rev, epoch: epochID}
	h.state[id] = e
	p.log.Debugw("counter loaded", append(fields, "rev", rev, "lastAppliedSeq", c.LastAppliedSeq)...)
	return e, nil
}

// catchUp applies the messages of an integration that the epoch found
// delivered but not acknowledged and that its counter has not applied.
// After a restart or a hand-over JetStream hands out new messages at once
// but redelivers what an earlier holder left unacknowledged only after
// AckWait, so without this an older outcome could be applied after a newer
// one, and then skipped as already applied.
func (h *holding) catchUp(ctx context.Context, p *Pipeline, e *entry, id string, ep *epoch) error {
	for _, m := range ep.missed[id] {
		if !ep.unapplied(m, e.c.LastAppliedSeq) {
			continue
		}
		pm, err := p.subj.ParsePartitioned(m.Subject)
		if err != nil {
			continue
		}
		p.log.Debugw("catching up", append(outcomeFields(id, m.Data), "seq", m.Seq, "ackFloor", ep.ackFloor)...)
		if err := h.applyStored(ctx, p, e, pm, m); err != nil {
			return err
		}
	}
	return nil
}

func (h *holding) applyStored(ctx context.Context, p *Pipeline, e *entry, pm subjects.Partitioned, m store.Msg) error {
	if pm.Kind == subjects.StoredEnable {
		return h.applyEnable(ctx, p, e, pm.IntegrationID, m)
	}
	return h.applyRun(ctx, p, e, pm.IntegrationID, m)
}

// applyRun applies one outcome: effects first, then the counter. Effects have
// deterministic ids, so if the counter write never happens the retry
// publishes the same events again and JetStream drops the copies.
func (h *holding) applyRun(ctx context.Context, p *Pipeline, e *entry, id string, m store.Msg) error {
	o, err := Admit(id, m.Data, m.Time)
	if err != nil {
		return p.deadLetter(ctx, m, err)
	}
	first, err := h.firstCarrier(ctx, p, id, &o, m)
	if err != nil {
		return err
	}
	if first != m.Seq {
		p.log.Infow("resent outcome ignored", append(admittedFields(&o), "seq", m.Seq, "firstSeq", first)...)
		return nil
	}
	if Unchanged(e.c, &o) {
		h.count(p, id, outcomeTally(&o, m.Seq, m.Time, Effects{}))
		return nil
	}
	next, t := ApplyOutcome(e.c, &o, m.Seq, p.cfg.DisableAfter)
	eff := BuildEffects(&next, &o, t)
	events, err := StoredEvents(id, eff)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if _, err := p.st.PublishEvent(ctx, ev); err != nil {
			return err
		}
	}
	subject, msgID, cmd, err := p.disableCommand(id, eff)
	if err != nil {
		return err
	}
	if subject != "" {
		if _, err := p.st.PublishCommand(ctx, subject, msgID, cmd); err != nil {
			return err
		}
	}
	if err := h.commit(ctx, p, e, next); err != nil {
		return err
	}
	h.count(p, id, outcomeTally(&o, m.Seq, m.Time, eff))
	if t.Disabled {
		p.log.Infow("integration disabled", append(admittedFields(&o), "episode", next.Episode, "consecutiveFailures", next.ConsecutiveFailures, "disabledEventId", next.DisabledEventID)...)
	}
	return nil
}

func (h *holding) applyEnable(ctx context.Context, p *Pipeline, e *entry, id string, m store.Msg) error {
	cmd, err := subjects.DecodeEnable(id, m.Data)
	if err != nil {
		return p.deadLetter(ctx, m, err)
	}
	if cmd.Time.IsZero() {
		cmd.Time = m.Time
	}
	next, reopened := Enable(e.c, cmd, m.Seq, p.cfg.DisableAfter)
	if err := h.commit(ctx, p, e, next); err != nil {
		return err
	}
	h.count(p, id, tally{seq: m.Seq, enabled: reopened, enableID: cmd.ID})
	p.log.Infow("integration enabled", append(enableFields(&cmd), "enabledBy", cmd.EnabledBy, "episode", next.Episode, "wasDisabled", reopened)...)
	return nil
}

// commit stores next with compare-and-set. On a conflict the holding forgets
// its copy, so the caller's retry starts again from the store.
func (h *holding) commit(ctx context.Context, p *Pipeline, e *entry, next subjects.FailureCounter) error {
	next.UpdatedAt = time.Now().UTC()
	rev, err := p.st.PutCounter(ctx, &next, e.rev)
	if errors.Is(err, store.ErrConflict) {
		// Someone else wrote it: the retry starts again from the store,
		// catching up from what that writer applied.
		delete(h.state, next.IntegrationID)
		return err
	}
	if err != nil {
		return err
	}
	e.c, e.rev = next, rev
	return nil
}
