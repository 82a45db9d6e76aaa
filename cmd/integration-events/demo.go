package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func demoCmd() *cobra.Command {
	var pace time.Duration
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system in-process with simulated Salesforce, Chargebee and NetSuite runners, and print the events.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), pace, keep)
		},
	}
	cmd.Flags().DurationVar(&pace, "pace", 40*time.Millisecond, "pause between simulated runs")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary data directory")
	return cmd
}

// demoRun is one simulated run.
type demoRun struct {
	integration, destination, entityType, entityID string
	failure                                        *subjects.Failure
}

func demoScript() []demoRun {
	sf := func(entityID string, f *subjects.Failure) demoRun {
		return demoRun{"salesforce-acme", "Salesforce", "Bill", entityID, f}
	}
	cb := func(entityID string, f *subjects.Failure) demoRun {
		return demoRun{"chargebee-globex", "Chargebee", "Invoice", entityID, f}
	}
	ns := func(entityID string, f *subjects.Failure) demoRun {
		return demoRun{"netsuite-initech", "NetSuite", "Account", entityID, f}
	}
	runs := []demoRun{
		sf("bill-1001", nil), cb("inv-2001", nil), ns("acct-3001", nil),
		sf("bill-1002", &subjects.Failure{Stage: subjects.StageValidate, Message: "Bill bill-1002 has no billing contact email, which Salesforce requires on Invoice__c"}),
		ns("acct-3002", &subjects.Failure{Stage: subjects.StageMap, Message: "no NetSuite customer is mapped to m3ter Account acct-3002",
			Mapping: &subjects.Mapping{M3terEntity: "Account", M3terID: "acct-3002", ExternalSystem: "NetSuite", ExternalTable: "customer"}}),
		cb("inv-2002", &subjects.Failure{Stage: subjects.StagePerform, Message: "Chargebee answered 401 api_key_invalid",
			HTTP: &subjects.HTTPExchange{
				Request: &subjects.HTTPRequest{Method: "POST", URL: "https://globex.chargebee.com/api/v2/invoices?api_key=live_7f3kq9demo",
					Headers: subjects.Headers{"Authorization": {"Basic bGl2ZV83ZjNrcTlkZW1vOg=="}, "Content-Type": {"application/x-www-form-urlencoded"}},
					Body:    "customer_id=globex&amount=12000"},
				Response: &subjects.HTTPResponse{Status: 401, Body: `{"api_error_code":"api_authentication_failed","message":"api_key_invalid"}`},
			}}),
		sf("bill-1003", &subjects.Failure{Stage: subjects.StagePerform, Message: "REQUIRED_FIELD_MISSING: Required fields are missing: [Account__c]",
			HTTP: &subjects.HTTPExchange{
				Request: &subjects.HTTPRequest{Method: "POST", URL: "https://acme.my.salesforce.com/services/data/v60.0/sobjects/Invoice__c",
					Headers: subjects.Headers{"Authorization": {"Bearer 00D5e000000demo!AQ4AQFh"}, "Content-Type": {"application/json"}},
					Body:    `{"Name":"bill-1003","Amount__c":420.5,"access_token":"00D5e000000demo"}`},
				Response: &subjects.HTTPResponse{Status: 400, Body: `[{"message":"Required fields are missing: [Account__c]","errorCode":"REQUIRED_FIELD_MISSING"}]`},
			}}),
		sf("bill-1004", nil),
	}
	// NetSuite's token expires: every run fails until the integration is disabled.
	for i := range 20 {
		runs = append(runs, ns(fmt.Sprintf("acct-%d", 3100+i), &subjects.Failure{Stage: subjects.StageAuthenticate,
			Message: "NetSuite rejected the token-based authentication: INVALID_LOGIN_ATTEMPT (token revoked)"}))
	}
	return runs
}

