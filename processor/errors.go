package processor

import "errors"

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
