package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// EventsBefore calls fn with each of integrationID's events (subjects
// <root>.events.*.<integrationId>) stored in INTEGRATION_EVENTS before
// stream sequence before, newest first, until fn returns false or an
// error, or the stream's start. before must be the sequence of a stored
// event of the integration (a delivered one): it anchors the reads.
//
// It reads backwards in windows, each forward from its bottom with direct
// gets, which a follower that lags the leader may answer. A window is
// taken as whole only once a read returns the stored event just above it,
// so a lagging answer is read again rather than taken for the end; when
// that event has aged out meanwhile, so has all below it and the walk ends.
// fn's error is returned as it is; an integrationID that is no valid id is
// an error wrapping subjects.ErrBadIntegrationID.
func (s *Store) EventsBefore(ctx context.Context, integrationID string, before uint64, fn func(Msg) (bool, error)) error {
	if err := subjects.ValidateIntegrationID(integrationID); err != nil {
		return fmt.Errorf("events before %d: %w", before, err)
	}
	if before <= 1 {
		return nil
	}
	filter := s.subj.EventFilter("", integrationID)
	info, err := s.events.Info(ctx)
	if err != nil {
		return fmt.Errorf("events of %s before %d: %w", integrationID, before, err)
	}
	first := max(info.State.FirstSeq, 1)
	// anchor is the lowest stored event known above cursor, the window's
	// top: the first event of the filter after cursor.
	anchor, cursor, window := before, before-1, uint64(32)
	for cursor >= first {
		lo := first
		if cursor-first >= window {
			lo = cursor - window + 1
		}
		msgs, gone, err := s.eventsUpTo(ctx, filter, lo, anchor)
		if err != nil || gone {
			return err
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			more, err := fn(msgs[i])
			if err != nil || !more {
				return err
			}
		}
		if len(msgs) > 0 {
			anchor = msgs[0].Seq
		}
		cursor = lo - 1
		window = min(window*2, 1<<20)
	}
	return nil
}

// eventsUpTo returns the messages on filter from sequence lo up to,
// without, anchor, in stream order: it reads forward until a read returns
// anchor. A read that finds nothing before it is a lagging follower's, read
// again, or anchor has aged out, and all below it: gone is then true.
func (s *Store) eventsUpTo(ctx context.Context, filter string, lo, anchor uint64) (msgs []Msg, gone bool, err error) {
	for seq, try := lo, 0; ; {
		m, err := s.events.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			if s.agedOut(ctx, anchor) {
				return nil, true, nil
			}
			if try++; try > maxLagTries {
				return nil, false, fmt.Errorf("events of %s from %d: no read returned sequence %d, which is stored, after %d tries", filter, seq, anchor, maxLagTries)
			}
			select {
			case <-time.After(time.Duration(try) * 20 * time.Millisecond):
			case <-ctx.Done():
				return nil, false, fmt.Errorf("events of %s from %d: %w", filter, seq, ctx.Err())
			}
			continue
		case err != nil:
			return nil, false, fmt.Errorf("events of %s from %d: %w", filter, seq, err)
		case m.Sequence >= anchor:
			return msgs, false, nil
		}
		msgs = append(msgs, Msg{Stream: StreamEvents, Subject: m.Subject, Seq: m.Sequence, Time: m.Time, Data: m.Data, Header: m.Header})
		seq = m.Sequence + 1
	}
}

// maxLagTries bounds the reads eventsUpTo makes of one sequence that a
// lagging follower answered.
const maxLagTries = 20

// agedOut reports whether INTEGRATION_EVENTS, as its leader says, now
// starts after sequence seq. An error reads as false: the caller reads
// again.
func (s *Store) agedOut(ctx context.Context, seq uint64) bool {
	info, err := s.events.Info(ctx)
	return err == nil && info.State.FirstSeq > seq
}
