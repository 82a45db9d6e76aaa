package test

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// refusedServe runs serve with args beside a running one and returns its
// output and how long it took to fail; it must fail, well within the
// embedded server's 30 s ready timeout.
func refusedServe(t *testing.T, args ...string) (string, time.Duration) {
	t.Helper()
	cmd := exec.Command(Binary(t), append([]string{"serve", "--http-listen", FreePort(t)}, args...)...)
	cmd.Env = append(cmd.Environ(), "NATS_URL=")
	done := make(chan struct{})
	var out []byte
	var err error
	began := time.Now()
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("serve %v did not fail:\n%s", args, out)
	}
	if err == nil {
		t.Fatalf("serve %v exited 0:\n%s", args, out)
	}
	took := time.Since(began)
	t.Logf("serve %v failed after %s", args, took)
	return string(out), took
}

// TestASecondServeOnOneDataDirOrPortFailsAtOnce starts a second serve
// beside a running one, on its data directory or its NATS port: each
// fails at once, naming the key; once the first has stopped its data
// directory starts again.
func TestASecondServeOnOneDataDirOrPortFailsAtOnce(t *testing.T) {
	first := StartServe(t, t.TempDir(), FreePort(t))

	out, took := refusedServe(t, "--data-dir", first.DataDir, "--nats-listen", FreePort(t))
	if want := "data-dir " + first.DataDir + ": another process holds it"; !strings.Contains(out, want) {
		t.Errorf("second serve on the data directory: want %q in\n%s", want, out)
	}
	if took > 10*time.Second {
		t.Errorf("second serve on the data directory failed after %s, want at once", took)
	}

	out, took = refusedServe(t, "--data-dir", t.TempDir(), "--nats-listen", first.Listen)
	if want := "nats-listen " + first.Listen + ": cannot listen"; !strings.Contains(out, want) || !strings.Contains(out, "address already in use") {
		t.Errorf("second serve on the NATS port: want %q and the reason in\n%s", want, out)
	}
	if took > 10*time.Second {
		t.Errorf("second serve on the NATS port failed after %s, want at once", took)
	}

	if err := first.Terminate(stopMargin); err != nil {
		t.Errorf("the first serve: %v", err)
	}
	// Its directory is free again once it has stopped.
	StartServe(t, first.DataDir, FreePort(t))
}
