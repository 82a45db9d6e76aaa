package processor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/resend"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// expireEvery is how often a partition's worker forgets the runs that left
// the resend window: often enough that the guard holds little more than the
// window, rarely enough that the pass (a few ms per 100,000 runs) is noise.
const expireEvery = 5 * time.Minute

// expireSlack keeps runs that long past the window of the newest message
// decided, for the catch-up of older messages an earlier holder left.
const expireSlack = time.Hour

// guardReadTimeout bounds one read of the stream into a guard, and
// guardReadAttempt each of its attempts.
const (
	guardReadTimeout = 5 * time.Minute
	guardReadAttempt = 10 * time.Second
)

// firstCarrier returns the stream sequence of the message that first
// carried outcome o's run within the resend window: m's own when m is the
// first, an earlier one when m is a resend. A candidate the guard names is
// confirmed by reading it back (the same integration, an outcome the
// processor admits, the same run id), so a hash collision or a refused
// earlier copy never makes a real outcome a resend. m is recorded whatever
// the answer.
func (h *holding) firstCarrier(ctx context.Context, p *Pipeline, id string, o *subjects.RunOutcome, m store.Msg) (uint64, error) {
	g := h.part.guard
	key := resend.Key(id, o.RunID)
	first := m.Seq
	for _, seq := range g.Earlier(key, m.Seq, m.Time) {
		ok, err := p.carries(ctx, seq, id, o.RunID)
		if err != nil {
			return 0, err
		}
		if ok {
			first = seq
			break
		}
	}
	// Every copy is recorded, a resend too, as the stream read records
	// it, so a restart decides a later copy as this holding would have.
	g.Record(key, m.Seq, m.Time)
	g.Cover(m.Seq)
	h.part.decided(m.Time)
	return first, nil
}

// decided notes the stream time of a message the worker decided: later
// messages are stored no earlier, so what the window before it (less
// expireSlack, for a catch-up of older ones) no longer holds can go.
func (part *partition) decided(at time.Time) {
	if at.After(part.lastDecided) {
		part.lastDecided = at
	}
}

// carries reports whether the message at seq is an outcome of integration
// id with run runID that the processor admits.
func (p *Pipeline) carries(ctx context.Context, seq uint64, id, runID string) (bool, error) {
	m, err := p.st.RunAt(ctx, seq)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	pm, err := p.subj.ParsePartitioned(m.Subject)
	if err != nil || pm.Kind != subjects.StoredRun || pm.IntegrationID != id {
		return false, nil
	}
	o, err := Admit(id, m.Data, m.Time)
	return err == nil && o.RunID == runID, nil
}

// completeGuard makes the partition's guard hold every run the partition
// stored up to sequence through: restored from its checkpoint the first
// time, then brought up to date from the stream. It runs at the first
// delivery of each epoch, when through (the consumer's last delivered
// sequence) bounds what any earlier holder was handed.
func (h *holding) completeGuard(ctx context.Context, p *Pipeline, floor, through uint64) error {
	part := h.part
	window := p.st.Config().ResendWindow
	if part.guard == nil || (len(h.epochs) == 0 && part.guard.Covered() < through) {
		// At the holding's first epoch nothing is decided yet, and the
		// holder before has saved its checkpoint before unpinning: a newer
		// one than the one read at acquire saves reading the stream.
		if g := p.restoreGuard(ctx, part.n, window); part.guard == nil || g.Covered() > part.guard.Covered() {
			part.guard = g
		}
	}
	g := part.guard
	if g.Covered() >= through {
		return nil
	}
	began, after := time.Now(), g.Covered()
	scanned := 0
	record := func(m store.Msg) error {
		if pm, err := p.subj.ParsePartitioned(m.Subject); err == nil && pm.Kind == subjects.StoredRun {
			if run := subjects.RunIDOf(m.Data); run != "" {
				g.Record(resend.Key(pm.IntegrationID, run), m.Seq, m.Time)
				scanned++
			}
		}
		g.Cover(m.Seq)
		return nil
	}
	// The read may outlast the batch that asked for it (a whole window
	// after a crash), so it has its own time. It is made in attempts: an
	// ordered consumer can go quiet under load and never deliver again, so
	// an attempt that ends goes on from what it covered with a new one, as
	// long as each makes progress.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), guardReadTimeout)
	defer cancel()
	stop := context.AfterFunc(h.stop, cancel)
	defer stop()
	for g.Covered() < through {
		from := g.Covered()
		var since time.Time
		if from == 0 {
			since = p.oldestUndecided(sctx, floor).Add(-window - expireSlack)
		}
		actx, acancel := context.WithTimeout(sctx, guardReadAttempt)
		err := h.sub.Scan(actx, from, since, through, record)
		acancel()
		if err == nil {
			break
		}
		if sctx.Err() != nil || g.Covered() == from {
			return fmt.Errorf("resend guard of partition %d from %d: %w", part.n, from+1, err)
		}
		p.log.Infow("resend guard read goes on with a new consumer", "partition", part.n, "covered", g.Covered(), "through", through, "error", err)
	}
	g.Cover(through)
	part.noteGuard(began)
	p.log.Infow("resend guard brought up to date", "partition", part.n, "from", after+1, "through", through, "outcomesRead", scanned, "runsInWindow", g.Runs(), "took", time.Since(began))
	return nil
}

