package test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsauth"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats-server/v2/conf"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestComposeNATSRoles checks deploy/nats/nats-server.conf's accounts,
// their imports and exports, and its users against what natsauth builds
// for serve --nats-auth, then starts a real server from it (one node, on
// loopback) with serve connected as docker-compose.yml connects it, and
// drives the roles' boundaries there.
func TestComposeNATSRoles(t *testing.T) {
	root := repoRoot(t)
	project := loadCompose(t, root)
	node := project.Services["nats-1"]
	env := map[string]string{}
	for k, v := range node.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	opts := loadNATSConfig(t, root, node)
	checkAccountsAsGenerated(t, filepath.Join(root, "deploy", "nats", "nats-server.conf"), env)

	byName := map[string]*server.User{}
	for _, u := range opts.Users {
		byName[u.Username] = u
	}
	for _, r := range natsauth.Roles {
		u := byName[string(r)]
		if u == nil {
			t.Errorf("no user %q for role %s", r, r)
			continue
		}
		want := r.Grants(string(r), subjects.Default())
		if u.Account == nil || u.Account.Name != r.Account() {
			t.Errorf("user %s: account %v, want %s", r, u.Account, r.Account())
		}
		if u.Permissions == nil || u.Permissions.Publish == nil || u.Permissions.Subscribe == nil {
			t.Errorf("user %s: permissions %+v, want %+v", r, u.Permissions, want)
			continue
		}
		if got := u.Permissions.Publish; !slices.Equal(got.Allow, want.Publish) || got.Deny != nil {
			t.Errorf("user %s publish:\n got %q\nwant %q", r, got.Allow, want.Publish)
		}
		if got := u.Permissions.Subscribe; !slices.Equal(got.Allow, want.Subscribe) || got.Deny != nil {
			t.Errorf("user %s subscribe:\n got %q\nwant %q", r, got.Allow, want.Subscribe)
		}
		if u.Password == "" || !strings.HasPrefix(u.Password, "demo-") {
			t.Errorf("user %s: its compose password is not an obvious demo value", r)
		}
	}
	proc := byName[natsauth.InternalUser]
	if proc == nil || proc.Permissions != nil || proc.Account == nil || proc.Account.Name != natsauth.ServiceAccount {
		t.Fatalf("user %s (the replicas): %+v, want one in %s with every permission", natsauth.InternalUser, proc, natsauth.ServiceAccount)
	}
	for _, name := range []string{"integration-events-1", "integration-events-2"} {
		svc := project.Services[name]
		if u, _ := flagValue(svc.Command, "nats-user"); u != natsauth.InternalUser {
			t.Errorf("%s: --nats-user %q, want %s", name, u, natsauth.InternalUser)
		}
		if pw := svc.Environment["INTEGRATION_EVENTS_NATS_PASSWORD"]; pw == nil || *pw != proc.Password {
			t.Errorf("%s: INTEGRATION_EVENTS_NATS_PASSWORD is not the nodes' NATS_PROCESSOR_PASSWORD", name)
		}
	}
	if t.Failed() {
		return
	}

	// One node of it, for real.
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT, 0
	opts.StoreDir, opts.NoLog, opts.NoSigs = t.TempDir(), true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		t.Fatal("server from the deploy config not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	url := srv.ClientURL()
	StartServeEnv(t, []string{"INTEGRATION_EVENTS_NATS_PASSWORD=" + proc.Password}, t.TempDir(), FreePort(t), "--nats-url", url, "--nats-user", natsauth.InternalUser)

	as := func(role natsauth.Role) (*nats.Conn, *Violations) {
		return ConnectAs(t, url, nats.UserInfo(string(role), env["NATS_"+strings.ToUpper(string(role))+"_PASSWORD"]), nats.CustomInboxPrefix(natsauth.InboxPrefix(string(role))))
	}
	admin, _ := as(natsauth.RoleAdmin)
	runner, rv := as(natsauth.RoleRunner)
	op, _ := as(natsauth.RoleOperator)
	sub, sv := as(natsauth.RoleSubscriber)
	subj := subjects.Default()

	Publish(t, runner, workload.Failed("dep-a", "dep-run-1", subjects.StagePerform, 502))
	WaitCounter(t, op, "dep-a", Streak(1, false)) // the operator's kv get
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if page, err := API(op).ListEvents(ctx, subjects.ListEventsRequest{IntegrationID: "dep-a"}); err != nil || len(page.Data) != 1 {
		t.Errorf("operator's events list: %v, %d events", err, len(page.Data))
	}

	mustPublishJSON(t, runner, subj.Disable("dep-a"), map[string]string{"integrationId": "dep-a", "reason": forged})
	Publish(t, sub, workload.Failed("dep-b", forged, subjects.StagePerform, 502))
	// A reply subject is not checked against permissions: the runner's
	// PubAck would be a disable command in a one-account layout.
	ack, _ := json.Marshal(workload.Succeeded("dep-c", "dep-c-1"))
	if err := runner.PublishMsg(&nats.Msg{Subject: subj.Run("dep-c"), Reply: subj.Disable("dep-a"), Data: ack}); err != nil {
		t.Fatal(err)
	}
	waitViolation(t, rv, subj.Disable("dep-a"))
	waitViolation(t, sv, subj.Run("dep-b"))
	settle(t, runner, admin)
	settle(t, sub, admin)
	if got := storedWith(t, admin, store.StreamCommands, ".dep-a"); len(got) != 0 {
		t.Errorf("INTEGRATION_COMMANDS holds the runner's disable: %q", got)
	}
	if got := storedWith(t, admin, store.StreamRuns, ".dep-b"); len(got) != 0 {
		t.Errorf("INTEGRATION_RUNS holds the subscriber's outcome: %q", got)
	}
	js, _ := jetstream.New(sub)
	if err := js.DeleteStream(refusedCtx(t), store.StreamEvents); err == nil {
		t.Error("subscriber deleted INTEGRATION_EVENTS")
	}
}

// checkAccountsAsGenerated compares the accounts of the config file at path
// (read under env) with natsauth.AccountsConfig under the default subjects,
// both parsed by the server's config parser: the same accounts, each with
// the same JetStream setting, exports and imports. Users are compared
// separately, as the server loads them; the file may add the system
// account.
func checkAccountsAsGenerated(t *testing.T, path string, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	file, err := conf.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := conf.Parse(natsauth.AccountsConfig(subjects.Default()))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := file["accounts"].(map[string]any)
	want, _ := gen["accounts"].(map[string]any)
	if len(want) != 4 {
		t.Fatalf("natsauth generates %d accounts: %v", len(want), want)
	}
	for name, w := range want {
		g, ok := got[name].(map[string]any)
		if !ok {
			t.Errorf("%s: no account %s", path, name)
			continue
		}
		for _, key := range []string{"jetstream", "exports", "imports"} {
			if !reflect.DeepEqual(g[key], w.(map[string]any)[key]) {
				t.Errorf("%s: account %s %s:\n got %v\nwant %v", path, name, key, g[key], w.(map[string]any)[key])
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok && name != file["system_account"] {
			t.Errorf("%s: account %s is not one natsauth generates", path, name)
		}
	}
}
