package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// built is one build of cmd/integration-events.
type built struct {
	once sync.Once
	path string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*built{}
)

// Binary builds cmd/integration-events once per test binary and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	return BinaryTags(t, "")
}

// BinaryTags is Binary built with the build tags tags (comma-separated),
// such as "faultpoints", once per test binary and tags.
func BinaryTags(t testing.TB, tags string) string {
	t.Helper()
	buildsMu.Lock()
	b := builds[tags]
	if b == nil {
		b = &built{}
		builds[tags] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "integration-events-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "integration-events")
		root, err := moduleRoot()
		if err != nil {
			b.err = err
			return
		}
		cmd := exec.Command("go", "build", "-tags", tags, "-o", b.path, "./cmd/integration-events")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build -tags %q: %v\n%s", tags, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

// Serve is a running `integration-events serve` process.
type Serve struct {
	t       testing.TB
	cmd     *exec.Cmd
	DataDir string
	Listen  string
	// URL is the NATS URL of its embedded server.
	URL string
	// HTTP is the base URL of its HTTP API ("http://127.0.0.1:port"), ""
	// when it is off.
	HTTP   string
	mu     sync.Mutex
	output bytes.Buffer
	exited chan struct{}
	err    error
}

// StartServe starts `serve` with its embedded server on listen and dataDir,
// plus extra flags, and waits for its ready line. It is killed at cleanup if
// still running.
func StartServe(t testing.TB, dataDir, listen string, extra ...string) *Serve {
	t.Helper()
	return StartServeEnv(t, nil, dataDir, listen, extra...)
}

// StartServeEnv is StartServe with extra environment variables. The HTTP
// API is off unless extra or env give --http-listen, so that many
// processes may run at once.
func StartServeEnv(t testing.TB, env []string, dataDir, listen string, extra ...string) *Serve {
	t.Helper()
	return StartServeBinary(t, Binary(t), env, dataDir, listen, extra...)
}

// StartServeBinary is StartServeEnv running the binary bin, such as one
// BinaryTags built.
func StartServeBinary(t testing.TB, bin string, env []string, dataDir, listen string, extra ...string) *Serve {
	t.Helper()
	args := append([]string{"serve", "--data-dir", dataDir, "--nats-listen", listen, "--log-format", "json"}, extra...)
	httpListen, given := "", false
	for i, a := range extra {
		if a == "--http-listen" && i+1 < len(extra) {
			httpListen, given = extra[i+1], true
		} else if v, ok := strings.CutPrefix(a, "--http-listen="); ok {
			httpListen, given = v, true
		}
	}
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "INTEGRATION_EVENTS_HTTP_LISTEN="); ok && !given {
			httpListen, given = v, true
		}
	}
	if !given {
		args = append(args, "--http-listen=")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "NATS_URL="), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	s := &Serve{t: t, cmd: cmd, DataDir: dataDir, Listen: listen, URL: "nats://" + listen, exited: make(chan struct{})}
	if httpListen != "" {
		s.HTTP = "http://" + httpListen
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.output.WriteString(line + "\n")
			s.mu.Unlock()
			if strings.Contains(line, "integration-events ready") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		// Wait closes the pipe: read it to the end first, or the last
		// lines (the goodbye) are lost.
		<-scanned
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("serve pid %d warnings and errors:\n%s", s.PID(), s.problems(40))
		}
	})
	select {
	case <-ready:
	case <-s.exited:
		t.Fatalf("serve exited before ready: %v\n%s", s.err, s.Output())
	case <-time.After(60 * time.Second):
		s.Kill()
		t.Fatalf("serve not ready in 60s\n%s", s.Output())
	}
	return s
}

// PID is the process id.
func (s *Serve) PID() int { return s.cmd.Process.Pid }

// Output is everything the process logged so far.
func (s *Serve) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.output.String()
}

// Kill ends the process with SIGKILL: no drain, no goodbye.
func (s *Serve) Kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = syscall.Kill(s.PID(), syscall.SIGKILL)
	<-s.exited
}

// WaitExit waits up to timeout for the process to end by itself and
// returns how it ended (nil for exit 0).
func (s *Serve) WaitExit(timeout time.Duration) error {
	select {
	case <-s.exited:
		return s.err
	case <-time.After(timeout):
		return fmt.Errorf("serve pid %d still running after %s", s.PID(), timeout)
	}
}

// Terminate sends SIGTERM and returns the exit error (nil for exit 0).
func (s *Serve) Terminate(timeout time.Duration) error {
	_ = syscall.Kill(s.PID(), syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.err
	case <-time.After(timeout):
		s.Kill()
		return fmt.Errorf("serve did not exit within %s of SIGTERM", timeout)
	}
}

// Partitions returns the partitions the process holds now, read from its
// "partition acquired" and "partition released" log lines.
func (s *Serve) Partitions() map[int]bool {
	held := map[int]bool{}
	for _, line := range strings.Split(s.Output(), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			Partition int    `json:"partition"`
		}
		if json.Unmarshal([]byte(line), &l) != nil {
			continue
		}
		switch l.Msg {
		case "partition acquired":
			held[l.Partition] = true
		case "partition released":
			delete(held, l.Partition)
		}
	}
	return held
}

// Pause stops the process with SIGSTOP: alive, holding its connections, doing
// nothing, as a replica stuck on a long GC pause or a frozen VM would.
func (s *Serve) Pause() { _ = syscall.Kill(s.PID(), syscall.SIGSTOP) }

// Resume continues a paused process with SIGCONT.
func (s *Serve) Resume() { _ = syscall.Kill(s.PID(), syscall.SIGCONT) }

// problems returns the last n warn and error lines of the log.
func (s *Serve) problems(n int) string {
	var lines []string
	for _, line := range strings.Split(s.Output(), "\n") {
		if strings.Contains(line, `"level":"warn"`) || strings.Contains(line, `"level":"error"`) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
