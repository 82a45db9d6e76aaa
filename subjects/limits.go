package subjects

import "encoding/json"

// Sizes of what the processor stores and serves. Every byte count is of
// UTF-8 text as it is held in Go, before JSON escaping; text over its limit
// is cut on a character boundary and ends in a marker with its original
// size, " … [truncated: N bytes in all]", within the limit.
const (
	// MaxEventBytes is the most bytes of one CloudEvent as stored and
	// published, encoded: 64 KiB.
	MaxEventBytes = 64 << 10

	// MaxErrorBytes bounds failure.message: the event's error and the
	// counter's lastError (8 KiB).
	MaxErrorBytes = 8 << 10
	// MaxNameBytes bounds each of destination, entityType, entityId and the
	// fields of a missing mapping (256 bytes).
	MaxNameBytes = 256
	// MaxURLBytes bounds an HTTP request's URL (2 KiB).
	MaxURLBytes = 2 << 10
	// MaxHeaderValues bounds the header values of one request or response
	// (50): the values kept are the first 50 by header name, in sorted
	// order; a header named HeaderOmitted says how many were left out.
	MaxHeaderValues = 50
	// MaxHeaderBytes bounds each header name and each header value (1 KiB).
	MaxHeaderBytes = 1 << 10
	// MaxBodyBytes bounds each HTTP body of the failure, request and
	// response (8 KiB).
	MaxBodyBytes = 8 << 10
	// MaxLogEntries bounds the run log an event carries: the last 50
	// entries.
	MaxLogEntries = 50
	// MaxLogMessageBytes bounds the message of each log entry (1 KiB).
	MaxLogMessageBytes = 1 << 10
	// MaxLogTagBytes bounds the step and level of each log entry (64 bytes).
	MaxLogTagBytes = 64
	// MaxLogBodyBytes bounds each HTTP body of a log entry's exchange
	// (1 KiB); its URL and headers have the limits above.
	MaxLogBodyBytes = 1 << 10

	// MaxRunIDBytes bounds a run id (256 bytes).
	MaxRunIDBytes = 256

	// MaxNoteBytes bounds the note of events.action (4,096 bytes).
	MaxNoteBytes = 4096
	// MaxOperatorBytes bounds actionedBy, enabledBy and each event id an
	// API request names (256 bytes).
	MaxOperatorBytes = 256
	// MaxReasonBytes bounds the reason of integrations.enable (4,096 bytes).
	MaxReasonBytes = 4096

	// MaxStreakRunIDs bounds the streakRunIds of a failure counter and of
	// the disabled event (100): a streak keeps its first
	// min(disableAfter, 100) run ids. 100 run ids of up to 256 bytes keep
	// the counter record about 40 KiB however high --disable-after is; its
	// consecutiveFailures still counts every failure.
	MaxStreakRunIDs = 100

	// MaxStreakRunIDBytes bounds streakRunIds as JSON too (32 KiB), which
	// 100 plain run ids of 256 bytes fit: run ids whose every character
	// JSON escapes (<, &, control characters) would otherwise make 100 of
	// them about 150 KB, over the maximum payload of a server set below
	// the 1 MiB default.
	MaxStreakRunIDBytes = 32 << 10
)

// HeaderOmitted names the header entry that stands for the header values
// left out of a request or response over MaxHeaderValues; its one value is
// "N more header values".
const HeaderOmitted = "[truncated]"

// StreakRunIDsFit reports whether ids, with next appended, is at most
// MaxStreakRunIDBytes as a JSON array.
func StreakRunIDsFit(ids []string, next string) bool {
	n := 2 + jsonStringLen(next)
	for _, id := range ids {
		n += 1 + jsonStringLen(id)
	}
	return n <= MaxStreakRunIDBytes
}

// jsonStringLen is the length of s encoded as a JSON string. A run id is
// almost always plain ASCII, counted without encoding it; anything else is
// measured by encoding/json itself, whose escaping rules decide.
func jsonStringLen(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return len(b)
		}
	}
	return len(s) + 2
}
