package processor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// errOneByOne sends a batch to the one-at-a-time path. It is not a failure:
// that path handles what the batch path leaves out.
var errOneByOne = errors.New("applied one at a time")

// run is the holding's worker: it takes what was delivered, up to Batch at a
// time, and applies it.
func (h *holding) run(p *Pipeline) {
	defer close(h.done)
	batch := make([]work, 0, p.cfg.Batch)
	for {
		var first work
		select {
		case first = <-h.queue:
		case <-h.closing:
			// The subscription stopped: finish what it delivered.
			select {
			case first = <-h.queue:
			default:
				return
			}
		case <-h.stop.Done():
			return
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < p.cfg.Batch {
			select {
			case w := <-h.queue:
				batch = append(batch, w)
			default:
				break fill
			}
		}
		h.applyBatch(p, batch)
		if h.part.guard != nil {
			h.part.noteGuard(time.Now())
		}
	}
}

// applyBatch applies a batch with one round trip per step, or, when that
// path cannot or fails, one delivery at a time with retries. The batch path
// is safe to abandon at any step: its writes are the ones the other path
// makes, with the same ids and revisions, so redoing them stores nothing
// twice.
func (h *holding) applyBatch(p *Pipeline, batch []work) {
	// Stream order, which is each integration's order: a redelivery may
	// come after newer messages.
	slices.SortStableFunc(batch, func(a, b work) int { return cmp.Compare(a.d.Seq, b.d.Seq) })
	ctx, cancel := context.WithTimeout(h.stop, p.cfg.BatchTimeout)
	began := time.Now()
	err := h.applyTogether(ctx, p, batch)
	cancel()
	if err == nil {
		p.log.Debugw("batch applied", "deliveries", len(batch), "took", time.Since(began))
		return
	}
	p.log.Debugw("batch applied one at a time", "deliveries", len(batch), "reason", err)
	for _, w := range batch {
		p.settle(h.stop, w.d, func(ctx context.Context) error { return h.apply(ctx, p, w) })
	}
}

// step is one delivery of a batch on its way through applyTogether.
type step struct {
	w       work
	outcome subjects.RunOutcome
	enable  *subjects.EnableCommand
	// skip is set for a delivery already applied, and for a resend.
	skip bool
	// tally is what it did, counted once the batch's writes are stored.
	tally tally
}

// applyTogether applies a batch in three rounds of writes, each sent at
// once and awaited together: events and disable commands, then the events'
// index entries, then one compare-and-set per counter that changed. Effects are stored before the counters that account for them, as
// one at a time. The deliveries are acknowledged at the end.
func (h *holding) applyTogether(ctx context.Context, p *Pipeline, batch []work) error {
	epochID := batch[0].d.Epoch
	for _, w := range batch {
		if w.d.Epoch != epochID {
			return fmt.Errorf("%w: deliveries of two epochs", errOneByOne)
		}
	}
	ep, err := h.epoch(ctx, p, epochID)
	if err != nil {
		return err
	}
	steps := make([]step, len(batch))
	for i, w := range batch {
		steps[i].w = w
	}
	if err := h.loadEntries(ctx, p, steps, epochID, ep); err != nil {
		return err
	}

	wr := h.writes
	// A return before a round is flushed leaves its writes unawaited; the
	// one-at-a-time path redoes them.
	defer wr.Discard()
	var failed error
	fail := func(err error) {
		if err != nil {
			failed = errors.Join(failed, err)
		}
	}
	for i := range steps {
		s := &steps[i]
		id := s.w.m.IntegrationID
		if s.w.d.Seq <= h.state[id].c.LastAppliedSeq || (i > 0 && steps[i-1].w.d.Seq == s.w.d.Seq) {
			p.log.Debugw("already applied, skipped", append(outcomeFields(id, s.w.d.Data), "seq", s.w.d.Seq, "numDelivered", s.w.d.NumDelivered)...)
			s.skip = true
			continue
		}
		if s.w.m.Kind == subjects.StoredEnable {
			cmd, err := subjects.DecodeEnable(id, s.w.d.Data)
			if err != nil {
				return fmt.Errorf("%w: an enable to dead-letter", errOneByOne)
			}
			if cmd.Time.IsZero() {
				cmd.Time = s.w.d.Time
			}
			s.enable = &cmd
			continue
		}
		if s.outcome, err = Admit(id, s.w.d.Data, s.w.d.Time); err != nil {
			return fmt.Errorf("%w: an outcome to dead-letter", errOneByOne)
		}
		first, err := h.firstCarrier(ctx, p, id, &s.outcome, s.w.d.Msg)
		if err != nil {
			return err
		}
		if first != s.w.d.Seq {
			p.log.Infow("resent outcome ignored", append(admittedFields(&s.outcome), "seq", s.w.d.Seq, "firstSeq", first)...)
			s.skip = true
		}
	}

	// Transitions, in stream order per integration, on copies of the counters.
	next := map[string]subjects.FailureCounter{}
	var changed []string
	var events []store.StoredEvent
	eventSeqs := map[string]uint64{}
	for i := range steps {
		s := &steps[i]
		if s.skip {
			continue
		}
		id := s.w.m.IntegrationID
		c, ok := next[id]
		if !ok {
			c = h.state[id].c
		}
		if s.enable != nil {
			n, reopened := Enable(c, *s.enable, s.w.d.Seq, p.cfg.DisableAfter)
			p.log.Infow("integration enabled", append(enableFields(s.enable), "enabledBy", s.enable.EnabledBy, "episode", n.Episode, "wasDisabled", reopened)...)
			s.tally = tally{seq: s.w.d.Seq, enabled: reopened, enableID: s.enable.ID}
			c = n
		} else {
			if Unchanged(c, &s.outcome) {
				s.tally = outcomeTally(&s.outcome, s.w.d.Seq, s.w.d.Time, Effects{})
				continue
			}
			n, t := ApplyOutcome(c, &s.outcome, s.w.d.Seq, p.cfg.DisableAfter)
			eff := BuildEffects(&n, &s.outcome, t)
			s.tally = outcomeTally(&s.outcome, s.w.d.Seq, s.w.d.Time, eff)
			stored, err := StoredEvents(id, eff)
			if err != nil {
				return err
			}
			for _, ev := range stored {
				events = append(events, ev)
				wr.PublishEvent(ev, func(seq uint64, err error) { eventSeqs[ev.ID] = seq; fail(err) })
			}
			subject, msgID, cmd, err := p.disableCommand(id, eff)
			if err != nil {
				return err
			}
			if subject != "" {
				wr.PublishCommand(subject, msgID, cmd, fail)
				p.log.Infow("integration disabled", append(admittedFields(&s.outcome), "episode", n.Episode, "consecutiveFailures", n.ConsecutiveFailures, "disabledEventId", n.DisabledEventID)...)
			}
			c = n
		}
		if _, ok := next[id]; !ok {
			changed = append(changed, id)
		}
		next[id] = c
	}
	wr.Flush(ctx)
	if failed != nil {
		return failed
	}
	for _, ev := range events {
		wr.IndexEvent(ev, eventSeqs[ev.ID], fail)
	}
	wr.Flush(ctx)
	if failed != nil {
		return failed
	}
	now := time.Now().UTC()
	// stored holds the integrations whose counter write is stored; Flush
	// runs the callbacks one after another.
	stored := make(map[string]bool, len(changed))
	for _, id := range changed {
		c, e := next[id], h.state[id]
		c.UpdatedAt = now
		wr.PutCounter(&c, e.rev, func(rev uint64, err error) {
			if err != nil {
				// Stored or not, the copy is stale: reload it.
				delete(h.state, id)
				fail(err)
				return
			}
			e.c, e.rev = c, rev
			stored[id] = true
		})
	}
	wr.Flush(ctx)
	// What this batch applied to an integration whose counter is stored is
	// done, whatever becomes of the others' writes; when every write was
	// stored, so are the outcomes that changed nothing (and stored nothing).
	h.countSteps(p, steps, func(id string) bool { return failed == nil || stored[id] })
	if failed != nil {
		return failed
	}
	for _, s := range steps {
		if err := s.w.d.Ack(); err != nil {
			p.log.Warnw("ack failed; the message will be redelivered and skipped", p.deliveryFields(s.w.d, "seq", s.w.d.Seq, "error", err)...)
		}
	}
	return nil
}

// countSteps counts, in stream order, the applied steps of the
// integrations done says are stored, in one pass; count skips those
// counted before.
func (h *holding) countSteps(p *Pipeline, steps []step, done func(integrationID string) bool) {
	for i := range steps {
		s := &steps[i]
		if !s.skip && s.tally.seq != 0 && done(s.w.m.IntegrationID) {
			h.count(p, s.w.m.IntegrationID, s.tally)
		}
	}
}

// loadEntries makes sure every integration of the batch has a counter copy
// of the epoch that is caught up, loading the missing ones at once. An
// integration that an earlier holder may have left behind on sends the
// batch one at a time, which catches it up.
func (h *holding) loadEntries(ctx context.Context, p *Pipeline, steps []step, epochID string, ep *epoch) error {
	inBatch := map[uint64]bool{}
	toLoad := map[string]bool{}
	var missing []string
	for _, s := range steps {
		inBatch[s.w.d.Seq] = true
		id := s.w.m.IntegrationID
		if e, ok := h.state[id]; (!ok || e.epoch != epochID) && !toLoad[id] {
			toLoad[id] = true
			missing = append(missing, id)
		}
	}
	cs, revs, err := p.st.CountersOf(ctx, missing)
	if err != nil {
		return err
	}
	for i, id := range missing {
		h.state[id] = &entry{c: cs[i], rev: revs[i], epoch: epochID}
	}
	for _, s := range steps {
		e := h.state[s.w.m.IntegrationID]
		if e.caughtUp {
			continue
		}
		// Messages an earlier holder was given come back only after
		// AckWait; those in this batch are applied in order here.
		for _, m := range ep.missed[s.w.m.IntegrationID] {
			if ep.unapplied(m, e.c.LastAppliedSeq) && !inBatch[m.Seq] {
				return fmt.Errorf("%w: %s needs catching up", errOneByOne, s.w.m.IntegrationID)
			}
		}
		e.caughtUp = true
	}
	return nil
}
