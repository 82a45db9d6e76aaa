package subjects

import "errors"

// Sentinel errors of the wire contract. Validation failures wrap ErrBadInput
// with a reason precise enough to be read by the runner's author.
var (
	// ErrBadInput marks a message that breaks the contract: it is
	// dead-lettered, never retried.
	ErrBadInput = errors.New("bad input")
	// ErrBadSubject marks a subject outside the contract.
	ErrBadSubject = errors.New("bad subject")
	// ErrBadIntegrationID marks an integration id that is not one subject
	// token of 1 to 128 characters of [A-Za-z0-9_-].
	ErrBadIntegrationID = errors.New("bad integration id")
)
