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
)
