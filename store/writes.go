package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Writes collects writes that are sent at once, without waiting for each
// acknowledgement, and awaited together by Flush: a partition's pipeline
// makes one round trip per step of a whole batch of outcomes instead of one
// per outcome. Each write is the same message the synchronous method of the
// same name sends, so the two can be mixed and retried over each other.
// A Writes is used by one goroutine.
type Writes struct {
	s   *Store
	ops []pendingWrite
}

// pendingWrite is one write in flight and what to do with its outcome.
type pendingWrite struct {
	f    jetstream.PubAckFuture
	done func(seq uint64, err error)
}

// Writes returns an empty set of writes.
func (s *Store) Writes() *Writes { return &Writes{s: s} }

func (w *Writes) send(m *nats.Msg, msgID string, done func(seq uint64, err error)) {
	opts := []jetstream.PublishOpt{jetstream.WithStallWait(asyncStallWait)}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	f, err := w.s.js.PublishMsgAsync(m, opts...)
	if err != nil {
		done(0, fmt.Errorf("publish %s: %w", m.Subject, err))
		return
	}
	w.ops = append(w.ops, pendingWrite{f: f, done: done})
}

// Len is the number of writes not yet flushed.
func (w *Writes) Len() int { return len(w.ops) }

// Flush waits until every write sent is acknowledged or failed, and tells
// each its outcome. It returns early only when ctx ends; the writes not
// awaited then are told ctx's error.
func (w *Writes) Flush(ctx context.Context) {
	for i, op := range w.ops {
		select {
		case ack := <-op.f.Ok():
			op.done(ack.Sequence, nil)
		case err := <-op.f.Err():
			op.done(0, err)
		case <-ctx.Done():
			for _, rest := range w.ops[i:] {
				rest.done(0, ctx.Err())
			}
			w.ops = w.ops[:0]
			return
		}
	}
	w.ops = w.ops[:0]
}

// expectLast asks the stream to store a message only if its subject's last
// sequence is rev (0: no message yet), as KV Create and Update do.
func expectLast(rev uint64) nats.Header {
	return nats.Header{"Nats-Expected-Last-Subject-Sequence": []string{strconv.FormatUint(rev, 10)}}
}

// ClaimRun claims run runID of integrationID for stream sequence seq, as
// Store.ClaimRun does. done is told claimed when this write made the
// claim; when it did not, the run was claimed before (by seq itself before
// a crash, or by another sequence) and Store.ClaimRun says by which.
func (w *Writes) ClaimRun(integrationID, runID string, seq uint64, done func(claimed bool, err error)) {
	subject := "$KV." + BucketSeenRuns + "." + seenKey(integrationID, runID)
	w.send(&nats.Msg{Subject: subject, Data: []byte(strconv.FormatUint(seq, 10)), Header: expectLast(0)}, "", func(_ uint64, err error) {
		if isConflict(err) {
			done(false, nil)
			return
		}
		if err != nil {
			err = fmt.Errorf("claim run %s of %s: %w", runID, integrationID, err)
		}
		done(err == nil, err)
	})
}

// PublishEvent stores an event on its subject, de-duplicated by id, as
// Store.PublishEvent does, and tells done its stream sequence. The event
// is not indexed until IndexEvent is flushed.
func (w *Writes) PublishEvent(ev StoredEvent, done func(seq uint64, err error)) {
	hdr := nats.Header{"Content-Type": []string{subjects.CloudEventsContentType}}
	subject := w.s.subj.Event(ev.Kind, ev.IntegrationID)
	w.send(&nats.Msg{Subject: subject, Data: ev.CloudEvent, Header: hdr}, ev.ID, func(seq uint64, err error) {
		if err != nil {
			err = fmt.Errorf("publish %s: %w", subject, err)
		}
		done(seq, err)
	})
}

// IndexEvent indexes an event stored at seq; indexing it again is harmless.
func (w *Writes) IndexEvent(ev StoredEvent, seq uint64, done func(err error)) {
	b, err := json.Marshal(indexEntry{ID: ev.ID, EventName: ev.Kind.EventName(), IntegrationID: ev.IntegrationID, EventTime: ev.Time, Seq: seq})
	if err != nil {
		done(err)
		return
	}
	w.send(&nats.Msg{Subject: "$KV." + BucketEvents + "." + ev.ID, Data: b, Header: expectLast(0)}, "", func(_ uint64, err error) {
		if err != nil && !isConflict(err) {
			done(fmt.Errorf("index event %s: %w", ev.ID, err))
			return
		}
		done(nil)
	})
}

// PublishCommand stores a command, de-duplicated by msgID.
func (w *Writes) PublishCommand(subject, msgID string, data []byte, done func(err error)) {
	hdr := nats.Header{"Content-Type": []string{"application/json"}}
	w.send(&nats.Msg{Subject: subject, Data: data, Header: hdr}, msgID, func(_ uint64, err error) {
		if err != nil {
			err = fmt.Errorf("publish %s: %w", subject, err)
		}
		done(err)
	})
}

// PutCounter stores c if its stored revision is still rev, as
// Store.PutCounter does, and tells done the new revision or ErrConflict.
func (w *Writes) PutCounter(c *subjects.FailureCounter, rev uint64, done func(rev uint64, err error)) {
	b, err := json.Marshal(c)
	if err != nil {
		done(0, err)
		return
	}
	w.send(&nats.Msg{Subject: "$KV." + BucketCounters + "." + c.IntegrationID, Data: b, Header: expectLast(rev)}, "", func(next uint64, err error) {
		switch {
		case isConflict(err):
			err = fmt.Errorf("counter %s at revision %d: %w", c.IntegrationID, rev, ErrConflict)
		case err != nil:
			err = fmt.Errorf("counter %s: %w", c.IntegrationID, err)
		}
		done(next, err)
	})
}

// asyncMaxPending bounds the asynchronous writes in flight on the
// connection; a partition's batch is at most MaxAckPending outcomes, each
// with a few writes.
const asyncMaxPending = 1 << 16

// asyncStallWait is how long an asynchronous write waits for room.
const asyncStallWait = 10 * time.Second
