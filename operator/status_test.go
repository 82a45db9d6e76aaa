package operator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"go.uber.org/zap"
)

// TestStatusOverNATSAndHTTP: the status endpoint reports two replicas
// splitting the partitions, a disabled integration with the destination of
// its disabled event, and the events not actioned, the same over NATS and
// HTTP.
func TestStatusOverNATSAndHTTP(t *testing.T) {
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	ctx := context.Background()
	st, err := store.Open(ctx, nc, store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := operator.New(operator.DefaultConfig(), st, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ns, err := operator.NewNATS(nc, svc, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Stop() })
	h, err := operator.NewHTTP(operator.HTTPConfig{Listen: "127.0.0.1:0"}, svc, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })

	for _, id := range []string{"replica-b", "replica-a"} {
		if err := st.Heartbeat(ctx, id, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	events := []struct {
		id   string
		kind subjects.Kind
	}{{"e-auth-1", subjects.KindAuthentication}, {"e-auth-2", subjects.KindAuthentication}, {"e-disabled", subjects.KindDisabled}, {"e-perform", subjects.KindPerform}}
	for _, e := range events {
		ce := fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"t","type":%q,"time":"2026-11-25T12:00:00Z","data":{"destination":"Xero"}}`, e.id, e.kind.EventName())
		if _, err := st.PublishEvent(ctx, store.StoredEvent{ID: e.id, Kind: e.kind, IntegrationID: "xero-1", Time: at, CloudEvent: ce}); err != nil {
			t.Fatal(err)
		}
	}
	c := subjects.FailureCounter{IntegrationID: "xero-1", ConsecutiveFailures: 2, DisableAfter: 2, Disabled: true, DisabledAt: &at, DisabledEventID: "e-disabled", DisabledBy: "kinds.authentication.disableAfter",
		FailuresByKind: map[string]int{subjects.KindAuthentication.EventName(): 2}, LastError: strings.Repeat("token expired ", 40), UpdatedAt: at}
	if _, err := st.PutCounter(ctx, &c, 0); err != nil {
		t.Fatal(err)
	}
	client := operator.NewClient(nc, st.Subjects())
	if _, err := client.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: []string{"e-perform"}, ActionedBy: "ops"}); err != nil {
		t.Fatal(err)
	}

	got, err := client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sv := got.Server; got.ServiceVersion != operator.Version || sv.Version == "" || !sv.Reachable || sv.URL != srv.ClientURL() || sv.RTTMillis <= 0 || sv.Error != "" {
		t.Errorf("service %q, server %+v: want the service's own connection", got.ServiceVersion, sv)
	}
	if len(got.Replicas) != 2 || got.Replicas[0].ID != "replica-a" || !slices.Equal(got.Replicas[0].Partitions, []int{0, 2, 4, 6}) ||
		got.Replicas[1].ID != "replica-b" || !slices.Equal(got.Replicas[1].Partitions, []int{1, 3, 5, 7}) {
		t.Errorf("replicas %+v", got.Replicas)
	}
	for _, p := range got.Partitions {
		if want := got.Replicas[p.Partition%2].ID; p.Replica != want || !p.Missing || p.Pending != 0 {
			t.Errorf("partition %+v, want held by %s, no consumer yet, nothing pending", p, want)
		}
	}
	if got.Disabled.Total != 1 || len(got.Disabled.Integrations) != 1 {
		t.Fatalf("disabled %+v", got.Disabled)
	}
	d := got.Disabled.Integrations[0]
	if d.IntegrationID != "xero-1" || d.Destination != "Xero" || d.DisabledBy != "kinds.authentication.disableAfter" || d.DisabledAt == nil || !d.DisabledAt.Equal(at) || d.ConsecutiveFailures != 2 ||
		len(d.LastError) > subjects.MaxStatusErrorBytes+3 || !strings.HasPrefix(d.LastError, "token expired") {
		t.Errorf("disabled integration %+v", d)
	}
	na := got.NotActioned
	if na.ByEventName[subjects.KindAuthentication.EventName()] != 2 || na.ByEventName[subjects.KindDisabled.EventName()] != 1 ||
		na.ByEventName[subjects.KindPerform.EventName()] != 0 || na.Stored[subjects.KindPerform.EventName()] != 1 ||
		na.Total != 3 || !na.Exact || len(na.ByEventName) != len(subjects.Kinds) {
		t.Errorf("not actioned %+v", na)
	}

	// HTTP serves the same summary.
	resp, err := http.Get("http://" + h.Addr() + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var overHTTP subjects.DeploymentStatus
	if resp.StatusCode != 200 || json.Unmarshal(body, &overHTTP) != nil {
		t.Fatalf("GET /api/status: %d %s", resp.StatusCode, body)
	}
	overHTTP.Time, got.Time = time.Time{}, time.Time{}
	overHTTP.Server.RTTMillis, got.Server.RTTMillis = 0, 0
	if !reflect.DeepEqual(overHTTP, got) {
		t.Errorf("over HTTP:\n%+v\nover NATS:\n%+v", overHTTP, got)
	}

	// The request has no fields: a typo is a 400, over both.
	var oe *operator.Error
	if err := client.Request(ctx, subjects.EndpointStatus, []byte(`{"verbose": true}`), nil); !errors.As(err, &oe) || oe.Status != 400 || !strings.Contains(oe.Message, `unknown field "verbose"`) {
		t.Errorf("status with a field: %v", err)
	}
	resp, err = http.Get("http://" + h.Addr() + "/api/status?verbose=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `unknown query parameter \"verbose\"`) {
		t.Errorf("GET /api/status?verbose=1: %d %s", resp.StatusCode, body)
	}
}
