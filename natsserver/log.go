package natsserver

import (
	"fmt"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// serverLog is a server.Logger that writes the embedded server's lines to
// zap: notices (start-up, stream recovery) at debug level, warnings (a
// stream state to rebuild after an unclean stop) and errors at their own,
// never with a stack trace: the trace would be serverLog's own, and any
// client that fails a TLS handshake makes the server log an error.
// fatal, if set, keeps the first fatal line.
type serverLog struct {
	l     *zap.SugaredLogger
	fatal *fatalNote
}

// fatalNote is the server's first fatal line and the first error among its
// arguments: why Start gave up.
type fatalNote struct {
	mu  sync.Mutex
	msg string
	err error
}

func (n *fatalNote) note(format string, v []any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.msg != "" {
		return
	}
	n.msg = fmt.Sprintf(format, v...)
	for _, a := range v {
		if err, ok := a.(error); ok {
			n.err = err
			break
		}
	}
}

func (n *fatalNote) get() (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.msg, n.err
}

// noStack keeps zap from adding a stack trace at any level.
var noStack = zap.AddStacktrace(zap.LevelEnablerFunc(func(zapcore.Level) bool { return false }))

func (s serverLog) Noticef(format string, v ...any) { s.l.Debugf(format, v...) }
func (s serverLog) Warnf(format string, v ...any)   { s.l.WithOptions(noStack).Warnf(format, v...) }
func (s serverLog) Errorf(format string, v ...any)  { s.l.WithOptions(noStack).Errorf(format, v...) }
func (s serverLog) Fatalf(format string, v ...any) {
	if s.fatal != nil {
		s.fatal.note(format, v)
	}
	s.l.WithOptions(noStack).Errorf(format, v...)
}
func (s serverLog) Debugf(format string, v ...any) { s.l.Debugf(format, v...) }
func (s serverLog) Tracef(format string, v ...any) {}
