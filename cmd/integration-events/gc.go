package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the collector's target when GOGC is not set. With the
// embedded server's message-block buffers and subject trees in the same
// heap, Go's default of 100 lets the heap grow to twice what is live. One
// bench run each at 100,000 integrations and 1,000,000 runs in the resend
// window (issue 11): peak RSS 1,043 MB at GOGC=100 and 752 MB at 50, the
// throughput within the machine's noise; a GOMEMLIMIT of 450 MiB, near the
// live heap, gave 499 MB but cut throughput to a third, so no limit is set.
const defaultGCPercent = 50

// setGCDefaults applies defaultGCPercent unless GOGC says otherwise.
func setGCDefaults() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
