//go:build unix

package natsserver

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// flock opens path and takes an exclusive flock on it without waiting;
// release closes the file, which lets go. Taken: ErrDataDirInUse.
func flock(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (lock on %s)", ErrDataDirInUse, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