func runDemo(ctx context.Context, out io.Writer, pace time.Duration, keep bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	dir, err := os.MkdirTemp("", "integration-events-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	log := zap.NewNop()
	cfg := serviceConfig{NATSListen: "127.0.0.1:-1", DataDir: dir, Store: store.DefaultConfig(), Pipeline: processor.DefaultConfig()}
	svc, err := startService(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.Stop(sctx)
	}()
	nc, err := nats.Connect(svc.ClientURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	subj := subjects.Default()
	fmt.Fprintf(out, "integration-events demo: embedded NATS at %s, data in %s\n\n", svc.ClientURL, dir)

	const row = "%-12s  %-39s  %-16s  %-6s  %-23s  %s\n"
	var mu sync.Mutex
	received := 0
	disabled := make(chan subjects.DisableCommand, 1)
	fmt.Fprintf(out, row, "TIME", "EVENT", "INTEGRATION", "STREAK", "FOLLOW-UP", "MESSAGE")
	sub, err := nc.Subscribe(subj.Events(), func(m *nats.Msg) {
		var ce struct {
			Time time.Time          `json:"time"`
			Data subjects.EventData `json:"data"`
		}
		if json.Unmarshal(m.Data, &ce) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		received++
		d := ce.Data
		fmt.Fprintf(out, row, ce.Time.Format("15:04:05.000"), d.EventName, d.IntegrationID,
			fmt.Sprintf("%d/%d", d.ConsecutiveFailures, d.DisableAfter), d.FollowUp.Action, gist(d, 160))
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	dsub, err := nc.Subscribe(subj.Disable("*"), func(m *nats.Msg) {
		var c subjects.DisableCommand
		if json.Unmarshal(m.Data, &c) == nil {
			disabled <- c
		}
	})
	if err != nil {
		return err
	}
	defer dsub.Unsubscribe()

	runs := demoScript()
	failures := 0
	for i, r := range runs {
		o := subjects.RunOutcome{
			RunID: fmt.Sprintf("run-%04d", i+1), IntegrationID: r.integration, Destination: r.destination,
			EntityType: r.entityType, EntityID: r.entityID, Status: subjects.StatusSucceeded, FinishedAt: time.Now().UTC(),
		}
		if r.failure != nil {
			o.Status, o.Failure = subjects.StatusFailed, r.failure
			failures++
		}
		b, _ := json.Marshal(o)
		if err := nc.Publish(subj.Run(r.integration), b); err != nil {
			return err
		}
		time.Sleep(pace)
	}
	var cmd subjects.DisableCommand
	select {
	case cmd = <-disabled:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("no disable command within 30s")
	}
	want := failures + 1 // every failure, plus the disabled event
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := received
		mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintf(out, "\ndisable command for %s (episode %d): %s\n", cmd.IntegrationID, cmd.Episode, clip(cmd.Reason, 160))

	// The operator follows up: actions the Salesforce events and re-enables NetSuite.
	api := operator.NewClient(nc, subj)
	page, err := api.ListEvents(ctx, subjects.ListEventsRequest{IntegrationID: "salesforce-acme"})
	if err != nil {
		return err
	}
	ids := make([]string, len(page.Data))
	for i, r := range page.Data {
		ids[i] = r.ID
	}
	acted, err := api.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: ids, ActionedBy: "demo-operator", Note: "fixed the bill data"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "actioned %d salesforce-acme events\n", len(acted.Actioned))
	counter, err := api.EnableIntegration(ctx, subjects.EnableIntegrationRequest{IntegrationID: "netsuite-initech", EnabledBy: "demo-operator", Reason: "new NetSuite token issued"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "re-enabled netsuite-initech: disabled=%t consecutiveFailures=%d episode=%d\n", counter.Disabled, counter.ConsecutiveFailures, counter.Episode)
	if page, err = api.ListEvents(ctx, subjects.ListEventsRequest{PageSize: 5}); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nnewest not-actioned events (events list --page-size 5):\n")
	printEvents(out, page.Data)
	return nil
}
