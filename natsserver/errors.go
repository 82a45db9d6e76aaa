package natsserver

import "errors"

var (
	// ErrDataDirInUse means another process (or another running embedded
	// server of this one) holds the data directory's lock.
	ErrDataDirInUse = errors.New("another process holds it")
	// errListen marks the embedded server's failure to listen on its
	// client address.
	errListen = errors.New("cannot listen")
)
