package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// Counter returns the failure counter of integrationID and its KV revision.
// An integration never seen has a zero counter at revision 0.
func (s *Store) Counter(ctx context.Context, integrationID string) (subjects.FailureCounter, uint64, error) {
	var c subjects.FailureCounter
	e, err := s.counters.Get(ctx, integrationID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return c, 0, nil
	}
	if err != nil {
		return c, 0, fmt.Errorf("counter %s: %w", integrationID, err)
	}
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return c, 0, fmt.Errorf("counter %s at revision %d is not a FailureCounter: %w", integrationID, e.Revision(), err)
	}
	return c, e.Revision(), nil
}

// PutCounter stores c if the stored revision is still rev (0: not stored
// yet) and returns the new revision, as Writes.PutCounter does. It returns
// ErrConflict when another writer got there first.
func (s *Store) PutCounter(ctx context.Context, c *subjects.FailureCounter, rev uint64) (uint64, error) {
	return s.writeOne(ctx, func(w *Writes, done func(uint64, error)) { w.PutCounter(c, rev, done) })
}

// CountersOf returns the failure counters of ids and their revisions, as
// Counter does, read at once.
func (s *Store) CountersOf(ctx context.Context, ids []string) ([]subjects.FailureCounter, []uint64, error) {
	cs, revs := make([]subjects.FailureCounter, len(ids)), make([]uint64, len(ids))
	err := readAtOnce(len(ids), func(i int) (err error) {
		cs[i], revs[i], err = s.Counter(ctx, ids[i])
		return err
	})
	return cs, revs, err
}
