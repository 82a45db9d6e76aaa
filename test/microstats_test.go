package test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/micro"
)

// TestMicroStatsCountEveryEndpoint calls every endpoint of the operator API
// once over NATS, and one of them once more with a bad request, then reads
// the micro service's stats (the request `nats micro stats` makes, and, when
// natscli is installed, natscli itself): every endpoint counts its requests,
// the bad one as an error, and the time they took.
func TestMicroStatsCountEveryEndpoint(t *testing.T) {
	s, nc := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const id = "stats-1"
	Publish(t, nc, workload.Failed(id, "r1", subjects.StagePerform, 500))
	WaitCounter(t, nc, id, Streak(1, false))
	events := StoredEvents(t, nc)
	if len(events) != 1 {
		t.Fatalf("%d events stored, want 1", len(events))
	}
	api := API(nc)
	calls := map[string]func() error{
		subjects.EndpointEventsList: func() error { _, err := api.ListEvents(ctx, subjects.ListEventsRequest{}); return err },
		subjects.EndpointEventsGet:  func() error { _, err := api.Event(ctx, events[0].ID); return err },
		subjects.EndpointEventsAction: func() error {
			_, err := api.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: []string{events[0].ID}, ActionedBy: "ops"})
			return err
		},
		subjects.EndpointIntegrationGet: func() error { _, err := api.Integration(ctx, id); return err },
		subjects.EndpointIntegrationEnable: func() error {
			_, err := api.EnableIntegration(ctx, subjects.EnableIntegrationRequest{IntegrationID: id, EnabledBy: "ops"})
			return err
		},
		subjects.EndpointIntegrationsList: func() error { _, err := api.ListIntegrations(ctx, subjects.ListIntegrationsRequest{}); return err },
		subjects.EndpointRunsGet:          func() error { _, err := api.Run(ctx, id, "r1"); return err },
		subjects.EndpointMappingsList: func() error {
			_, err := api.ListExternalMappings(ctx, subjects.ListExternalMappingsRequest{})
			return err
		},
		subjects.EndpointStatus: func() error { _, err := api.Status(ctx); return err },
		subjects.EndpointMappingsCreate: func() error {
			_, err := api.CreateExternalMapping(ctx, subjects.CreateExternalMappingRequest{M3terEntity: "Account", M3terID: "acct-1",
				ExternalSystem: "Salesforce", ExternalTable: "Account", ExternalID: "001-1", IntegrationConfigID: id, CreatedBy: "ops"})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// One bad request: events.get without an id.
	if _, err := nc.Request(subjects.Default().API(subjects.EndpointEventsGet), []byte(`{}`), 10*time.Second); err != nil {
		t.Fatal(err)
	}

	check := func(how string, st micro.Stats) {
		t.Helper()
		seen := map[string]bool{}
		for _, ep := range st.Endpoints {
			name := strings.TrimPrefix(ep.Subject, subjects.Default().APIGroup()+".")
			seen[name] = true
			wantReq, wantErr := 1, 0
			if name == subjects.EndpointEventsGet {
				wantReq, wantErr = 2, 1
			}
			if ep.NumRequests != wantReq || ep.NumErrors != wantErr {
				t.Errorf("%s: %s: %d requests, %d errors, want %d and %d", how, name, ep.NumRequests, ep.NumErrors, wantReq, wantErr)
			}
			if ep.ProcessingTime <= 0 || ep.AverageProcessingTime <= 0 || ep.AverageProcessingTime > ep.ProcessingTime {
				t.Errorf("%s: %s: processing time %s, average %s", how, name, ep.ProcessingTime, ep.AverageProcessingTime)
			}
			if wantErr > 0 && !strings.Contains(ep.LastError, "id is required") {
				t.Errorf("%s: %s: last error %q", how, name, ep.LastError)
			}
		}
		for name := range calls {
			if !seen[name] {
				t.Errorf("%s: no stats for %s", how, name)
			}
		}
	}

	m, err := nc.Request("$SRV.STATS."+subjects.ServiceName, nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var st micro.Stats
	if err := json.Unmarshal(m.Data, &st); err != nil {
		t.Fatalf("stats reply %q: %v", m.Data, err)
	}
	check("$SRV.STATS", st)

	if _, err := exec.LookPath("nats"); err != nil && os.Getenv("NATS_CLI") == "" && os.Getenv("CI") == "" {
		t.Log("natscli is not on PATH: checked the stats request only")
		return
	}
	cli := natsCLI(t)
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, cli, "--server", s.URL, "micro", "stats", subjects.ServiceName, "--json")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "NATS_CONTEXT=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nats micro stats: %v\n%s", err, out)
	}
	// natscli prints the stats of every instance.
	var all []micro.Stats
	if err := json.Unmarshal(out, &all); err != nil || len(all) != 1 {
		t.Fatalf("nats micro stats --json printed %s (%v), want one instance", out, err)
	}
	check("nats micro stats", all[0])
}
