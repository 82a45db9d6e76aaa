package test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Demo is a running `integration-events demo` process, serving its console
// until it is stopped.
type Demo struct {
	t   testing.TB
	cmd *exec.Cmd
	// Console is the console's URL as the demo printed it, with no
	// trailing slash.
	Console string
	mu      sync.Mutex
	output  bytes.Buffer
	exited  chan struct{}
	err     error
}

// consoleLine is the line the demo prints its console's address on.
var consoleLine = regexp.MustCompile(`Console: (http://127\.0\.0\.1:[0-9]+)/`)

// demoSecret finds a credential of the demo's runners: each holds "demo"
// after a letter, a digit or a dot (workload.Day).
var demoSecret = regexp.MustCompile(`[0-9A-Za-z._]demo\S*`)

// DemoScriptDone is what the demo prints once its script is played and it
// goes on until stopped.
const DemoScriptDone = "the demo runs until Ctrl-C"

// StartDemo starts `demo` with its console on a free loopback port, plus
// extra flags, and waits for it to print the console's URL. It is stopped
// at cleanup if still running.
func StartDemo(t testing.TB, extra ...string) *Demo {
	t.Helper()
	args := append([]string{"demo", "--http-listen", FreePort(t)}, extra...)
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), "NATS_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	d := &Demo{t: t, cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.output.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
		}
	}()
	go func() {
		// Wait closes the pipe: read it to the end first.
		<-scanned
		d.err = cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		// SIGTERM first: the demo removes its data directory on the way out.
		_ = d.Terminate(10 * time.Second)
		if t.Failed() {
			t.Logf("demo pid %d output:\n%s", d.PID(), d.Output())
		}
	})
	d.WaitOutput("the console's URL", 60*time.Second, func(out string) bool {
		if m := consoleLine.FindStringSubmatch(out); m != nil {
			d.Console = m[1]
			return true
		}
		return false
	})
	return d
}

// WaitOutput polls the demo's output until ok accepts it, failing the test
// after timeout or when the demo exits first.
func (d *Demo) WaitOutput(what string, timeout time.Duration, ok func(string) bool) {
	d.t.Helper()
	CheckFor(d.t, timeout, 20*time.Millisecond, func() error {
		if ok(d.Output()) {
			return nil
		}
		select {
		case <-d.exited:
			d.t.Fatalf("demo exited (%v) before printing %s:\n%s", d.err, what, d.Output())
		default:
		}
		return fmt.Errorf("demo has not printed %s", what)
	})
}

// WaitScriptDone waits until the demo has played its script.
func (d *Demo) WaitScriptDone(timeout time.Duration) {
	d.t.Helper()
	d.WaitOutput("the end of its script", timeout, func(out string) bool { return strings.Contains(out, DemoScriptDone) })
}

// PID is the process id.
func (d *Demo) PID() int { return d.cmd.Process.Pid }

// Output is everything the demo printed so far.
func (d *Demo) Output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.output.String()
}

// Kill ends the demo with SIGKILL if it is still running.
func (d *Demo) Kill() {
	select {
	case <-d.exited:
		return
	default:
	}
	_ = syscall.Kill(d.PID(), syscall.SIGKILL)
	<-d.exited
}

// Terminate sends SIGTERM and returns the exit error (nil for exit 0).
func (d *Demo) Terminate(timeout time.Duration) error { return d.stop(syscall.SIGTERM, timeout) }

// Interrupt sends SIGINT, as Ctrl-C in a terminal does, and returns the
// exit error (nil for exit 0).
func (d *Demo) Interrupt(timeout time.Duration) error { return d.stop(syscall.SIGINT, timeout) }

func (d *Demo) stop(sig syscall.Signal, timeout time.Duration) error {
	select {
	case <-d.exited:
		return d.err
	default:
	}
	_ = syscall.Kill(d.PID(), sig)
	select {
	case <-d.exited:
		return d.err
	case <-time.After(timeout):
		d.Kill()
		return fmt.Errorf("demo did not exit within %s of %s", timeout, sig)
	}
}
