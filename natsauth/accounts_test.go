package natsauth

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Every import of a client account has an export to that account, only
// ServiceAccount has JetStream, and the accounts follow the subject root.
func TestAccountsMatchTheRoleTable(t *testing.T) {
	subj, err := subjects.New("acme.int")
	if err != nil {
		t.Fatal(err)
	}
	accs := Accounts(subj)
	if len(accs) != 4 || accs[0].Name != ServiceAccount || !accs[0].JetStream || len(accs[0].Imports) != 0 {
		t.Fatalf("accounts %+v: want %s first, with JetStream and no imports", accs, ServiceAccount)
	}
	exports := map[string]Export{}
	for _, e := range accs[0].Exports {
		exports[e.Service+"|"+e.Stream] = e
	}
	for _, r := range Roles {
		if r == RoleAdmin {
			if r.Account() != ServiceAccount {
				t.Errorf("admin in %s", r.Account())
			}
			continue
		}
		i := slices.IndexFunc(accs, func(a Account) bool { return a.Name == r.Account() })
		if i < 0 {
			t.Fatalf("no account %s for %s", r.Account(), r)
		}
		a := accs[i]
		if a.JetStream || len(a.Exports) != 0 {
			t.Errorf("%s: JetStream %t, exports %v: a client account holds no stream and exports nothing", a.Name, a.JetStream, a.Exports)
		}
		g := r.Grants("*", subj)
		var imported []string
		for _, im := range a.Imports {
			imported = append(imported, im.Service+im.Stream)
			e, ok := exports[im.Service+"|"+im.Stream]
			if !ok || !slices.Contains(e.Accounts, a.Name) {
				t.Errorf("%s imports %+v, not exported to it", a.Name, im)
			}
		}
		for _, s := range append(g.Publish, g.Subscribe...) {
			if !strings.HasPrefix(s, "_INBOX") && !slices.Contains(imported, s) {
				t.Errorf("%s: role %s may use %s, which its account does not import", a.Name, r, s)
			}
		}
	}
	conf := AccountsConfig(subj)
	for _, want := range []string{`{ service: "acme.int.runs.>", accounts: [RUNNERS] }`, `{ stream: "acme.int.events.>", accounts: [SUBSCRIBERS] }`,
		`{ service: "$JS.API.CONSUMER.MSG.NEXT.INTEGRATION_EVENTS.*", accounts: [SUBSCRIBERS], response_type: stream }`,
		`{ service: "$SRV.>", accounts: [OPERATORS], response_type: stream }`} {
		if !strings.Contains(conf, want) {
			t.Errorf("config has no %s:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "integrations.") {
		t.Errorf("config under acme.int names the default root:\n%s", conf)
	}
}

// On a real server from ForServer under a custom root: a runner's
// JetStream publish is stored in ServiceAccount's stream and acknowledged,
// and its PubAck, sent to a reply subject the stream listens on, is not
// stored.
func TestForServerRunnerPublishesAcrossAccounts(t *testing.T) {
	subj, err := subjects.New("acme.int")
	if err != nil {
		t.Fatal(err)
	}
	su, err := ForServer([]User{{Name: "run1", Password: "fake-run1", Role: RoleRunner}}, subj)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:-1", DataDir: t.TempDir(), Users: su.Users, Nkeys: su.Nkeys, Accounts: su.Accounts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	connect := func(opts ...nats.Option) *nats.Conn {
		nc, err := nats.Connect(srv.ClientURL(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	proc := connect(nats.UserInfo(su.Internal.User, su.Internal.Password))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pjs, _ := jetstream.New(proc)
	st, err := pjs.CreateStream(ctx, jetstream.StreamConfig{Name: "RUNS", Subjects: []string{subj.Runs()}})
	if err != nil {
		t.Fatal(err)
	}
	runner := connect(nats.UserInfo("run1", "fake-run1"), nats.CustomInboxPrefix(InboxPrefix("run1")))
	rjs, _ := jetstream.New(runner)
	if _, err := rjs.Publish(ctx, subj.Run("a"), []byte(`{}`)); err != nil {
		t.Fatalf("runner's publish: %v", err)
	}
	if err := runner.PublishMsg(&nats.Msg{Subject: subj.Run("b"), Reply: subj.Run("victim"), Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := rjs.Publish(ctx, subj.Run("c"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State.Subjects; len(got) != 3 || got[subj.Run("victim")] != 0 {
		t.Errorf("stream holds %v, want runs a, b and c and no PubAck on %s", got, subj.Run("victim"))
	}
}
