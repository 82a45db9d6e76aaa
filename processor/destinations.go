package processor

import (
	"slices"
	"strings"
	"sync"

	"github.com/integration-events/integration-events/metrics"
)

// Destinations are the destinations Classification names, in its order:
// the destination label values of integration_events_outcomes_total.
var Destinations = sync.OnceValue(func() []string {
	var out []string
	for _, r := range Classification {
		if r.Destination != "" && !slices.Contains(out, r.Destination) {
			out = append(out, r.Destination)
		}
	}
	return out
})

// DestinationLabel is destination as a metric label: the name
// Classification spells it with, compared without case as classification
// does, or metrics.Other. A runner names its destination in free text, so the
// label is bounded to the known few.
func DestinationLabel(destination string) string {
	for _, d := range Destinations() {
		if strings.EqualFold(d, destination) {
			return d
		}
	}
	return metrics.Other
}
