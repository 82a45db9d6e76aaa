package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

func acct42() subjects.ExternalMapping {
	return subjects.ExternalMapping{
		M3terEntity: "Account", M3terID: "acct-42", ExternalSystem: "Salesforce", ExternalTable: "Account",
		ExternalID: "0015e00000AbCdEAAZ", IntegrationConfigID: "sf-acme-prod", CreatedBy: "ana@example.com",
	}
}

func TestCreateExternalMappingStoresItForRunners(t *testing.T) {
	srv := test.StartServer(t)
	st := openStoreOn(t, srv.ClientURL())
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	m, err := st.CreateExternalMapping(ctx, acct42(), now)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || !m.DtCreated.Equal(now) || m.DtCreated.Location() != time.UTC || m.ExternalID != "0015e00000AbCdEAAZ" {
		t.Fatalf("created: %+v", m)
	}

	// A runner that finds m3ter Account acct-42 unmapped in Salesforce
	// reads the documented key, with its own connection.
	key, err := subjects.MappingKey("Salesforce", "Account", "acct-42")
	if err != nil || key != "Salesforce.Account.acct-42" {
		t.Fatalf("key %q, %v", key, err)
	}
	js, err := jetstream.New(test.Connect(t, srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "external_mappings")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var got subjects.ExternalMapping
	if err := json.Unmarshal(e.Value(), &got); err != nil || got != m {
		t.Fatalf("kv get %s: %+v, %v; created %+v", key, got, err, m)
	}
	if got, err := st.ExternalMapping(ctx, "Salesforce", "Account", "acct-42"); err != nil || got != m {
		t.Fatalf("ExternalMapping: %+v, %v", got, err)
	}
	for _, miss := range [][3]string{{"Stripe", "Account", "acct-42"}, {"Salesforce", "Account", "acct 42"}} {
		if _, err := st.ExternalMapping(ctx, miss[0], miss[1], miss[2]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ExternalMapping%v: %v", miss, err)
		}
	}
	// The stock nats CLI reads it the same way, when it is installed.
	if cli, err := exec.LookPath("nats"); err == nil {
		home := t.TempDir()
		cmd := exec.Command(cli, "--server", srv.ClientURL(), "kv", "get", "external_mappings", key, "--raw")
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "NATS_CONTEXT=")
		out, err := cmd.CombinedOutput()
		var viaCLI subjects.ExternalMapping
		if err != nil || json.Unmarshal(out, &viaCLI) != nil || viaCLI != m {
			t.Fatalf("nats kv get external_mappings %s: %v: %s", key, err, out)
		}
	} else if os.Getenv("CI") != "" {
		t.Fatal("nats (natscli) is not installed; .ci/run installs it")
	}

	// The announcement, on INTEGRATION_EVENTS, de-duplicated by the
	// mapping's id.
	events, err := js.Stream(ctx, store.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	subject := subjects.Default().MappingCreated("sf-acme-prod")
	if subject != "integrations.mappings.created.sf-acme-prod" {
		t.Fatal(subject)
	}
	msg, err := events.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	var announced subjects.ExternalMapping
	if err := json.Unmarshal(msg.Data, &announced); err != nil || announced != m || msg.Header.Get(jetstream.MsgIDHeader) != m.ID {
		t.Fatalf("announced %+v with Nats-Msg-Id %q: %v", announced, msg.Header.Get(jetstream.MsgIDHeader), err)
	}

	// A second create of the key is a conflict that returns the first and
	// changes nothing; a retry within the duplicate window announces again,
	// which JetStream keeps once.
	again := acct42()
	again.ExternalID, again.CreatedBy = "0015e00000ZZZZZAAZ", "bo@example.com"
	old, err := st.CreateExternalMapping(ctx, again, now.Add(time.Minute))
	if !errors.Is(err, store.ErrExists) || old != m {
		t.Fatalf("second create: %+v, %v", old, err)
	}
	t.Log(err)
	if e, err := kv.Get(ctx, key); err != nil || e.Revision() != 1 {
		t.Fatalf("after the conflict: %v", err)
	}
	info, err := events.Info(ctx, jetstream.WithSubjectFilter(subjects.Default().Mappings()))
	if err != nil || info.State.Subjects[subject] != 1 {
		t.Fatalf("announcements: %v, %v", info.State.Subjects, err)
	}

	// Deleted and created again within the duplicate window: a new
	// mapping, announced again.
	if err := kv.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	m2, err := st.CreateExternalMapping(ctx, again, now.Add(2*time.Minute))
	if err != nil || m2.ID == m.ID || m2.ExternalID != again.ExternalID {
		t.Fatalf("create after delete: %+v, %v", m2, err)
	}
	info, err = events.Info(ctx, jetstream.WithSubjectFilter(subjects.Default().Mappings()))
	if err != nil || info.State.Subjects[subject] != 2 {
		t.Fatalf("announcements after delete and create: %v, %v", info.State.Subjects, err)
	}
	if msg, err := events.GetLastMsgForSubject(ctx, subject); err != nil || msg.Header.Get(jetstream.MsgIDHeader) != m2.ID {
		t.Fatalf("second announcement: %v", err)
	}
}

func openStoreOn(t testing.TB, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), test.Connect(t, url), store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCreateExternalMappingRefusesBadFields(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		edit  func(*subjects.ExternalMapping)
		words string
	}{
		{"space in m3terId", func(m *subjects.ExternalMapping) { m.M3terID = "acct 42" }, "m3terId \"acct 42\" has ' ' at position 4"},
		{"dot in m3terEntity", func(m *subjects.ExternalMapping) { m.M3terEntity = "Account.Plan" }, "m3terEntity \"Account.Plan\" has '.' at position 7"},
		{"accent in externalSystem", func(m *subjects.ExternalMapping) { m.ExternalSystem = "Sälesforce" }, "'ä' at position 1"},
		{"wildcard in m3terId", func(m *subjects.ExternalMapping) { m.M3terID = "acct-*" }, "'*' at position 5"},
		{"no m3terEntity", func(m *subjects.ExternalMapping) { m.M3terEntity = "" }, "m3terEntity is required"},
		{"no externalTable", func(m *subjects.ExternalMapping) { m.ExternalTable = "" }, "externalTable is required"},
		{"no externalId", func(m *subjects.ExternalMapping) { m.ExternalID = "" }, "externalId is required"},
		{"no createdBy", func(m *subjects.ExternalMapping) { m.CreatedBy = "" }, "createdBy is required"},
		{"long m3terId", func(m *subjects.ExternalMapping) { m.M3terID = strings.Repeat("a", 129) }, "m3terId is 129 bytes, over 128"},
		{"long externalId", func(m *subjects.ExternalMapping) { m.ExternalID = strings.Repeat("a", 257) }, "externalId is 257 bytes, over 256"},
		{"control in externalTable", func(m *subjects.ExternalMapping) { m.ExternalTable = "Acc\nount" }, "control character"},
		{"padded externalId", func(m *subjects.ExternalMapping) { m.ExternalID = " 001 " }, "starts or ends with a space"},
		{"bad integrationConfigId", func(m *subjects.ExternalMapping) { m.IntegrationConfigID = "sf.acme" }, "integrationConfigId"},
		{"no integrationConfigId", func(m *subjects.ExternalMapping) { m.IntegrationConfigID = "" }, "integrationConfigId"},
	} {
		m := acct42()
		c.edit(&m)
		_, err := st.CreateExternalMapping(ctx, m, time.Now())
		if !errors.Is(err, subjects.ErrBadInput) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: %v, want a bad input saying %q", c.name, err, c.words)
		}
	}
	if ms, _, err := st.ListExternalMappings(ctx, 10, ""); err != nil || len(ms) != 0 {
		t.Fatalf("refused creates stored %d mappings: %v", len(ms), err)
	}
	if _, err := st.CreateExternalMapping(ctx, acct42(), time.Now()); err != nil {
		t.Fatalf("the valid one: %v", err)
	}
}

