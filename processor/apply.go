package processor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap/zapcore"
)

// errOneByOne sends a batch to be applied one delivery at a time. It is not
// a failure: a batch whose deliveries span two epochs is applied that way.
var errOneByOne = errors.New("applied one at a time")

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
	epoch store.Epoch
	// caughtUp is set once every stored message older than the ones the
	// consumer delivers from now on has been applied.
	caughtUp bool
}

// apply applies deliveries of one epoch, sorted in stream order, without
// acknowledging them: it gathers their inputs (inputs), looks up the
// resends among them in stream order, plans them on copies of the counters
// (planAll) and stores the plans (execute). It is the one path: a batch
// and the one-at-a-time fall-back both take it.
func (h *holding) apply(ctx context.Context, p *Pipeline, ws []work) error {
	ins, err := h.inputs(ctx, p, ws)
	if err != nil {
		return err
	}
	counters := make(map[string]subjects.FailureCounter)
	for i := range ins {
		in := &ins[i]
		id := in.pm.IntegrationID
		e := h.state[id]
		counters[id] = e.c
		// Sorted and without repeats, the inputs move a counter past
		// none that come later: the copy's sequence is as good as the
		// moving one's.
		if !needsLookup(&e.c, in) {
			continue
		}
		if in.firstSeq, err = h.firstCarrier(ctx, p, id, &in.outcome, in.m); err != nil {
			return err
		}
	}
	plans, err := planAll(counters, ins, p.cfg.Policy, p.subj)
	if err != nil {
		return err
	}
	return h.execute(ctx, p, plans)
}

// inputs returns the inputs of ws, decoded, in stream order and each
// sequence once, after making sure every integration of ws has a counter
// copy of the epoch (loading the missing ones at once). The first time
// the holding sees an integration in an epoch, the inputs begin with the
// messages of that integration an earlier holder was given and may not
// have applied: after a restart or a hand-over JetStream hands out new
// messages at once but redelivers those only after AckWait, so without
// this an older outcome could be applied after a newer one, and then
// skipped as already applied.
func (h *holding) inputs(ctx context.Context, p *Pipeline, ws []work) ([]input, error) {
	epochID := ws[0].d.Epoch
	for _, w := range ws {
		if w.d.Epoch != epochID {
			return nil, fmt.Errorf("%w: deliveries of two epochs", errOneByOne)
		}
	}
	ep, err := h.epoch(ctx, p, epochID)
	if err != nil {
		return nil, err
	}
	if err := h.loadEntries(ctx, p, ws, epochID); err != nil {
		return nil, err
	}
	ins := make([]input, 0, len(ws))
	seen := make(map[string]bool)
	for _, w := range ws {
		id := w.m.IntegrationID
		if e := h.state[id]; !e.caughtUp && !seen[id] {
			seen[id] = true
			for _, m := range ep.missed[id] {
				if !ep.unapplied(m, e.c.LastAppliedSeq) {
					continue
				}
				pm, err := p.subj.ParsePartitioned(m.Subject)
				if err != nil {
					continue
				}
				p.log.Debugw("catching up", append(outcomeFields(id, m.Data), "seq", m.Seq, "ackFloor", ep.ackFloor)...)
				ins = append(ins, input{m: m, pm: pm})
			}
		}
		ins = append(ins, input{m: w.d.Msg, pm: w.m, d: w.d})
	}
	// Stream order, which is each integration's order: a redelivery may
	// come after newer messages, and a caught-up message in the batch too.
	slices.SortStableFunc(ins, func(a, b input) int { return cmp.Compare(a.m.Seq, b.m.Seq) })
	ins = slices.CompactFunc(ins, func(a, b input) bool { return a.m.Seq == b.m.Seq })
	for i := range ins {
		if ins[i].m.Seq > h.state[ins[i].pm.IntegrationID].c.LastAppliedSeq {
			ins[i].decode()
		}
	}
	return ins, nil
}

// loadEntries makes sure every integration of ws has a counter copy of
// epochID, loading the missing ones at once.
func (h *holding) loadEntries(ctx context.Context, p *Pipeline, ws []work, epochID store.Epoch) error {
	// missing are the first deliveries of the integrations to load, which
	// the log names them by.
	var missing []*store.Delivery
	var ids []string
	toLoad := make(map[string]bool)
	for _, w := range ws {
		id := w.m.IntegrationID
		if e, ok := h.state[id]; (!ok || e.epoch != epochID) && !toLoad[id] {
			toLoad[id] = true
			missing, ids = append(missing, w.d), append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	cs, revs, err := p.st.CountersOf(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		h.state[id] = &entry{c: cs[i], rev: revs[i], epoch: epochID}
		if p.core.Enabled(zapcore.DebugLevel) {
			p.log.Debugw("counter loaded", append(outcomeFields(id, missing[i].Data), "epoch", epochID.String(), "rev", revs[i], "lastAppliedSeq", cs[i].LastAppliedSeq)...)
		}
	}
	return nil
}
