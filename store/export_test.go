package store

// CrashAt makes a's steps stop at fault point name, leaving what a crash
// there would leave: the steps after it are not run.
func CrashAt(a *Actioner, name string) { a.crashAt = name }

// ErrCrashed is what a step returns at the point CrashAt names.
var ErrCrashed = errCrashed