// oldestUndecided is the stream time of the message after the ack floor,
// the oldest any holder may still decide (the clock when there is none).
func (p *Pipeline) oldestUndecided(ctx context.Context, floor uint64) time.Time {
	now := time.Now()
	if m, err := p.st.RunAt(ctx, floor+1); err == nil && m.Time.Before(now) {
		return m.Time
	}
	return now
}

// restoreGuard returns partition n's guard from its checkpoint, or an empty
// one (which the caller fills from the whole window of the stream) when
// there is none it can use.
func (p *Pipeline) restoreGuard(ctx context.Context, n int, window time.Duration) *resend.Guard {
	b, err := p.st.LoadResendCheckpoint(ctx, n)
	if err == nil {
		g, rerr := resend.Restore(b, window, time.Time{})
		if rerr == nil {
			p.log.Infow("resend guard restored", "partition", n, "covered", g.Covered(), "runsInWindow", g.Runs())
			return g
		}
		err = rerr
	}
	if !errors.Is(err, store.ErrNotFound) {
		p.log.Warnw("resend checkpoint not used; reading the window from the stream", "partition", n, "error", err)
	}
	return resend.New(window)
}

// saveGuard checkpoints partition part's guard. It runs once the worker
// that owns the guard has returned. A failure costs the next holder a
// longer read of the stream, nothing else.
func (p *Pipeline) saveGuard(ctx context.Context, part *partition) {
	if part.guard == nil {
		return
	}
	b, err := part.guard.MarshalBinary()
	if err == nil {
		err = p.st.SaveResendCheckpoint(ctx, part.n, b)
	}
	if err != nil {
		p.log.Warnw("resend checkpoint not saved; the next holder reads more of the stream", "partition", part.n, "error", err)
		return
	}
	p.log.Debugw("resend checkpoint saved", "partition", part.n, "covered", part.guard.Covered(), "runsInWindow", part.guard.Runs(), "bytes", len(b))
}

// noteGuard publishes the guard's size for RunsInResendWindow and forgets
// the runs that left the window, at most every expireEvery. Only the
// partition's worker calls it.
func (part *partition) noteGuard(now time.Time) {
	if now.Sub(part.expired) >= expireEvery && !part.lastDecided.IsZero() {
		// Stream time, not the clock: a backlog hours old still needs the
		// runs of the window before its own messages.
		part.guard.Expire(part.lastDecided.Add(-expireSlack))
		part.expired = now
	}
	part.runsInWindow.Store(int64(part.guard.Runs()))
}

// RunsInResendWindow returns how many distinct runs the partitions this
// replica holds remember for the resend window, as of their last batch.
func (p *Pipeline) RunsInResendWindow() int {
	n := int64(0)
	for _, part := range p.parts {
		n += part.runsInWindow.Load()
	}
	return int(n)
}
