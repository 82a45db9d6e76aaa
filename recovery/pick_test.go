package recovery

import (
	"slices"
	"testing"

	"github.com/integration-events/integration-events/subjects"
)

// counted is a counted error event of kind k at streak position n.
func counted(id string, k subjects.Kind, n int) Event {
	return Event{ID: id, Kind: k, ConsecutiveFailures: n}
}

// notCounted is an error event of a kind the policy does not count, raised
// while the streak was at n.
func notCounted(id string, n int) Event {
	return Event{ID: id, Kind: subjects.KindValidation, NotCounted: true, ConsecutiveFailures: n}
}

func warning(id string) Event { return Event{ID: id, Kind: subjects.KindWarning} }

func TestPick(t *testing.T) {
	perform, auth := subjects.KindPerform, subjects.KindAuthentication
	cases := []struct {
		name         string
		failedRuns   int
		newestFirst  []Event
		want         []string
		wantComplete bool
	}{
		{
			name:       "a streak with a warning and an uncounted failure, then the previous streak",
			failedRuns: 3,
			newestFirst: []Event{
				counted("f3", perform, 3), warning("w"), notCounted("v", 2), counted("f2", auth, 2), counted("f1", perform, 1),
				{ID: "old-rec", Kind: subjects.KindRecovered}, counted("old-f1", perform, 1),
			},
			want: []string{"f3", "w", "f2", "f1"}, wantComplete: true,
		},
		{
			name:        "a warning of the first failure is after it, so it is reached first",
			failedRuns:  1,
			newestFirst: []Event{warning("w"), counted("f1", perform, 1), counted("old", perform, 4)},
			want:        []string{"w", "f1"}, wantComplete: true,
		},
		{
			name:        "an uncounted failure with consecutiveFailures 1 does not end the walk",
			failedRuns:  2,
			newestFirst: []Event{counted("f2", perform, 2), notCounted("v", 1), counted("f1", perform, 1), notCounted("before", 0)},
			want:        []string{"f2", "f1"}, wantComplete: true,
		},
		{
			name:        "an uncounted failure older than the first is not reached",
			failedRuns:  1,
			newestFirst: []Event{counted("f1", perform, 1), notCounted("v", 0)},
			want:        []string{"f1"}, wantComplete: true,
		},
		{
			name:        "failedRuns counted events end the walk even without a first one",
			failedRuns:  2,
			newestFirst: []Event{counted("f5", perform, 5), counted("f4", perform, 4), counted("f3", perform, 3)},
			want:        []string{"f5", "f4"}, wantComplete: true,
		},
		{
			name:        "the start aged out: what is there is the streak's",
			failedRuns:  5,
			newestFirst: []Event{counted("f5", perform, 5), warning("w"), counted("f4", perform, 4)},
			want:        []string{"f5", "w", "f4"}, wantComplete: false,
		},
		{
			name:        "an earlier disabled event ends the walk and is not actioned",
			failedRuns:  0,
			newestFirst: []Event{counted("f2", perform, 2), {ID: "d", Kind: subjects.KindDisabled}, counted("f9", perform, 9)},
			want:        []string{"f2"}, wantComplete: true,
		},
		{
			name:        "a copy of an event stored twice counts once",
			failedRuns:  2,
			newestFirst: []Event{counted("f2", perform, 2), counted("f2", perform, 2), counted("f1", perform, 1)},
			want:        []string{"f2", "f1"}, wantComplete: true,
		},
		{
			name:        "an event of an unknown kind is skipped",
			failedRuns:  1,
			newestFirst: []Event{{ID: "x", Kind: "future"}, counted("f1", perform, 1)},
			want:        []string{"f1"}, wantComplete: true,
		},
		{
			name: "no events", failedRuns: 3,
			want: nil, wantComplete: false,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, complete := pick(c.failedRuns, c.newestFirst)
			if !slices.Equal(got, c.want) || complete != c.wantComplete {
				t.Fatalf("Pick = %v, %t; want %v, %t", got, complete, c.want, c.wantComplete)
			}
		})
	}
}
