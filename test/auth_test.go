package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// forged is in every payload a test publishes where its role may not: a
// stored message holding it is a forgery that got through.
const forged = "forged-by-test"

// storedWith returns the subjects of the messages of stream whose subject
// ends with suffix (none when suffix is empty) or whose data holds forged.
func storedWith(t *testing.T, nc *nats.Conn, stream, suffix string) []string {
	t.Helper()
	var out []string
	for _, m := range Stored(t, nc, stream) {
		if suffix != "" && strings.HasSuffix(m.Subject, suffix) || strings.Contains(string(m.Data), forged) {
			out = append(out, m.Subject)
		}
	}
	return out
}

// settle makes sure the server has handled everything nc published: a
// flush is a round trip on nc, and a PubAck from JetStream for a message
// an admin publishes afterwards means the streams took in what came
// before it.
func settle(t *testing.T, nc, admin *nats.Conn) {
	t.Helper()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run, _ := json.Marshal(workload.Succeeded("settle-marker", fmt.Sprint("settle-", time.Now().UnixNano())))
	for subj, data := range map[string][]byte{
		subjects.Default().Run("settle-marker"):    run,
		subjects.Default().Enable("settle-marker"): []byte(`{"integrationId":"settle-marker"}`),
	} {
		if _, err := js.Publish(ctx, subj, data); err != nil {
			t.Fatal(err)
		}
	}
}

// refusedCtx bounds a call that the server is expected to drop: a refused
// publish gets no reply, so the call ends at this deadline.
func refusedCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitViolation(t *testing.T, v *Violations, subject string) {
	t.Helper()
	CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if !v.Has(subject) {
			return fmt.Errorf("no permissions violation for %q; errors: %v", subject, v.All())
		}
		return nil
	})
}

func mustPublishJSON(t *testing.T, nc *nats.Conn, subject string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	PublishRaw(t, nc, subject, b)
}

