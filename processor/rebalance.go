package processor

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/integration-events/integration-events/store"
)

// partition is one partition as this replica sees it. While held it has a
// subscription and its own lanes, whose counter copies live exactly as long
// as the holding: a later holding starts from the store again.
type partition struct {
	n       int
	mu      sync.Mutex
	held    *holding
	leaving bool
}

// holding is one acquisition of a partition.
type holding struct {
	sub   *store.Subscription
	lanes []*lane
	wg    sync.WaitGroup
	// epochs are the consumer positions seen when each pin was first
	// delivered under, by pin id.
	mu     sync.Mutex
	epochs map[string]epoch
	// subscribed is closed once sub is set: deliveries may come first.
	subscribed chan struct{}
	// stop ends the lanes' retries when a hand-over runs out of time.
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

// acquire starts the partition's lanes and subscribes to it.
func (p *Pipeline) acquire(ctx context.Context, part *partition) error {
	h := &holding{epochs: map[string]epoch{}, subscribed: make(chan struct{})}
	h.stop, h.cancelStop = context.WithCancel(p.hard)
	for range p.cfg.Lanes {
		l := &lane{p: p, ch: make(chan work, 256), state: map[string]*entry{}}
		h.lanes = append(h.lanes, l)
		h.wg.Add(1)
		go l.run(h)
	}
	sub, err := p.st.ConsumePartition(ctx, part.n, p.dispatch(h))
	if err != nil {
		for _, l := range h.lanes {
			close(l.ch)
		}
		h.cancelStop()
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

// dispatch hands the deliveries of one holding to its lanes.
func (p *Pipeline) dispatch(h *holding) store.Handler {
	return func(d *store.Delivery) {
		m, err := p.subj.ParsePartitioned(d.Subject)
		if err != nil {
			p.rejectMalformed(d)
			return
		}
		f := fnv.New32a()
		f.Write([]byte(m.IntegrationID))
		select {
		case h.lanes[f.Sum32()%uint32(len(h.lanes))].ch <- work{d: d, m: m}:
		case <-h.stop.Done():
		}
	}
}

// release hands a partition over in the background: stop pulling, let the
// lanes finish what they were given (until the release timeout or ctx ends),
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
		for _, l := range h.lanes {
			close(l.ch)
		}
		done := make(chan struct{})
		go func() { h.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-rctx.Done():
			h.cancelStop()
			<-done
		}
		h.cancelStop()
		uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := h.sub.Unpin(uctx); err != nil {
			p.log.Warnw("unpin failed; the partition moves after the pinned TTL", "partition", part.n, "error", err)
		}
		ucancel()
		part.mu.Lock()
		part.held, part.leaving = nil, false
		part.mu.Unlock()
		p.log.Infow("partition released", "partition", part.n)
	}()
}

// epoch is what a holding knows once the server delivers to it under a pin:
// every message delivered to an earlier holder is at or below delivered, and
// every message at or below ackFloor was acknowledged. Later messages come
// under this pin in stream order.
type epoch struct {
	ackFloor, delivered uint64
}

// epoch returns the position of pin, reading it from the consumer the first
// time the pin is seen. Being delivered under the pin, this replica is now the
// only one the server delivers to, so the position read now bounds what any
// earlier holder was given.
func (h *holding) epoch(ctx context.Context, pin string) (epoch, error) {
	select {
	case <-h.subscribed:
	case <-ctx.Done():
		return epoch{}, ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ep, ok := h.epochs[pin]; ok {
		return ep, nil
	}
	floor, delivered, err := h.sub.Position(ctx)
	if err != nil {
		return epoch{}, err
	}
	ep := epoch{ackFloor: floor, delivered: delivered}
	h.epochs[pin] = ep
	return ep, nil
}
