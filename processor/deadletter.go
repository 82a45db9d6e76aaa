package processor

import (
	"errors"

	"github.com/integration-events/integration-events/subjects"
)

// Reason classes of a dead letter: the values of the reason label of
// integration_events_deadletter_total. The record's own reason is the
// precise text; the class is what an alert can group by.
const (
	ReasonMalformedJSON  = "malformed_json"
	ReasonTooLarge       = "too_large"
	ReasonInvalidField   = "invalid_field"
	ReasonCredentialInID = "credential_in_id"
	ReasonUnredactable   = "unredactable"
	ReasonBadSubject     = "bad_subject"
	ReasonMaxDeliveries  = "max_deliveries"
	ReasonOther          = "other"
)

// DeadLetterReasons lists every reason class.
var DeadLetterReasons = []string{ReasonMalformedJSON, ReasonTooLarge, ReasonInvalidField, ReasonCredentialInID,
	ReasonUnredactable, ReasonBadSubject, ReasonMaxDeliveries, ReasonOther}

// DeadLetterReason returns the class of the reason a message was
// dead-lettered for: the sentinel it wraps, ReasonInvalidField for any other
// bad input, ReasonOther for an error of no known class.
func DeadLetterReason(reason error) string {
	switch {
	case errors.Is(reason, subjects.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(reason, subjects.ErrMalformed):
		return ReasonMalformedJSON
	case errors.Is(reason, ErrCredentialInID):
		return ReasonCredentialInID
	case errors.Is(reason, ErrUnredactable):
		return ReasonUnredactable
	case errors.Is(reason, subjects.ErrBadSubject), errors.Is(reason, subjects.ErrBadIntegrationID):
		return ReasonBadSubject
	case errors.Is(reason, ErrUndelivered):
		return ReasonMaxDeliveries
	case errors.Is(reason, subjects.ErrBadInput):
		return ReasonInvalidField
	}
	return ReasonOther
}
