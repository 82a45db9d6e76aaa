package processor

import (
	"cmp"
	"context"
	"slices"
	"time"
)

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

// applyBatch applies a batch (apply) and acknowledges it, or, when that
// fails, applies it again one delivery at a time, each retried until it
// succeeds (settle). Both take the one path, whose writes have the same ids
// and revisions however they are grouped, so redoing them stores nothing
// twice.
func (h *holding) applyBatch(p *Pipeline, batch []work) {
	// Stream order, which is each integration's order: a redelivery may
	// come after newer messages.
	slices.SortStableFunc(batch, func(a, b work) int { return cmp.Compare(a.d.Seq, b.d.Seq) })
	ctx, cancel := context.WithTimeout(h.stop, p.cfg.BatchTimeout)
	began := time.Now()
	err := h.apply(ctx, p, batch)
	cancel()
	if err == nil {
		for _, w := range batch {
			p.ack(w.d)
		}
		p.log.Debugw("batch applied", "deliveries", len(batch), "took", time.Since(began))
		return
	}
	p.log.Debugw("batch applied one at a time", "deliveries", len(batch), "reason", err)
	for _, w := range batch {
		p.settle(h.stop, w.d, func(ctx context.Context) error { return h.apply(ctx, p, []work{w}) })
	}
}
