package test

import (
	"testing"
	"time"
)

// CheckFor calls f every interval until it returns nil, and fails the test
// with f's last error if that has not happened within timeout.
func CheckFor(t testing.TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	if err := poll(timeout, interval, f); err != nil {
		t.Fatalf("not true after %s: %v", timeout, err)
	}
}

// poll calls f every interval until it returns nil or timeout passes, and
// returns f's last error.
func poll(timeout, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(interval)
	}
	return err
}