// TestNATSRolesEnforcedByTheServer runs serve with --nats-auth and drives
// each role's boundaries over real connections; every refused publish is
// checked by what the streams and KV hold afterwards.
func TestNATSRolesEnforcedByTheServer(t *testing.T) {
	users := WriteAuthUsers(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--nats-auth", users.File, "--disable-after", "3")
	subj := subjects.Default()
	admin, _ := ConnectAs(t, s.URL, users.As(UserAdmin)...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("credentials", func(t *testing.T) {
		if _, err := nats.Connect(s.URL); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Errorf("anonymous: %v, want an authorization violation", err)
		}
		if _, err := nats.Connect(s.URL, nats.UserInfo(UserRunner, "fake-wrong-secret")); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Errorf("wrong password: %v, want an authorization violation", err)
		}
		if _, err := nats.Connect(s.URL, nats.UserInfo("integration-events", "fake-guess")); err == nil {
			t.Error("the internal user with a guessed password got in")
		}
		// The nkey runner: its outcome is processed.
		seed, err := nats.NkeyOptionFromSeed(users.NkeySeed)
		if err != nil {
			t.Fatal(err)
		}
		nk, _ := ConnectAs(t, s.URL, seed, nats.CustomInboxPrefix("_INBOX_"+UserNkey))
		Publish(t, nk, workload.Failed("sec-nkey", "nk-run-1", subjects.StagePerform, 502))
		WaitCounter(t, admin, "sec-nkey", Streak(1, false))
	})

	var eventID string
	t.Run("runner", func(t *testing.T) {
		runner, rv := ConnectAs(t, s.URL, users.As(UserRunner)...)
		// May: publish outcomes, core and with a PubAck on its own inbox.
		Publish(t, runner, workload.Failed("sec-a", "a-run-1", subjects.StagePerform, 502))
		WaitCounter(t, admin, "sec-a", Streak(1, false))
		js, _ := jetstream.New(runner)
		b, _ := json.Marshal(workload.Failed("sec-a", "a-run-2", subjects.StagePerform, 502))
		if _, err := js.Publish(ctx, subj.Run("sec-a"), b); err != nil {
			t.Fatalf("runner's JetStream publish: %v", err)
		}
		before := WaitCounter(t, admin, "sec-a", Streak(2, false))

		// May not: forge an event, a disable and an enable command.
		forgeries := []string{subj.Event(subjects.KindPerform, "sec-a"), subj.Disable("sec-a"), subj.Enable("sec-a")}
		for _, f := range forgeries {
			mustPublishJSON(t, runner, f, map[string]string{"integrationId": "sec-a", "id": forged, "reason": forged})
		}
		for _, f := range forgeries {
			waitViolation(t, rv, f)
		}
		settle(t, runner, admin)
		if got := storedWith(t, admin, store.StreamEvents, ""); len(got) != 0 {
			t.Errorf("INTEGRATION_EVENTS holds forged messages on %q", got)
		}
		if got := storedWith(t, admin, store.StreamCommands, ".sec-a"); len(got) != 0 {
			t.Errorf("INTEGRATION_COMMANDS holds %q, the runner's forgeries", got)
		}
		if after, _ := Counter(t, admin, "sec-a"); after.ConsecutiveFailures != before.ConsecutiveFailures || after.Disabled || after.Episode != before.Episode {
			t.Errorf("counter went from %+v to %+v", before, after)
		}

		// May not read events, or anyone's replies.
		events, err := runner.SubscribeSync(subj.Events())
		if err != nil {
			t.Fatal(err)
		}
		inboxes, err := runner.SubscribeSync("_INBOX.>")
		if err != nil {
			t.Fatal(err)
		}
		waitViolation(t, rv, subj.Events())
		waitViolation(t, rv, "_INBOX.>")
		seen, err := admin.SubscribeSync(subj.Events())
		if err != nil {
			t.Fatal(err)
		}
		if err := admin.Flush(); err != nil {
			t.Fatal(err)
		}
		Publish(t, runner, workload.Failed("sec-b", "b-run-1", subjects.StagePerform, 502))
		m, err := seen.NextMsg(30 * time.Second)
		if err != nil {
			t.Fatalf("admin saw no event: %v", err)
		}
		eventID = DecodeEvent(t, m).ID
		if _, err := API(admin).ListEvents(ctx, subjects.ListEventsRequest{}); err != nil {
			t.Fatal(err) // a reply on the admin's inbox the runner must not see
		}
		if err := runner.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []*nats.Subscription{events, inboxes} {
			if n, _, _ := sub.Pending(); n != 0 {
				m, _ := sub.NextMsg(0)
				t.Errorf("runner's subscription to %s received %d messages, first on %s", sub.Subject, n, m.Subject)
			}
		}

		// May not call the API: the action is refused and not stored.
		if _, err := API(runner).ActionEvents(refusedCtx(t), subjects.ActionEventsRequest{IDs: []string{eventID}, ActionedBy: forged}); err == nil {
			t.Error("runner actioned an event through the API")
		}
		waitViolation(t, rv, subj.API(subjects.EndpointEventsAction))
		rec, err := API(admin).Event(ctx, eventID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.DtActioned != nil || rec.ActionedBy != "" {
			t.Errorf("event %s actioned by %q after the runner's call", eventID, rec.ActionedBy)
		}
	})

	t.Run("subscriber", func(t *testing.T) {
		sub, sv := ConnectAs(t, s.URL, users.As(UserSubscriber)...)
		ajs, _ := jetstream.New(admin)
		// Its durable consumer is made by an admin (see natsauth.consume).
		if _, err := ajs.CreateOrUpdateConsumer(ctx, store.StreamEvents, jetstream.ConsumerConfig{
			Durable: UserSubscriber, FilterSubject: subj.Events(), AckPolicy: jetstream.AckExplicitPolicy,
		}); err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(sub)
		c, err := js.Consumer(ctx, store.StreamEvents, UserSubscriber)
		if err != nil {
			t.Fatalf("subscriber's consumer info: %v", err)
		}
		batch, err := c.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var got []jetstream.Msg
		for m := range batch.Messages() {
			got = append(got, m)
		}
		if len(got) != 1 || !strings.HasPrefix(got[0].Subject(), "integrations.events.") {
			t.Fatalf("fetched %d messages (%v), want one event", len(got), batch.Error())
		}
		if err := got[0].DoubleAck(ctx); err != nil {
			t.Fatalf("ack: %v", err)
		}
		ac, err := ajs.Consumer(ctx, store.StreamEvents, UserSubscriber)
		if err != nil {
			t.Fatal(err)
		}
		if info, err := ac.Info(ctx); err != nil || info.AckFloor.Consumer != 1 {
			t.Errorf("consumer ack floor %+v (%v), want 1", info.AckFloor, err)
		}
		// And core subscriptions to events, commands and acknowledgements.
		for _, s := range []string{subj.Events(), subj.Commands(), subj.ActionedAll()} {
			if _, err := sub.SubscribeSync(s); err != nil {
				t.Fatal(err)
			}
		}

		// May not create consumers (a deliver subject would republish the
		// stream anywhere), delete others' consumers or streams.
		if _, err := js.CreateOrUpdateConsumer(refusedCtx(t), store.StreamCommands, jetstream.ConsumerConfig{Durable: UserSubscriber, DeliverSubject: subj.Disable("sec-a")}); err == nil {
			t.Error("subscriber created a consumer")
		}
		if err := js.DeleteConsumer(refusedCtx(t), store.StreamRuns, store.ConsumerPartitionPrefix+"0"); err == nil {
			t.Error("subscriber deleted the processor's consumer")
		}
		if err := js.DeleteStream(refusedCtx(t), store.StreamEvents); err == nil {
			t.Error("subscriber deleted INTEGRATION_EVENTS")
		}
		for _, api := range []string{"$JS.API.CONSUMER.CREATE." + store.StreamCommands + "." + UserSubscriber, "$JS.API.CONSUMER.DELETE." + store.StreamRuns + "." + store.ConsumerPartitionPrefix + "0", "$JS.API.STREAM.DELETE." + store.StreamEvents} {
			waitViolation(t, sv, api)
		}
		if _, err := ajs.Consumer(ctx, store.StreamCommands, UserSubscriber); !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Errorf("the consumer the subscriber tried to create: %v, want not found", err)
		}
		if _, err := ajs.Consumer(ctx, store.StreamRuns, store.ConsumerPartitionPrefix+"0"); err != nil {
			t.Errorf("the processor's consumer: %v", err)
		}
		if _, err := ajs.Stream(ctx, store.StreamEvents); err != nil {
			t.Errorf("INTEGRATION_EVENTS: %v", err)
		}

		// May not publish outcomes: nothing reaches INTEGRATION_RUNS.
		Publish(t, sub, workload.Failed("sec-c", forged, subjects.StagePerform, 502))
		waitViolation(t, sv, subj.Run("sec-c"))
		settle(t, sub, admin)
		if got := storedWith(t, admin, store.StreamRuns, ".sec-c"); len(got) != 0 {
			t.Errorf("INTEGRATION_RUNS holds the subscriber's outcome: %q", got)
		}
		if _, ok := Counter(t, admin, "sec-c"); ok {
			t.Error("the subscriber's outcome made a counter")
		}
	})

	t.Run("operator", func(t *testing.T) {
		op, ov := ConnectAs(t, s.URL, users.As(UserOperator)...) // bcrypt-hashed password
		page, err := API(op).ListEvents(ctx, subjects.ListEventsRequest{IntegrationID: "sec-b"})
		if err != nil || len(page.Data) != 1 || page.Data[0].ID != eventID {
			t.Fatalf("operator's events list: %+v, %v; want event %s", page.Data, err, eventID)
		}
		// Reads integration_failures and external_mappings as nats kv get does.
		js, _ := jetstream.New(op)
		kv, err := js.KeyValue(ctx, store.BucketCounters)
		if err != nil {
			t.Fatal(err)
		}
		e, err := kv.Get(ctx, "sec-a")
		var c subjects.FailureCounter
		if err != nil || json.Unmarshal(e.Value(), &c) != nil || c.ConsecutiveFailures != 2 {
			t.Fatalf("operator's kv get: %v, %+v", err, c)
		}
		mkv, err := js.KeyValue(ctx, store.BucketMappings)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mkv.Get(ctx, "Salesforce.Account.none"); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("operator's mapping get: %v, want key not found", err)
		}
		// Finds the micro service.
		if m, err := op.Request("$SRV.PING."+subjects.ServiceName, nil, 5*time.Second); err != nil || !strings.Contains(string(m.Data), subjects.ServiceName) {
			t.Errorf("$SRV.PING: %v", err)
		}
		// Publishes an enable: sec-a's streak is reset.
		if _, err := js.Publish(ctx, subj.Enable("sec-a"), []byte(`{"integrationId":"sec-a","enabledBy":"op1"}`)); err != nil {
			t.Fatalf("operator's enable: %v", err)
		}
		WaitCounter(t, admin, "sec-a", Streak(0, false))

		// May not publish outcomes or events.
		Publish(t, op, workload.Failed("sec-d", forged, subjects.StagePerform, 502))
		mustPublishJSON(t, op, subj.Event(subjects.KindPerform, "sec-d"), map[string]string{"id": forged})
		waitViolation(t, ov, subj.Run("sec-d"))
		waitViolation(t, ov, subj.Event(subjects.KindPerform, "sec-d"))
		settle(t, op, admin)
		if got := storedWith(t, admin, store.StreamRuns, ".sec-d"); len(got) != 0 {
			t.Errorf("INTEGRATION_RUNS holds the operator's outcome: %q", got)
		}
		if got := storedWith(t, admin, store.StreamEvents, ".sec-d"); len(got) != 0 {
			t.Errorf("INTEGRATION_EVENTS holds the operator's event: %q", got)
		}
	})

	t.Run("client commands", func(t *testing.T) {
		pw := users.Passwords[UserOperator]
		// natscli's flags; the inbox prefix defaults to _INBOX_<user>.
		out, err := cli(t, "integrations", "show", "sec-a", "--server", s.URL, "--user", UserOperator, "--password", pw)
		if err != nil || !strings.Contains(out, `"integrationId": "sec-a"`) {
			t.Errorf("integrations show --user: %v\n%s", err, out)
		}
		// natscli's variables.
		cmd := exec.Command(Binary(t), "events", "list", "--integration", "sec-b", "--json")
		cmd.Env = append(os.Environ(), "NATS_URL="+s.URL, "NATS_USER="+UserOperator, "NATS_PASSWORD="+pw)
		b, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(b), eventID) {
			t.Errorf("events list with NATS_USER and NATS_PASSWORD: %v\n%s", err, b)
		}
		// The shared inbox is refused to an operator, and the API to a
		// runner: each fails at once, naming the violation.
		for _, args := range [][]string{
			{"--user", UserOperator, "--password", pw, "--inbox-prefix", "_INBOX"},
			{"--user", UserRunner, "--password", users.Passwords[UserRunner]},
		} {
			start := time.Now()
			out, err := cli(t, append([]string{"integrations", "show", "sec-a", "--server", s.URL}, args...)...)
			if err == nil || !containsFold(out, "permissions violation") || time.Since(start) > 10*time.Second {
				t.Errorf("%q: %v after %s\n%s", args, err, time.Since(start), out)
			}
		}
		out, err = cli(t, "integrations", "show", "sec-a", "--server", s.URL, "--user", UserOperator, "--password", pw, "--token", "fake-token")
		if err == nil || !strings.Contains(out, "user and token given together") || strings.Contains(out, pw) {
			t.Errorf("--user with --token: %v\n%s", err, out)
		}
		if out, err := cli(t, "integrations", "show", "sec-a", "--server", s.URL, "--user", UserOperator, "--password", "fake-wrong"); err == nil || !strings.Contains(strings.ToLower(out), "authorization violation") {
			t.Errorf("wrong password: %v\n%s", err, out)
		}
	})
}

