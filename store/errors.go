package store

import "errors"

// Sentinel errors of the store.
var (
	// ErrNotFound means the counter, event or message does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a compare-and-set lost to another writer: re-read
	// and try again.
	ErrConflict = errors.New("revision conflict")
	// ErrBadToken means a list continuation token was not issued by us.
	ErrBadToken = errors.New("bad page token")
	// ErrExists means a create found its key taken: an external mapping
	// for that m3ter entity and external system exists already.
	ErrExists = errors.New("already exists")
	// ErrGaveUp means a read stopped at its bound before it found what it
	// looked for or proved it absent; the error names the bound.
	ErrGaveUp = errors.New("gave up searching")
	// ErrTooMany means a listing found more keys than it reads in one
	// call; the error names the cap.
	ErrTooMany = errors.New("too many to list")
)
