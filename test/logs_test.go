package test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLogFormatAutoFollowsTheTerminal starts serve with --log-format auto:
// its log is JSON, line by line, when it goes to a pipe, and zap's console
// format on a terminal (util-linux script gives it one, where installed). A
// format it does not know is refused by name.
func TestLogFormatAutoFollowsTheTerminal(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--log-format", "auto")
	if err := s.Terminate(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, line := range strings.Split(strings.TrimSpace(s.Output()), "\n") {
		var l struct {
			Level, Msg string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Level == "" || l.Msg == "" {
			t.Errorf("not a JSON log line on a pipe: %q (%v)", line, err)
		}
		lines++
	}
	if lines < 3 {
		t.Errorf("%d log lines, want the ready, stopping and stopped lines at least", lines)
	}

	out, err := cli(t, "serve", "--log-format", "xml", "--data-dir", t.TempDir(), "--nats-listen", FreePort(t), "--http-listen", "")
	if err == nil || !strings.Contains(out, `log format "xml": want auto, json or console`) {
		t.Errorf("serve --log-format xml: %v\n%s", err, out)
	}

	script, err := exec.LookPath("script")
	if err != nil {
		t.Log("script (util-linux) is not installed: the terminal case is not checked")
		return
	}
	// On a terminal: the ready line in console format, then a stop.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	serve := strings.Join([]string{Binary(t), "serve", "--data-dir", t.TempDir(), "--nats-listen", FreePort(t), "--http-listen", "''"}, " ")
	cmd := exec.CommandContext(ctx, script, "-qefc", "timeout -s TERM 5 "+serve, "/dev/null")
	out2, _ := cmd.CombinedOutput()
	text := string(out2)
	if !strings.Contains(text, "integration-events ready") {
		t.Fatalf("no ready line on a terminal:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "integration-events ready") && (strings.HasPrefix(strings.TrimSpace(line), "{") || !strings.Contains(line, "INFO")) {
			t.Errorf("the ready line on a terminal is not in console format: %q", line)
		}
	}
}
