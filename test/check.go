package test

import (
	"strings"
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

// CheckError fails t unless err is what want says: no error for "", else
// an error whose text contains want. what names the case in the failure.
func CheckError(t testing.TB, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v, want no error", what, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s: error %v, want %q", what, err, want)
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
