package workload

import (
	"context"
	"fmt"

	"github.com/integration-events/integration-events/store"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// asyncWindow bounds the publishes awaiting their acknowledgement.
const asyncWindow = 4096

// Publish publishes n messages made by next, in order, with JetStream's
// asynchronous publishes (PublishMsgAsync), as a fast runner would, and
// returns once every one is acknowledged. next may block to pace the
// publishing; a message it gives a Nats-Msg-Id header is de-duplicated
// within the stream's window. acked, when not nil, is told the i and
// stream sequence of each message in order. Errors name the subject.
func Publish(ctx context.Context, nc *nats.Conn, n int, next func(i int) *nats.Msg, acked func(i int, seq uint64)) error {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(asyncWindow*2))
	if err != nil {
		return err
	}
	var pending []jetstream.PubAckFuture
	done := 0
	// settle collects acknowledgements from the front, waiting only while
	// more than keep are outstanding.
	settle := func(keep int) error {
		for len(pending) > 0 {
			f := pending[0]
			var ack *jetstream.PubAck
			if len(pending) > keep {
				select {
				case ack = <-f.Ok():
				case err := <-f.Err():
					return fmt.Errorf("publish %s: %w", f.Msg().Subject, err)
				case <-ctx.Done():
					return ctx.Err()
				}
			} else {
				select {
				case ack = <-f.Ok():
				case err := <-f.Err():
					return fmt.Errorf("publish %s: %w", f.Msg().Subject, err)
				default:
					return nil
				}
			}
			pending = pending[1:]
			if acked != nil {
				acked(done, ack.Sequence)
			}
			done++
		}
		return nil
	}
	for i := range n {
		m := next(i)
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			return fmt.Errorf("publish %s: %w", m.Subject, err)
		}
		pending = append(pending, f)
		if err := settle(asyncWindow); err != nil {
			return err
		}
	}
	return settle(-1)
}

// StoreEvents stores n events made by next through st's batched writes, as
// the processor stores the events of a batch: each de-duplicated by id and
// indexed, asyncWindow at a time. acked, when not nil, is told each event
// stored and indexed, in order.
func StoreEvents(ctx context.Context, st *store.Store, n int, next func(i int) store.StoredEvent, acked func(i int)) error {
	w, err := st.Writes()
	if err != nil {
		return err
	}
	defer w.Close()
	evs := make([]store.StoredEvent, 0, asyncWindow)
	seqs := make([]uint64, asyncWindow)
	for from := 0; from < n; from += asyncWindow {
		evs = evs[:0]
		for i := from; i < min(n, from+asyncWindow); i++ {
			evs = append(evs, next(i))
		}
		var errs []error
		fail := func(err error) {
			if err != nil {
				errs = append(errs, err)
			}
		}
		for j, ev := range evs {
			w.PublishEvent(ev, func(seq uint64, err error) { seqs[j] = seq; fail(err) })
		}
		w.Flush(ctx)
		if len(errs) > 0 {
			return errs[0]
		}
		for j, ev := range evs {
			w.IndexEvent(ev, seqs[j], fail)
		}
		w.Flush(ctx)
		if len(errs) > 0 {
			return errs[0]
		}
		if acked != nil {
			for j := range evs {
				acked(from + j)
			}
		}
	}
	return ctx.Err()
}
