package subjects

import (
	"errors"
	"fmt"
)

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
	// ErrMalformed marks, besides ErrBadInput, a payload that is not a JSON
	// object of the contract's shape: empty, not UTF-8, not JSON, a field of
	// the wrong type, data after the object.
	ErrMalformed = errors.New("malformed payload")
	// ErrTooLarge marks, besides ErrBadInput, a payload over MaxOutcomeBytes.
	ErrTooLarge = errors.New("payload too large")
)

// inputError is a bad input of a class (ErrMalformed, ErrTooLarge, or a
// caller's): it reads as ErrBadInput's other errors do, and errors.Is finds
// both.
type inputError struct {
	class error
	msg   string
}

func (e *inputError) Error() string   { return ErrBadInput.Error() + ": " + e.msg }
func (e *inputError) Unwrap() []error { return []error{ErrBadInput, e.class} }

// BadInputOf returns a bad input of class, "bad input: <message>", for which
// errors.Is reports both ErrBadInput and class.
func BadInputOf(class error, format string, args ...any) error {
	return &inputError{class: class, msg: fmt.Sprintf(format, args...)}
}
