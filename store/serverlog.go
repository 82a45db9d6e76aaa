package store

import "go.uber.org/zap"

// serverLog is a server.Logger that writes the embedded server's lines to
// zap: notices (start-up, stream recovery) at debug level, warnings (a
// stream state to rebuild after an unclean stop) and errors at their own.
type serverLog struct{ l *zap.SugaredLogger }

func (s serverLog) Noticef(format string, v ...any) { s.l.Debugf(format, v...) }
func (s serverLog) Warnf(format string, v ...any)   { s.l.Warnf(format, v...) }
func (s serverLog) Errorf(format string, v ...any)  { s.l.Errorf(format, v...) }
func (s serverLog) Fatalf(format string, v ...any)  { s.l.Errorf(format, v...) }
func (s serverLog) Debugf(format string, v ...any)  { s.l.Debugf(format, v...) }
func (s serverLog) Tracef(format string, v ...any)  {}