// TestConsumerCreateRepublishesAnywhere is why no role but admin may create
// consumers: a user allowed the JetStream API and its own inbox, and no
// publish at all, creates a push consumer on INTEGRATION_EVENTS whose
// deliver subject is a disable command someone listens to, and JetStream
// republishes an event there, where INTEGRATION_COMMANDS stores it. Should
// a NATS release stop this, the test fails and consumer creation can be
// given back to subscribers.
func TestConsumerCreateRepublishesAnywhere(t *testing.T) {
	perms := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{"$JS.API.>"}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX_eve.>"}},
	}
	srv, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: t.TempDir(), Users: []*server.User{
		{Username: "adm", Password: "fake-adm"}, {Username: "eve", Password: "fake-eve", Permissions: perms},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	admin, _ := ConnectAs(t, srv.ClientURL(), nats.UserInfo("adm", "fake-adm"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The deployment's streams, as serve creates them.
	if _, err := store.Open(ctx, admin, store.DefaultConfig(), zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	subj := subjects.Default()
	ajs, _ := jetstream.New(admin)
	if _, err := ajs.Publish(ctx, subj.Event(subjects.KindPerform, "victim"), []byte(`{"id":"`+forged+`"}`)); err != nil {
		t.Fatal(err)
	}
	scheduler, err := admin.SubscribeSync(subj.Disable("victim"))
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Flush(); err != nil {
		t.Fatal(err)
	}
	eve, ev := ConnectAs(t, srv.ClientURL(), nats.UserInfo("eve", "fake-eve"), nats.CustomInboxPrefix("_INBOX_eve"))
	js, _ := jetstream.New(eve)
	if _, err := js.CreateOrUpdateConsumer(ctx, store.StreamEvents, jetstream.ConsumerConfig{
		Durable: "eve", DeliverSubject: subj.Disable("victim"), FilterSubject: subj.Events(), AckPolicy: jetstream.AckNonePolicy,
	}); err != nil {
		t.Fatal(err)
	}
	m, err := scheduler.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no republished event reached the disable subject: %v", err)
	}
	if !strings.Contains(string(m.Data), forged) {
		t.Fatalf("the disable subject got %q", m.Data)
	}
	if len(ev.All()) != 0 {
		t.Errorf("eve's errors: %v", ev.All())
	}
	CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if got := storedWith(t, admin, store.StreamCommands, ".victim"); len(got) != 1 {
			return fmt.Errorf("INTEGRATION_COMMANDS holds %q", got)
		}
		return nil
	})
}

