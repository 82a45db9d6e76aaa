package processor

import (
	"errors"
	"fmt"

	"github.com/integration-events/integration-events/store"
)

// Sentinel errors of the processor, besides subjects' bad-input classes.
var (
	// ErrCredentialInID marks, besides subjects.ErrBadInput, an outcome
	// whose integrationId or runId holds what looks like a credential.
	ErrCredentialInID = errors.New("an id holds a credential")
	// ErrUnredactable marks, besides subjects.ErrBadInput, an outcome the
	// redaction rules failed on.
	ErrUnredactable = errors.New("the outcome could not be redacted")
	// ErrUndelivered marks a message JetStream stopped delivering after
	// its max deliveries.
	ErrUndelivered = errors.New("not acknowledged within max deliveries")
)

// undelivered is the reason a message JetStream stopped delivering is
// dead-lettered; it is ErrUndelivered.
type undelivered store.MaxDeliveries

func (u undelivered) Error() string {
	return fmt.Sprintf("not acknowledged after %d deliveries to consumer %s; JetStream stopped delivering it", u.Deliveries, u.Consumer)
}

func (u undelivered) Is(target error) bool { return target == ErrUndelivered }
