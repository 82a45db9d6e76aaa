package natsserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// LockFile is the file in the data directory whose exclusive lock the
// embedded server holds while it runs: two servers writing one
// directory's JetStream files would corrupt them.
const LockFile = "integration-events.lock"

// dataDirLock is a held lock on a data directory.
type dataDirLock struct {
	release  func()
	released chan struct{}
	srv      atomic.Pointer[server.Server] // set once the server is created
}

// heldDirs are the data directories this process holds, by absolute path:
// a restart in the same process waits for a shut-down server to let go.
var heldDirs sync.Map

// lockDataDir creates dir and takes the exclusive lock on its LockFile,
// without waiting: held by another process (or a running server of this
// one), it fails with ErrDataDirInUse naming data-dir and the path.
func lockDataDir(dir string) (*dataDirLock, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data-dir %s: %w", dir, err)
	}
	if v, ok := heldDirs.Load(abs); ok {
		// A server of this process shutting down lets go in a moment.
		prev := v.(*dataDirLock)
		if srv := prev.srv.Load(); srv != nil && !srv.Running() {
			select {
			case <-prev.released:
			case <-time.After(5 * time.Second):
			}
		}
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("data-dir %s: %w", dir, err)
	}
	release, err := flock(filepath.Join(abs, LockFile))
	if err != nil {
		return nil, fmt.Errorf("data-dir %s: %w", dir, err)
	}
	l := &dataDirLock{released: make(chan struct{})}
	l.release = func() {
		heldDirs.CompareAndDelete(abs, l)
		release()
		close(l.released)
	}
	heldDirs.Store(abs, l)
	return l, nil
}

// holdUntilShutdown keeps the lock until srv has shut down.
func (l *dataDirLock) holdUntilShutdown(srv *server.Server) {
	l.srv.Store(srv)
	go func() {
		srv.WaitForShutdown()
		l.release()
	}()
}