// TestServeRefusesBadNATSSecurityFlags: a bad users file or a flag for the
// wrong kind of server stops serve at start with a message that names the
// problem, and never the password.
func TestServeRefusesBadNATSSecurityFlags(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/users.yaml"
	if err := os.WriteFile(bad, []byte("users:\n  - {name: run1, password: fake-leak-me, role: runer}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--nats-auth", bad}, `user "run1": unknown role "runer"`},
		{[]string{"--nats-auth", dir + "/missing.yaml"}, "--nats-auth: open"},
		{[]string{"--nats-auth", bad, "--nats-url", "nats://127.0.0.1:1"}, "--nats-auth configures the embedded server"},
		{[]string{"--nats-tls-cert", dir + "/c.pem"}, "needs --nats-tls-cert and --nats-tls-key"},
		{[]string{"--nats-password", "fake-leak-me"}, "are for a --nats-url server"},
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-password", "fake-leak-me"}, "a password without a user"},
	} {
		out, err := cli(t, append([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", FreePort(t), "--http-listen="}, tc.args...)...)
		if err == nil || !strings.Contains(out, tc.says) || strings.Contains(out, "fake-leak-me") {
			t.Errorf("serve %q: %v\n%s\nwant %q, without the password", tc.args, err, out, tc.says)
		}
	}
}

// TestDemoWithNATSAuth: the demo plays its script with users on its
// embedded server, which then refuses anonymous clients and serves an
// operator.
func TestDemoWithNATSAuth(t *testing.T) {
	users := WriteAuthUsers(t)
	d := StartDemo(t, "--pace", "2ms", "--nats-auth", users.File)
	d.WaitScriptDone(60 * time.Second)
	m := regexp.MustCompile(`embedded NATS at (nats://127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(d.Output())
	if m == nil {
		t.Fatalf("no NATS URL in the demo's output:\n%s", d.Output())
	}
	if _, err := nats.Connect(m[1]); err == nil {
		t.Error("the demo's server let an anonymous client in")
	}
	op, _ := ConnectAs(t, m[1], users.As(UserOperator)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if page, err := API(op).ListEvents(ctx, subjects.ListEventsRequest{}); err != nil || len(page.Data) == 0 {
		t.Errorf("operator's events list on the demo: %v, %d events", err, len(page.Data))
	}
}
