//go:build !unix

package natsserver

// flock locks nothing where flock(2) does not exist.
func flock(string) (release func(), err error) { return func() {}, nil }
