package processor

import (
	"encoding/json"

	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

// outcomeFields are the fields every log line about a stored outcome (or
// enable command) carries: integrationId, and runId as far as data has
// one. They are read from the raw message, before admission, so each is
// bounded and replaced by redact.Marker when it holds what looks like a
// credential: Admit refuses such an id, and the log must not keep it.
// Both are worked out only when the line is written: a debug line that is
// not costs no JSON decoding and no screening.
func outcomeFields(integrationID string, data []byte) []any {
	return []any{zap.Stringer("integrationId", rawID(integrationID)), zap.Stringer("runId", rawRunID(data))}
}

// admittedFields are outcomeFields of an admitted outcome, whose ids are
// known to be safe.
func admittedFields(o *subjects.RunOutcome) []any {
	return []any{"integrationId", o.IntegrationID, "runId", o.RunID}
}

// rawRunID is the runId of a raw outcome, "" when it has none readable.
type rawRunID []byte

func (r rawRunID) String() string {
	var v struct {
		RunID string `json:"runId"`
	}
	// A type error elsewhere still fills runId; a syntax error leaves it "".
	_ = json.Unmarshal(r, &v)
	return safeID(v.RunID)
}

// rawID is an id as received, shown as safeID.
type rawID string

func (r rawID) String() string { return safeID(string(r)) }

// safeID is an id fit for a log line.
func safeID(id string) string {
	if redact.HoldsCredential(id) {
		return redact.Marker
	}
	return Truncate(id, subjects.MaxRunIDBytes)
}

// enableFields are the fields of a log line about an enable command: it
// names an integration but no run.
func enableFields(cmd *subjects.EnableCommand) []any {
	return []any{"integrationId", cmd.IntegrationID, "enableId", cmd.ID}
}
