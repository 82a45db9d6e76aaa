package processor

import (
	"time"

	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
)

// Admit turns a stored outcome into the one the processor applies: decoded
// and validated, its credentials redacted and its sizes bounded. It is where
// an outcome enters; every event, counter, command, reply and log line is
// built from what it returns, so nothing downstream redacts again.
// receivedAt is when JetStream stored the outcome. Errors wrap
// subjects.ErrBadInput.
func Admit(integrationID string, data []byte, receivedAt time.Time) (subjects.RunOutcome, error) {
	o, err := subjects.DecodeOutcome(integrationID, data)
	if err != nil {
		return o, err
	}
	o = redact.Outcome(o)
	BoundOutcome(&o)
	return o, nil
}
