package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// natsCLI finds the stock nats command-line tool. CI installs it; elsewhere
// the test is skipped when it is missing.
func natsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NATS_CLI"); p != "" {
		return p
	}
	p, err := exec.LookPath("nats")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nats (natscli) is not installed; .ci/run installs it")
		}
		t.Skip("nats (natscli) is not on PATH; go install github.com/nats-io/natscli/nats@v0.5.1")
	}
	return p
}

// TestStockNatsCLIWorksUnchanged drives serve with natscli alone: publish an
// outcome, subscribe to events, read the counter from KV, call the API, and
// find the micro service.
func TestStockNatsCLIWorksUnchanged(t *testing.T) {
	cli := natsCLI(t)
	s, _ := startServe(t)
	home := t.TempDir() // no user contexts
	run := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, cli, append([]string{"--server", s.URL}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "NATS_CONTEXT=")
		return cmd
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var subOut bytes.Buffer
	sub := run(ctx, "sub", "integrations.events.>", "--count", "1")
	sub.Stdout = &subOut
	subErr, err := sub.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	// nats sub says so on stderr once its subscription is registered.
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(subErr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Subscribing on") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, subErr)
	}()
	select {
	case <-ready:
	case <-ctx.Done():
		t.Fatal("nats sub never said it was subscribed")
	}
	o, _ := json.Marshal(workload.Failed("cli-x", "cli-run-1", subjects.StagePerform, 502))
	if out, err := run(ctx, "pub", "integrations.runs.cli-x", string(o)).CombinedOutput(); err != nil {
		t.Fatalf("nats pub: %v\n%s", err, out)
	}
	if err := sub.Wait(); err != nil {
		t.Fatalf("nats sub: %v\n%s", err, subOut.String())
	}
	// The message body is the line that holds the CloudEvent.
	var ev Event
	var body []byte
	for _, line := range bytes.Split(subOut.Bytes(), []byte("\n")) {
		if bytes.HasPrefix(line, []byte("{")) {
			body = line
		}
	}
	if !bytes.Contains(subOut.Bytes(), []byte("Content-Type: "+subjects.CloudEventsContentType)) {
		t.Errorf("nats sub shows no CloudEvents Content-Type header: %q", subOut.String())
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type != "integration.perform.error" || ev.Data.RunID != "cli-run-1" {
		t.Fatalf("nats sub printed %q (%v)", subOut.String(), err)
	}

	var c subjects.FailureCounter
	CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		out, err := run(ctx, "kv", "get", "integration_failures", "cli-x", "--raw").Output()
		if err != nil {
			return err
		}
		return json.Unmarshal(out, &c)
	})
	if c.ConsecutiveFailures != 1 || c.LastRunID != "cli-run-1" || c.DisableAfter != 20 {
		t.Fatalf("nats kv get: %+v", c)
	}

	out, err := run(ctx, "req", "integrations.api.events.list", "{}", "--raw").Output()
	if err != nil {
		t.Fatalf("nats req: %v", err)
	}
	var page subjects.ListEventsResponse
	if err := json.Unmarshal(bytes.TrimSpace(out), &page); err != nil || len(page.Data) != 1 || page.Data[0].ID != ev.ID {
		t.Fatalf("nats req printed %q (%v)", out, err)
	}

	out, err = run(ctx, "micro", "ls", "--json").Output()
	if err != nil {
		t.Fatalf("nats micro ls: %v", err)
	}
	if !strings.Contains(string(out), `"integration-events"`) {
		t.Fatalf("nats micro ls does not list integration-events: %s", out)
	}
}
