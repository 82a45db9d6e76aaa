package processor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/integration-events/integration-events/resend"
	"github.com/integration-events/integration-events/store"
)

// partition is one partition as this replica sees it. While held it has a
// subscription and its own worker, whose counter copies live exactly as long
// as the holding: a later holding starts from the store again.
type partition struct {
	n       int
	mu      sync.Mutex
	held    *holding
	leaving bool
	// counted is, by integration, the last sequence the metrics counted:
	// it outlives holdings, so a redelivery to a later one is not counted
	// again. Only the holding's worker uses it, one holding at a time.
	counted map[string]uint64
	// guard remembers the partition's runs in the resend window (nil until
	// the first holding's first epoch); like counted, it outlives holdings
	// and is used by one worker at a time. expired is its last Expire.
	guard   *resend.Guard
	expired time.Time
	// lastDecided is the stream time of the newest message the worker
	// decided, which expiry is measured from.
	lastDecided time.Time
	// runsInWindow is guard.Len() as of the worker's last batch, for
	// readers outside the worker.
	runsInWindow atomic.Int64
}

// holding is one acquisition of a partition. Its worker goroutine applies
// the deliveries in batches (batch.go); epochs and state belong to it.
type holding struct {
	part *partition
	sub  *store.Subscription
	// queue holds the deliveries in the order the server sent them.
	queue chan work
	// closing tells the worker the subscription has stopped: it finishes
	// what is queued and returns, closing done.
	closing, done chan struct{}
	// epochs are the consumer positions seen at the first delivery of each
	// delivery epoch (store.Delivery.Epoch), by epoch.
	epochs map[store.Epoch]*epoch
	// state holds the counter copies, by integration id.
	state map[string]*entry
	// writes sends the worker's batches of writes.
	writes *store.Writes
	// counted is the partition's: see partition.counted.
	counted map[string]uint64
	// subscribed is closed once sub is set: deliveries may come first.
	subscribed chan struct{}
	// stop ends the worker's retries when a hand-over runs out of time.
	stop       context.Context
	cancelStop context.CancelFunc
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
		has, leaving := part.held != nil, part.leaving
		part.mu.Unlock()
		switch {
		case want && !has:
			if err := p.acquire(ctx, part); err != nil {
				return err
			}
		case !want && has && !leaving:
			p.release(p.hard, part)
		}
	}
	return nil
}

// acquire starts the partition's worker and subscribes to it. The first
// time, it restores the partition's resend guard from its checkpoint first,
// so a start has it in memory before the first delivery waits on it.
func (p *Pipeline) acquire(ctx context.Context, part *partition) error {
	if part.guard == nil {
		part.guard = p.restoreGuard(ctx, part.n, p.st.Config().ResendWindow)
	}
	h := &holding{part: part, epochs: map[store.Epoch]*epoch{}, state: map[string]*entry{}, counted: part.counted, queue: make(chan work, 4*p.cfg.Batch),
		closing: make(chan struct{}), done: make(chan struct{}), subscribed: make(chan struct{})}
	h.stop, h.cancelStop = context.WithCancel(p.hard)
	var err error
	if h.writes, err = p.st.Writes(); err != nil {
		h.cancelStop()
		return err
	}
	go h.run(p)
	sub, err := p.st.ConsumePartition(ctx, part.n, p.dispatch(h))
	if err != nil {
		h.cancelStop()
		close(h.closing)
		<-h.done
		h.writes.Close()
		return err
	}
	h.sub = sub
	close(h.subscribed)
	part.mu.Lock()
	part.held = h
	part.mu.Unlock()
	p.log.Infow("partition acquired", "partition", part.n)
	return nil
}

// dispatch queues the deliveries of one holding for its worker.
func (p *Pipeline) dispatch(h *holding) store.Handler {
	return func(d *store.Delivery) {
		m, err := p.subj.ParsePartitioned(d.Subject)
		if err != nil {
			p.rejectMalformed(d)
			return
		}
		select {
		case h.queue <- work{d: d, m: m}:
		case <-h.stop.Done():
		}
	}
}

// release hands a partition over in the background: stop pulling, let the
// worker finish what it was given (until the release timeout or ctx ends),
// then unpin so the new owner starts at once.
func (p *Pipeline) release(ctx context.Context, part *partition) {
	part.mu.Lock()
	h := part.held
	if h == nil || part.leaving {
		part.mu.Unlock()
		return
	}
	part.leaving = true
	part.mu.Unlock()
	p.releases.Add(1)
	go func() {
		defer p.releases.Done()
		rctx, cancel := context.WithTimeout(ctx, p.cfg.ReleaseTimeout)
		defer cancel()
		h.sub.Stop(rctx)
		close(h.closing)
		select {
		case <-h.done:
		case <-rctx.Done():
			h.cancelStop()
			<-h.done
		}
		h.cancelStop()
		h.writes.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		p.saveGuard(sctx, part)
		scancel()
		// The next holder, this replica again or another, starts from the
		// checkpoint: the memory is not kept for a partition not held.
		part.guard = nil
		part.runsInWindow.Store(0)
		uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := h.sub.Unpin(uctx, h.pins()); err != nil {
			p.log.Warnw("unpin failed; the partition moves after the pinned TTL", "partition", part.n, "error", err)
		}
		ucancel()
		part.mu.Lock()
		part.held, part.leaving = nil, false
		part.mu.Unlock()
		p.log.Infow("partition released", "partition", part.n)
	}()
}

// epoch is what a holding knows at the first delivery of a delivery epoch:
// every message at or below ackFloor was acknowledged, and missed holds, by
// integration, the messages above it up to the last one delivered, which
// an earlier holder (or consumer leader) may have handed out and not had
// applied. Later deliveries of the epoch come in stream order.
type epoch struct {
	pin      string
	ackFloor uint64
	missed   map[string][]store.Msg
}

// epoch returns epoch id, reading it from the consumer and the stream
// at its first delivery. Being delivered to under the epoch's pin, this
// replica is now the only one the server delivers to, so the position read
// now bounds what was handed out before.
func (h *holding) epoch(ctx context.Context, p *Pipeline, id store.Epoch) (*epoch, error) {
	select {
	case <-h.subscribed:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if ep, ok := h.epochs[id]; ok {
		return ep, nil
	}
	floor, delivered, err := h.sub.Position(ctx)
	if err != nil {
		return nil, err
	}
	msgs, err := h.sub.Range(ctx, floor, delivered)
	if err != nil {
		return nil, err
	}
	if err := h.completeGuard(ctx, p, floor, delivered); err != nil {
		return nil, err
	}
	ep := &epoch{pin: id.Pin, ackFloor: floor, missed: map[string][]store.Msg{}}
	for _, m := range msgs {
		if pm, err := p.subj.ParsePartitioned(m.Subject); err == nil {
			ep.missed[pm.IntegrationID] = append(ep.missed[pm.IntegrationID], m)
		}
	}
	p.log.Debugw("new delivery epoch", "epoch", id.String(), "ackFloor", floor, "delivered", delivered, "unacknowledged", len(msgs))
	h.epochs[id] = ep
	return ep, nil
}

// unapplied reports whether missed message m may not have been applied by a
// counter that has applied up to sequence applied.
func (ep *epoch) unapplied(m store.Msg, applied uint64) bool {
	return m.Seq > max(applied, ep.ackFloor)
}

// pins are the pin ids the holding was delivered under.
func (h *holding) pins() []string {
	var out []string
	for _, ep := range h.epochs {
		if ep.pin != "" && !slices.Contains(out, ep.pin) {
			out = append(out, ep.pin)
		}
	}
	return out
}
