package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
)

// TestStockNatsCLIUnderRoles drives serve --nats-auth with the stock nats
// CLI as each role, with the private inbox prefix the README gives, so the
// role table is checked against what the tool really calls.
func TestStockNatsCLIUnderRoles(t *testing.T) {
	cli := natsCLI(t)
	users := WriteAuthUsers(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--nats-auth", users.File)
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	as := func(user string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, cli, append([]string{"--server", s.URL, "--user", user, "--password", users.Passwords[user], "--inbox-prefix", "_INBOX_" + user, "--timeout", "3s"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "NATS_CONTEXT=")
		return cmd.CombinedOutput()
	}
	admin, _ := ConnectAs(t, s.URL, users.As(UserAdmin)...)

	// Runner: nats pub, and with --jetstream its PubAck comes back.
	o, _ := json.Marshal(workload.Failed("cli-r", "cli-r-1", subjects.StagePerform, 502))
	if out, err := as(UserRunner, "pub", "integrations.runs.cli-r", string(o)); err != nil {
		t.Fatalf("runner nats pub: %v\n%s", err, out)
	}
	o, _ = json.Marshal(workload.Failed("cli-r", "cli-r-2", subjects.StagePerform, 502))
	if out, err := as(UserRunner, "pub", "--jetstream", "integrations.runs.cli-r", string(o)); err != nil || !bytes.Contains(out, []byte("Stored in Stream: INTEGRATION_RUNS")) {
		t.Fatalf("runner nats pub --jetstream: %v\n%s", err, out)
	}
	WaitCounter(t, admin, "cli-r", Streak(2, false))
	if out, err := as(UserRunner, "stream", "info", store.StreamRuns); err == nil {
		t.Errorf("runner nats stream info worked:\n%s", out)
	}

	// Operator: kv get, req, micro ls, and an enable.
	out, err := as(UserOperator, "kv", "get", store.BucketCounters, "cli-r", "--raw")
	var c subjects.FailureCounter
	if err != nil || json.Unmarshal(out, &c) != nil || c.ConsecutiveFailures != 2 {
		t.Fatalf("operator nats kv get: %v\n%s", err, out)
	}
	out, err = as(UserOperator, "req", "integrations.api.events.list", `{"integrationId":"cli-r"}`, "--raw")
	var page subjects.ListEventsResponse
	if err != nil || json.Unmarshal(bytes.TrimSpace(out), &page) != nil || len(page.Data) != 2 {
		t.Errorf("operator nats req: %v\n%s", err, out)
	}
	if out, err := as(UserOperator, "micro", "ls", "--json"); err != nil || !strings.Contains(string(out), `"integration-events"`) {
		t.Errorf("operator nats micro ls: %v\n%s", err, out)
	}
	if out, err := as(UserOperator, "micro", "stats", "integration-events", "--json"); err != nil || !strings.Contains(string(out), `"num_requests"`) {
		t.Errorf("operator nats micro stats: %v\n%s", err, out)
	}
	if out, err := as(UserOperator, "pub", "--jetstream", "integrations.commands.enable.cli-r", `{"integrationId":"cli-r","enabledBy":"op1"}`); err != nil {
		t.Errorf("operator nats pub enable: %v\n%s", err, out)
	}
	WaitCounter(t, admin, "cli-r", Streak(0, false))
	// Listing keys takes a consumer, which is an admin's (natsauth.consume).
	if out, err := as(UserOperator, "kv", "ls", store.BucketCounters); err == nil {
		t.Errorf("operator nats kv ls worked:\n%s", out)
	}

	// Subscriber: nats consumer next on its durable consumer, acked.
	ajs, _ := jetstream.New(admin)
	if _, err := ajs.CreateOrUpdateConsumer(ctx, store.StreamEvents, jetstream.ConsumerConfig{Durable: UserSubscriber, FilterSubject: "integrations.events.>", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	if out, err := as(UserSubscriber, "consumer", "next", store.StreamEvents, UserSubscriber, "--count", "1"); err != nil || !bytes.Contains(out, []byte("integration.perform.error")) {
		t.Fatalf("subscriber nats consumer next: %v\n%s", err, out)
	}
	CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		c, err := ajs.Consumer(ctx, store.StreamEvents, UserSubscriber)
		if err != nil {
			return err
		}
		if f := c.CachedInfo().AckFloor.Consumer; f != 1 {
			return fmt.Errorf("ack floor %d, want 1", f)
		}
		return nil
	})
	// Subscriber: nats pub of an outcome stores nothing.
	_, _ = as(UserSubscriber, "pub", "integrations.runs.cli-s", string(o))
	settle(t, admin, admin)
	if got := storedWith(t, admin, store.StreamRuns, ".cli-s"); len(got) != 0 {
		t.Errorf("the subscriber's nats pub stored %q", got)
	}
}
