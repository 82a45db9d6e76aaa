package recovery

import (
	"slices"

	"github.com/integration-events/integration-events/subjects"
)

// Event is what Walk needs of one of an integration's stored events.
type Event struct {
	ID                  string
	Kind                subjects.Kind
	NotCounted          bool
	ConsecutiveFailures int
}

// Walk decides, event by event, which of an integration's events stored
// before a recovery belong to the streak it ended and are to be actioned.
// It is given them newest first. The streak is every event after its first
// failure: outcomes of one integration are applied in stream order, and a
// success or an enable ends a streak. Its counted error events and its
// warnings are actioned; an error event that did not count is not (a
// success does not fix a bad bill). The walk stops at the counted error
// event that began the streak (consecutiveFailures 1), once it has seen
// failedRuns counted error events, or at an earlier streak's disabled or
// recovered event (the streak began after it).
type Walk struct {
	failedRuns int
	counted    int
	seen       map[string]bool
}

// NewWalk returns the walk back from a recovery whose failedRuns is
// failedRuns (0 or less: stop only where the streak began).
func NewWalk(failedRuns int) *Walk {
	return &Walk{failedRuns: failedRuns, seen: map[string]bool{}}
}

// Next reports whether e, the next older event, is to be actioned, and
// whether the walk is done: no older event belongs to the streak.
func (w *Walk) Next(e Event) (action, done bool) {
	if w.seen[e.ID] {
		// A copy stored again: it counted once.
		return false, false
	}
	w.seen[e.ID] = true
	switch {
	case e.Kind == subjects.KindRecovered || e.Kind == subjects.KindDisabled:
		return false, true
	case e.Kind == subjects.KindWarning:
		return true, false
	case !slices.Contains(subjects.FailureKinds, e.Kind) || e.NotCounted:
		return false, false
	}
	w.counted++
	return true, e.ConsecutiveFailures <= 1 || w.failedRuns > 0 && w.counted >= w.failedRuns
}

// pick returns the ids of the events of newestFirst to action for a
// recovery of failedRuns, newest first, and whether the walk reached the
// streak's start (false: the events ran out first, aged out of the
// stream).
func pick(failedRuns int, newestFirst []Event) (ids []string, complete bool) {
	w := NewWalk(failedRuns)
	for _, e := range newestFirst {
		action, done := w.Next(e)
		if action {
			ids = append(ids, e.ID)
		}
		if done {
			return ids, true
		}
	}
	return ids, false
}
