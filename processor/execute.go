package processor

import (
	"context"
	"errors"
	"time"
)

// execute stores plans, planned in stream order: the dead letters first,
// one at a time, then three rounds of writes, each sent at once and
// awaited together: the events and disable commands, the events' index
// entries, and one compare-and-set per integration whose counter changed.
// Effects are stored before the counter that accounts for them and have
// deterministic ids, so a retry after a failure at any step stores nothing
// twice. It then counts and logs, once, what it applied to each
// integration whose counter is stored (every one when it returns nil). A
// counter write that failed makes the holding forget its copy, so the
// retry starts again from the store. It does not acknowledge.
func (h *holding) execute(ctx context.Context, p *Pipeline, plans []plan) error {
	for i := range plans {
		if pl := &plans[i]; pl.skip == skipNone && pl.in.refused != nil {
			if err := p.deadLetter(ctx, pl.in.m, pl.in.refused); err != nil {
				return err
			}
		}
	}
	wr := h.writes
	// A return before a round is flushed leaves its writes unawaited; the
	// retry redoes them.
	defer wr.Discard()
	var failed error
	fail := func(err error) {
		if err != nil {
			failed = errors.Join(failed, err)
		}
	}
	var written []string
	// last is, by integration, the index of its last plan that writes the
	// counter: the counter to store.
	last := map[string]int{}
	var seqs []uint64
	for i := range plans {
		pl := &plans[i]
		for _, ev := range pl.events {
			j := len(seqs)
			seqs = append(seqs, 0)
			wr.PublishEvent(ev, func(seq uint64, err error) { seqs[j] = seq; fail(err) })
		}
		if pl.disable != nil {
			wr.PublishCommand(pl.disable.subject, pl.disable.msgID, pl.disable.data, func(_ uint64, err error) { fail(err) })
		}
		if id := pl.in.pm.IntegrationID; pl.write {
			if _, ok := last[id]; !ok {
				written = append(written, id)
			}
			last[id] = i
		}
	}
	wr.Flush(ctx)
	if failed != nil {
		return failed
	}
	j := 0
	for i := range plans {
		for _, ev := range plans[i].events {
			wr.IndexEvent(ev, seqs[j], fail)
			j++
		}
	}
	wr.Flush(ctx)
	if failed != nil {
		return failed
	}
	now := time.Now().UTC()
	// stored holds the integrations whose counter write is stored; Flush
	// runs the callbacks one after another.
	stored := make(map[string]bool, len(written))
	for _, id := range written {
		c, e := plans[last[id]].next, h.state[id]
		c.UpdatedAt = now
		wr.PutCounter(&c, e.rev, func(rev uint64, err error) {
			if err != nil {
				// Stored or not, the copy is stale: the retry reloads
				// it, catching up from what the other writer applied.
				delete(h.state, id)
				fail(err)
				return
			}
			e.c, e.rev = c, rev
			stored[id] = true
		})
	}
	wr.Flush(ctx)
	// What was applied to an integration whose counter is stored is done,
	// whatever becomes of the others' writes; when every write was stored,
	// so are the plans that changed no counter.
	h.settled(p, plans, func(id string) bool { return failed == nil || stored[id] })
	return failed
}

// settled counts and logs, in stream order, the plans of the integrations
// done says are stored, and marks their copies caught up: the messages an
// earlier holder left are among the plans. count skips what it counted
// before.
func (h *holding) settled(p *Pipeline, plans []plan, done func(integrationID string) bool) {
	for i := range plans {
		pl := &plans[i]
		id := pl.in.pm.IntegrationID
		if !done(id) {
			continue
		}
		if e := h.state[id]; e != nil {
			e.caughtUp = true
		}
		switch {
		case pl.skip == skipApplied:
			if pl.in.d != nil {
				p.log.Debugw("already applied, skipped", append(outcomeFields(id, pl.in.m.Data), "seq", pl.in.m.Seq, "numDelivered", pl.in.d.NumDelivered)...)
			}
		case pl.tally.seq != 0:
			h.count(p, id, pl.tally)
		}
	}
}