func TestListExternalMappingsPagesInKeyOrder(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var want []string
	for _, k := range []string{"Stripe.Account.a-2", "Salesforce.Account.a-9", "Xero.Contact.c-1", "Salesforce.Account.a-10", "NetSuite.Account.a-1", "Salesforce.Product.p-1", "Chargebee.Account.a-1"} {
		parts := strings.Split(k, ".")
		m := acct42()
		m.ExternalSystem, m.M3terEntity, m.M3terID = parts[0], parts[1], parts[2]
		if _, err := st.CreateExternalMapping(ctx, m, time.Now()); err != nil {
			t.Fatal(err)
		}
		want = append(want, k)
	}
	slices.Sort(want)
	var got []string
	token, pages := "", 0
	for {
		ms, next, err := st.ListExternalMappings(ctx, 3, token)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range ms {
			k, _ := m.Key()
			got = append(got, k)
		}
		if token = next; next == "" {
			break
		}
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("%d pages: %v, want %v", pages, got, want)
	}
	for _, tok := range []string{"x", encodeB64("in1:0:0:a"), encodeB64("em1:bad key")} {
		if _, _, err := st.ListExternalMappings(ctx, 3, tok); !errors.Is(err, store.ErrBadToken) {
			t.Fatalf("token %q: %v", tok, err)
		}
	}
}
