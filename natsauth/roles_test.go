package natsauth

import (
	"errors"
	"slices"
	"testing"

	"github.com/integration-events/integration-events/subjects"
)

func TestRoleGrants(t *testing.T) {
	subj, err := subjects.New("acme.int")
	if err != nil {
		t.Fatal(err)
	}
	kv := func(b string) []string {
		return []string{"$JS.API.STREAM.INFO.KV_" + b, "$JS.API.DIRECT.GET.KV_" + b, "$JS.API.DIRECT.GET.KV_" + b + ".>", "$JS.API.STREAM.MSG.GET.KV_" + b}
	}
	consume := func(s string) []string {
		return []string{"$JS.API.STREAM.INFO." + s, "$JS.API.CONSUMER.INFO." + s + ".u1", "$JS.API.CONSUMER.MSG.NEXT." + s + ".u1", "$JS.ACK." + s + ".u1.>"}
	}
	for _, tc := range []struct {
		role Role
		want Grants
	}{
		{RoleRunner, Grants{
			Publish:   append([]string{"acme.int.runs.>"}, kv("external_mappings")...),
			Subscribe: []string{"_INBOX_u1.>"},
		}},
		{RoleSubscriber, Grants{
			Publish:   append(consume("INTEGRATION_EVENTS"), consume("INTEGRATION_COMMANDS")...),
			Subscribe: []string{"acme.int.events.>", "acme.int.commands.>", "acme.int.actioned.>", "_INBOX_u1.>"},
		}},
		{RoleOperator, Grants{
			Publish:   append(append([]string{"acme.int.api.>", "acme.int.commands.enable.>", "$SRV.>"}, kv("integration_failures")...), kv("external_mappings")...),
			Subscribe: []string{"_INBOX_u1.>"},
		}},
		{RoleAdmin, Grants{Publish: []string{">"}, Subscribe: []string{">"}}},
	} {
		got := tc.role.Grants("u1", subj)
		if !slices.Equal(got.Publish, tc.want.Publish) {
			t.Errorf("%s publish:\n got %q\nwant %q", tc.role, got.Publish, tc.want.Publish)
		}
		if !slices.Equal(got.Subscribe, tc.want.Subscribe) {
			t.Errorf("%s subscribe:\n got %q\nwant %q", tc.role, got.Subscribe, tc.want.Subscribe)
		}
		p := tc.role.Permissions("u1", subj)
		if !slices.Equal(p.Publish.Allow, got.Publish) || !slices.Equal(p.Subscribe.Allow, got.Subscribe) || p.Publish.Deny != nil || p.Subscribe.Deny != nil || p.Response != nil {
			t.Errorf("%s: permissions %+v differ from grants %+v", tc.role, p, got)
		}
	}
}

// No role but admin may publish to $JS.API.CONSUMER.CREATE (a consumer's
// deliver subject republishes a stream anywhere) or subscribe to the
// shared _INBOX.
func TestNoRoleButAdminCreatesConsumersOrReadsSharedInboxes(t *testing.T) {
	for _, r := range Roles {
		if r == RoleAdmin {
			continue
		}
		g := r.Grants("u1", subjects.Default())
		for _, p := range g.Publish {
			for _, bad := range []string{"$JS.API.CONSUMER.CREATE", "$JS.API.CONSUMER.DURABLE", "$JS.API.STREAM.DELETE", "$JS.API.STREAM.UPDATE", "$JS.API.STREAM.PURGE", "$KV.", "integrations.events", "integrations.commands.disable", ">"} {
				if len(p) >= len(bad) && p[:len(bad)] == bad {
					t.Errorf("%s may publish %q", r, p)
				}
			}
		}
		for _, s := range g.Subscribe {
			if s == ">" || s == "_INBOX.>" || s == "integrations.runs.>" {
				t.Errorf("%s may subscribe %q", r, s)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		if got, err := ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Runner", "root", "admin "} {
		if _, err := ParseRole(s); !errors.Is(err, ErrUnknownRole) {
			t.Errorf("ParseRole(%q): %v, want ErrUnknownRole", s, err)
		}
	}
}

func TestForServer(t *testing.T) {
	nk := userNkey(t)
	users := []User{
		{Name: "run1", Password: "fake-run1", Role: RoleRunner},
		{Name: "sub1", Nkey: nk, Role: RoleSubscriber},
	}
	a, err := ForServer(users, subjects.Default())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ForServer(users, subjects.Default())
	if err != nil {
		t.Fatal(err)
	}
	if a.Internal.User != InternalUser || len(a.Internal.Password) < 40 || a.Internal.Password == b.Internal.Password {
		t.Errorf("internal credential %q/%d characters: want %s with a fresh long password each time", a.Internal.User, len(a.Internal.Password), InternalUser)
	}
	if len(a.Users) != 2 || a.Users[0].Username != InternalUser || a.Users[0].Permissions != nil {
		t.Fatalf("users %+v: want the internal user first, with every permission", a.Users)
	}
	if u := a.Users[1]; u.Username != "run1" || u.Password != "fake-run1" || !slices.Equal(u.Permissions.Publish.Allow, RoleRunner.Grants("run1", subjects.Default()).Publish) {
		t.Errorf("run1: %+v", u)
	}
	if len(a.Accounts) != 4 || len(a.Nkeys) != 1 || a.Users[0].Account.Name != ServiceAccount || a.Users[1].Account.Name != RunnersAccount || a.Nkeys[0].Account.Name != SubscribersAccount {
		t.Errorf("accounts %d; internal user in %v, run1 in %v, sub1 in %v", len(a.Accounts), a.Users[0].Account, a.Users[1].Account, a.Nkeys[0].Account)
	}
	if len(a.Nkeys) != 1 || a.Nkeys[0].Nkey != nk || !slices.Equal(a.Nkeys[0].Permissions.Subscribe.Allow, RoleSubscriber.Grants("sub1", subjects.Default()).Subscribe) {
		t.Errorf("nkeys %+v", a.Nkeys)
	}
}
