package natsauth

import "errors"

// Sentinel errors of the users file and of client credentials. Errors wrap
// one of these and name the user (never the password) or the flag.
var (
	// ErrUnknownRole means a user's role is not runner, subscriber,
	// operator or admin.
	ErrUnknownRole = errors.New("unknown role")
	// ErrDuplicateUser means two users share a name or an nkey.
	ErrDuplicateUser = errors.New("duplicate user")
	// ErrCredential means a user has both a password and an nkey, or
	// neither, or a password that looks like a bcrypt hash but is not one.
	ErrCredential = errors.New("bad credential")
	// ErrBadNkey means an nkey is not a user public nkey (U...).
	ErrBadNkey = errors.New("invalid nkey")
	// ErrBadName means a user name is empty, reserved, or not one subject
	// token of [A-Za-z0-9_-].
	ErrBadName = errors.New("bad user name")
	// ErrNoUsers means the users file lists nobody.
	ErrNoUsers = errors.New("no users")
	// ErrConflictingOptions means client credentials that exclude each
	// other were given together, or one half of a pair alone.
	ErrConflictingOptions = errors.New("conflicting options")
)
