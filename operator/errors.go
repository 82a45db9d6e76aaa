package operator

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, one per status an *Error may carry: errors.Is(err,
// ErrNotFound) holds for any *Error with status 404.
var (
	ErrBadRequest   = errors.New("bad request")    // 400: the request breaks the contract; nothing changed
	ErrUnauthorized = errors.New("unauthorized")   // 401: HTTP only, no valid bearer token
	ErrForbidden    = errors.New("forbidden")      // 403: refused, e.g. a cross-site request
	ErrNotFound     = errors.New("not found")      // 404: no such event, integration or run
	ErrUnavailable  = errors.New("unavailable")    // 503: NATS or the processor did not answer in time
	ErrInternal     = errors.New("internal error") // 500: a fault of the service
)

// Error is an error reply of the operator API: an HTTP-style status (400,
// 401, 403, 404, 500 or 503) and a message for the caller. The NATS
// transport carries the status as Nats-Service-Error-Code, HTTP as the
// response status.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// Is matches the sentinel of e's status.
func (e *Error) Is(target error) bool { return target == sentinel(e.Status) }

func sentinel(status int) error {
	switch status {
	case http.StatusBadRequest:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusServiceUnavailable:
		return ErrUnavailable
	case http.StatusInternalServerError:
		return ErrInternal
	}
	return nil
}

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) error { return errorf(http.StatusNotFound, format, args...) }
