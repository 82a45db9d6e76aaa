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
// receivedAt is when JetStream stored the outcome: a finishedAt more than
// MaxClockSkew past it is replaced by it, and kept in ReportedFinishedAt.
// Errors wrap subjects.ErrBadInput, and a class: subjects.ErrMalformed,
// subjects.ErrTooLarge, ErrCredentialInID or ErrUnredactable (none: a field
// is invalid).
func Admit(integrationID string, data []byte, receivedAt time.Time) (o subjects.RunOutcome, err error) {
	// A fault in the redaction rules must neither stop the processor nor
	// store what it could not redact: the outcome is dead-lettered, with
	// its raw bytes, and the fault named.
	defer func() {
		if r := recover(); r != nil {
			o, err = subjects.RunOutcome{}, subjects.BadInputOf(ErrUnredactable, "the outcome could not be redacted (internal error: %v); it is kept only in the dead-letter record", r)
		}
	}()
	o, err = subjects.DecodeOutcome(integrationID, data)
	if err != nil {
		return o, err
	}
	// Ids are not redacted: events, the resend guard and counters are keyed by them.
	// One that holds a credential is refused instead.
	for _, id := range []struct{ name, v string }{{"integrationId", o.IntegrationID}, {"runId", o.RunID}} {
		if redact.HoldsCredential(id.v) {
			return subjects.RunOutcome{}, subjects.BadInputOf(ErrCredentialInID, "%s holds what looks like a credential; ids are shown to operators", id.name)
		}
	}
	o = redact.Outcome(o)
	BoundOutcome(&o)
	if !receivedAt.IsZero() && o.FinishedAt.After(receivedAt.Add(MaxClockSkew)) {
		reported := o.FinishedAt
		o.ReportedFinishedAt = &reported
		o.FinishedAt = receivedAt.UTC()
	}
	return o, nil
}

// MaxClockSkew is how far an outcome's finishedAt may lie past the time
// JetStream stored it. A runner whose clock is further ahead would date
// streaks in the future ("disabled … since 2099-01-01"), so its outcome is
// dated when it was received instead, and its events say so.
const MaxClockSkew = 5 * time.Minute
