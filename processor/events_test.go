package processor_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
)

var eventsFinished = time.Date(2024, 7, 1, 9, 30, 0, 0, time.UTC)

// eventOutcome is a failed outcome of integration "ns-1" to NetSuite.
func eventOutcome(runID string, f *subjects.Failure) *subjects.RunOutcome {
	return &subjects.RunOutcome{
		RunID: runID, IntegrationID: "ns-1", Destination: "NetSuite",
		EntityType: "Account", EntityID: "acc-9",
		Status: subjects.StatusFailed, FinishedAt: eventsFinished, Failure: f,
	}
}

// admitted is o as the pipeline applies it: encoded, then admitted.
func admitted(t *testing.T, o *subjects.RunOutcome) *subjects.RunOutcome {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	a, err := processor.Admit(o.IntegrationID, b, o.FinishedAt)
	if err != nil {
		t.Fatalf("admit: %v", err)
	}
	return &a
}

// effectsOf applies o to c and builds its effects.
func effectsOf(c subjects.FailureCounter, o *subjects.RunOutcome, disableAfter int) (subjects.FailureCounter, processor.Transition, processor.Effects) {
	next, tr := processor.ApplyOutcome(c, o, 1, policy.After(disableAfter).Top())
	return next, tr, processor.BuildEffects(&next, o, tr)
}

func TestBuildEffectsFollowUp(t *testing.T) {
	tests := []struct {
		name    string
		failure *subjects.Failure
		kind    subjects.Kind
		want    subjects.FollowUp
	}{
		{"validation", failureWith(subjects.StageValidate, 0), subjects.KindValidation,
			subjects.FollowUp{Action: subjects.FollowUpGoToIntegrationRun, IntegrationID: "ns-1", RunID: "r-1"}},
		{"perform", failureWith(subjects.StagePerform, 500), subjects.KindPerform,
			subjects.FollowUp{Action: subjects.FollowUpGoToIntegrationRun, IntegrationID: "ns-1", RunID: "r-1"}},
		{"perform without http", failureWith(subjects.StagePerform, 0), subjects.KindPerform,
			subjects.FollowUp{Action: subjects.FollowUpGoToIntegrationRun, IntegrationID: "ns-1", RunID: "r-1"}},
		{"authentication", failureWith(subjects.StageAuthenticate, 0), subjects.KindAuthentication,
			subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: "ns-1"}},
		{"authentication from perform 401", failureWith(subjects.StagePerform, 401), subjects.KindAuthentication,
			subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: "ns-1"}},
		{"mapping given", &subjects.Failure{Stage: subjects.StageMap, Message: "no mapping", Mapping: &subjects.Mapping{
			M3terEntity: "Product", M3terID: "p-3", ExternalSystem: "NetSuite-Sandbox", ExternalTable: "item"}},
			subjects.KindMissingAccountMapping,
			subjects.FollowUp{Action: subjects.FollowUpCreateExternalMapping, IntegrationID: "ns-1", RunID: "r-1",
				M3terEntity: "Product", M3terID: "p-3", ExternalSystem: "NetSuite-Sandbox", ExternalTable: "item"}},
		{"mapping omitted", &subjects.Failure{Stage: subjects.StageMap, Message: "no mapping"}, subjects.KindMissingAccountMapping,
			subjects.FollowUp{Action: subjects.FollowUpCreateExternalMapping, IntegrationID: "ns-1", RunID: "r-1",
				M3terEntity: "Account", M3terID: "acc-9", ExternalSystem: "NetSuite"}},
		{"mapping partial", &subjects.Failure{Stage: subjects.StageMap, Message: "no mapping", Mapping: &subjects.Mapping{ExternalTable: "customer", M3terID: "acc-10"}},
			subjects.KindMissingAccountMapping,
			subjects.FollowUp{Action: subjects.FollowUpCreateExternalMapping, IntegrationID: "ns-1", RunID: "r-1",
				M3terEntity: "Account", M3terID: "acc-10", ExternalSystem: "NetSuite", ExternalTable: "customer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := eventOutcome("r-1", tt.failure)
			next, tr, eff := effectsOf(subjects.FailureCounter{}, o, 20)
			if tr.Kind != tt.kind || tr.Disabled {
				t.Fatalf("transition %+v", tr)
			}
			if len(eff.Events) != 1 || eff.Disable != nil {
				t.Fatalf("effects: %d events, disable %+v", len(eff.Events), eff.Disable)
			}
			e := eff.Events[0]
			if e.Kind != tt.kind || e.Data.EventName != tt.kind.EventName() {
				t.Errorf("kind %q event name %q", e.Kind, e.Data.EventName)
			}
			if e.Data.FollowUp != tt.want {
				t.Errorf("followUp = %+v, want %+v", e.Data.FollowUp, tt.want)
			}
			if want := processor.FailureEventID("ns-1", "r-1", tt.kind).String(); e.ID != want {
				t.Errorf("id %q, want %q", e.ID, want)
			}
			if !e.Time.Equal(eventsFinished) {
				t.Errorf("time %v", e.Time)
			}
			d := e.Data
			if d.IntegrationID != "ns-1" || d.RunID != "r-1" || d.Destination != "NetSuite" || d.EntityType != "Account" ||
				d.EntityID != "acc-9" || d.Stage != tt.failure.Stage || d.ConsecutiveFailures != 1 || d.DisableAfter != 20 {
				t.Errorf("data %+v", d)
			}
			if d.ConsecutiveFailures != next.ConsecutiveFailures {
				t.Errorf("consecutiveFailures %d, counter %d", d.ConsecutiveFailures, next.ConsecutiveFailures)
			}
			if d.Error != tt.failure.Message {
				t.Errorf("error %q, want %q", d.Error, tt.failure.Message)
			}
			// Only disabled events carry the streak summary.
			if d.FirstFailureAt != nil || d.FailuresByKind != nil || d.StreakRunIDs != nil || d.LastErrorMessage != "" || d.Episode != nil {
				t.Errorf("failure event carries a streak summary: %+v", d)
			}
		})
	}
}

func TestBuildEffectsIDsDeterministic(t *testing.T) {
	f := func() *subjects.Failure { return failureWith(subjects.StagePerform, 500) }
	_, _, a := effectsOf(subjects.FailureCounter{}, eventOutcome("r-1", f()), 20)
	_, _, b := effectsOf(subjects.FailureCounter{}, eventOutcome("r-1", f()), 20)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same input, different effects:\n%+v\n%+v", a, b)
	}
	_, _, c := effectsOf(subjects.FailureCounter{}, eventOutcome("r-2", f()), 20)
	if a.Events[0].ID == c.Events[0].ID {
		t.Errorf("runs r-1 and r-2 share event id %s", a.Events[0].ID)
	}
	o := eventOutcome("r-1", f())
	o.IntegrationID = "ns-2"
	_, _, d := effectsOf(subjects.FailureCounter{}, o, 20)
	if a.Events[0].ID == d.Events[0].ID {
		t.Errorf("integrations ns-1 and ns-2 share event id %s", a.Events[0].ID)
	}
	// The id is a function of the run, not of the counter's state.
	_, _, e := effectsOf(subjects.FailureCounter{ConsecutiveFailures: 5, Episode: 3}, eventOutcome("r-1", f()), 20)
	if e.Events[0].ID != a.Events[0].ID {
		t.Errorf("counter state changed the event id")
	}

	// The id functions themselves: stable, distinct, and not confusable across fields.
	ids := map[string]string{}
	add := func(label, id string) {
		if prev, dup := ids[id]; dup {
			t.Errorf("%s and %s share id %s", prev, label, id)
		}
		ids[id] = label
	}
	for _, k := range subjects.Kinds {
		add("run r/"+string(k), processor.FailureEventID("i", "r", k).String())
	}
	add("i-a/b", processor.FailureEventID("i-a", "b", subjects.KindPerform).String())
	add("i/a-b", processor.FailureEventID("i", "a-b", subjects.KindPerform).String())
	for ep := 0; ep < 5; ep++ {
		add(fmt.Sprintf("episode %d", ep), processor.DisabledEventID("i", ep).String())
	}
	add("other integration episode 0", processor.DisabledEventID("j", 0).String())
	if processor.FailureEventID("i", "r", subjects.KindPerform) != processor.FailureEventID("i", "r", subjects.KindPerform) {
		t.Error("FailureEventID is not deterministic")
	}
	if processor.DisabledEventID("i", 3) != processor.DisabledEventID("i", 3) {
		t.Error("DisabledEventID is not deterministic")
	}
	if v := processor.FailureEventID("i", "r", subjects.KindPerform).Version(); v != 5 {
		t.Errorf("event ids are UUID version %d, want 5", v)
	}
}

func TestBuildEffectsDisabled(t *testing.T) {
	r := &runs{}
	c := subjects.FailureCounter{}
	var first time.Time
	var effects []processor.Effects
	for i := 1; i <= 20; i++ {
		var o *subjects.RunOutcome
		switch i % 3 {
		case 0:
			o = r.fail(subjects.StageAuthenticate, 0)
		case 1:
			o = r.perform()
		default:
			o = r.fail(subjects.StageValidate, 0)
		}
		if i == 1 {
			first = o.FinishedAt
		}
		if i == 20 {
			o.Failure.Message = "Salesforce said: invalid session, access_token=SECRETTOKEN123"
			o = admitted(t, o)
		}
		var tr processor.Transition
		c, tr = processor.ApplyOutcome(c, o, uint64(i), policy.After(20).Top())
		eff := processor.BuildEffects(&c, o, tr)
		effects = append(effects, eff)
		// The default policy warns at the 10th, 15th and 18th failures.
		want := 1
		if i == 10 || i == 15 || i == 18 {
			want = 2
		}
		if i < 20 && (len(eff.Events) != want || eff.Disable != nil) {
			t.Fatalf("failure %d: %d events, disable %+v", i, len(eff.Events), eff.Disable)
		}
	}
	last := effects[19]
	if len(last.Events) != 2 {
		t.Fatalf("disabling failure: %d events, want 2", len(last.Events))
	}
	own, dis := last.Events[0], last.Events[1]
	if own.Kind != subjects.KindValidation { // the 20th failure is a validate failure (20 % 3 == 2)
		t.Errorf("first event kind %q", own.Kind)
	}
	if dis.Kind != subjects.KindDisabled || dis.Data.EventName != "integration.disabled.error" {
		t.Errorf("second event kind %q name %q", dis.Kind, dis.Data.EventName)
	}
	if dis.ID == own.ID {
		t.Error("disabled event shares the failure event's id")
	}
	if want := processor.DisabledEventID(streakIntegration, 0).String(); dis.ID != want || dis.ID != c.DisabledEventID {
		t.Errorf("disabled id %q, want %q (counter %q)", dis.ID, want, c.DisabledEventID)
	}
	cmd := last.Disable
	if cmd == nil {
		t.Fatal("no disable command")
	}
	if cmd.DisabledEventID != dis.ID {
		t.Errorf("command DisabledEventID %q, disabled event %q", cmd.DisabledEventID, dis.ID)
	}
	if cmd.IntegrationID != streakIntegration || cmd.Episode != 0 || !cmd.Time.Equal(dis.Time) || cmd.Reason != dis.Data.Message {
		t.Errorf("command %+v", cmd)
	}
	d := dis.Data
	if d.FirstFailureAt == nil || !d.FirstFailureAt.Equal(first) {
		t.Errorf("firstFailureAt %v, want %v", d.FirstFailureAt, first)
	}
	wantKinds := map[string]int{
		"integration.perform.error":        7, // i%3 == 1: 1,4,...,19
		"integration.validation.error":     7, // i%3 == 2: 2,5,...,20
		"integration.authentication.error": 6, // i%3 == 0: 3,6,...,18
	}
	if !reflect.DeepEqual(d.FailuresByKind, wantKinds) {
		t.Errorf("failuresByKind %v, want %v", d.FailuresByKind, wantKinds)
	}
	if len(d.StreakRunIDs) != 20 || d.StreakRunIDs[0] != "run-0001" || d.StreakRunIDs[19] != "run-0020" {
		t.Errorf("streakRunIds %v", d.StreakRunIDs)
	}
	if d.LastErrorMessage == "" || strings.Contains(d.LastErrorMessage, "SECRETTOKEN123") || !strings.Contains(d.LastErrorMessage, "invalid session") {
		t.Errorf("lastErrorMessage %q", d.LastErrorMessage)
	}
	if d.ConsecutiveFailures != 20 || d.DisableAfter != 20 || d.Episode == nil || *d.Episode != 0 || d.RunID != "run-0020" || d.IntegrationID != streakIntegration {
		t.Errorf("disabled data %+v", d)
	}
	if d.FollowUp != (subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: streakIntegration}) {
		t.Errorf("disabled followUp %+v", d.FollowUp)
	}
	if d.HTTP != nil || d.Log != nil || d.Stage != "" || d.Error != "" {
		t.Errorf("disabled event carries a failure drill-down: %+v", d)
	}
	for _, want := range []string{"Salesforce", "disabled after 20 successive failed runs", "since 2024-03-01 00:01:00 UTC",
		"7 integration.perform.error, 7 integration.validation.error, 6 integration.authentication.error", "re-enable"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("disabled message %q lacks %q", d.Message, want)
		}
	}
	if strings.Contains(d.Message, "SECRETTOKEN123") || strings.Contains(own.Data.Message, "SECRETTOKEN123") || strings.Contains(own.Data.Error, "SECRETTOKEN123") {
		t.Error("a secret of the failure message reached an event")
	}
	// The disabled data marshals with its summary fields.
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"firstFailureAt":"2024-03-01T00:01:00Z"`, `"failuresByKind":{`, `"streakRunIds":["run-0001",`, `"lastErrorMessage":"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("disabled data JSON lacks %s: %s", field, b)
		}
	}

	// Later failures of the episode raise only their own event.
	o := r.perform()
	var tr processor.Transition
	c, tr = processor.ApplyOutcome(c, o, 21, policy.After(20).Top())
	if eff := processor.BuildEffects(&c, o, tr); len(eff.Events) != 1 || eff.Disable != nil {
		t.Errorf("21st failure: %d events, disable %+v", len(eff.Events), eff.Disable)
	}

	// A new episode's disable has its own id and episode number.
	c, _ = processor.Enable(c, subjects.EnableCommand{IntegrationID: streakIntegration}, 1, policy.After(20).Top())
	var eff processor.Effects
	for i := 0; i < 20; i++ {
		o := r.perform()
		c, tr = processor.ApplyOutcome(c, o, uint64(22+i), policy.After(20).Top())
		eff = processor.BuildEffects(&c, o, tr)
	}
	if eff.Disable == nil || len(eff.Events) != 2 {
		t.Fatalf("episode 1 did not disable: %+v", eff)
	}
	if eff.Disable.Episode != 1 || eff.Events[1].Data.Episode == nil || *eff.Events[1].Data.Episode != 1 || eff.Disable.DisabledEventID == cmd.DisabledEventID ||
		eff.Disable.DisabledEventID != eff.Events[1].ID {
		t.Errorf("episode 1 disable %+v, event id %s", eff.Disable, eff.Events[1].ID)
	}
}

func TestBuildEffectsSuccess(t *testing.T) {
	r := &runs{}
	o := r.succeed()
	for _, c := range []subjects.FailureCounter{{}, {Disabled: true, ConsecutiveFailures: 40}} {
		next, tr := processor.ApplyOutcome(c, o, 1, policy.After(20).Top())
		eff := processor.BuildEffects(&next, o, tr)
		if eff.Events != nil || eff.Disable != nil {
			t.Errorf("success from %+v: effects %+v", c, eff)
		}
	}
	// A success that ends a streak while enabled is a recovery.
	first := o.FinishedAt.Add(-time.Hour)
	streak := subjects.FailureCounter{IntegrationID: streakIntegration, ConsecutiveFailures: 19, FirstFailureAt: &first, FailuresByKind: map[string]int{"integration.perform.error": 19}}
	next, tr := processor.ApplyOutcome(streak, o, 1, policy.After(20).Top())
	eff := processor.BuildEffects(&next, o, tr)
	if len(eff.Events) != 1 || eff.Disable != nil || next.ConsecutiveFailures != 0 {
		t.Fatalf("success after a streak: effects %+v, counter %+v", eff, next)
	}
	d := eff.Events[0].Data
	if e := eff.Events[0]; e.Kind != subjects.KindRecovered || e.ID != processor.RecoveredEventID(streakIntegration, o.RunID).String() ||
		d.FailedRuns != 19 || !d.FirstFailureAt.Equal(first) || !d.RecoveredAt.Equal(o.FinishedAt) || d.RunID != o.RunID ||
		d.FailuresByKind["integration.perform.error"] != 19 || d.FollowUp.Action != subjects.FollowUpReviewStreak || d.AutoAction {
		t.Errorf("recovered event %+v", e)
	}
}

func TestBuildEffectsMessages(t *testing.T) {
	tests := []struct {
		name    string
		dest    string
		failure *subjects.Failure
		want    []string
	}{
		{"validation", "NetSuite", failureWithMessage(subjects.StageValidate, 0, "currency is missing"),
			[]string{"NetSuite", "Validation failed for Account acc-9", "currency is missing", "Correct the Account data", "re-run integration run r-1"}},
		{"mapping", "NetSuite", &subjects.Failure{Stage: subjects.StageMap, Message: "no customer for account",
			Mapping: &subjects.Mapping{ExternalTable: "customer"}},
			[]string{"NetSuite has no external mapping for m3ter Account acc-9", "no customer for account", "Create an external mapping", "NetSuite customer"}},
		{"authentication salesforce", "Salesforce", failureWithMessage(subjects.StageAuthenticate, 0, "invalid_grant"),
			[]string{"Salesforce rejected the integration's credentials", "invalid_grant", "re-authorize the Salesforce connected app"}},
		{"authentication 401 chargebee", "Chargebee", failureWithMessage(subjects.StagePerform, 401, "unauthorized"),
			[]string{"Chargebee rejected", "replace the Chargebee API key"}},
		{"authentication unknown destination", "Acme ERP", failureWithMessage(subjects.StageAuthenticate, 0, "denied"),
			[]string{"Acme ERP rejected", "update the Acme ERP credentials on the integration"}},
		{"perform 500", "Xero", failureWithMessage(subjects.StagePerform, 500, "server error"),
			[]string{"Xero returned HTTP 500", "server error", "re-run the integration later", "Xero's status page"}},
		{"perform 429", "Stripe", failureWithMessage(subjects.StagePerform, 429, "slow down"),
			[]string{"Stripe returned HTTP 429", "rate limiting"}},
		{"perform 403", "NetSuite", failureWithMessage(subjects.StagePerform, 403, "forbidden"),
			[]string{"NetSuite returned HTTP 403", "Give the NetSuite integration user permission"}},
		{"perform 404", "NetSuite", failureWithMessage(subjects.StagePerform, 404, "gone"),
			[]string{"returned HTTP 404", "no longer exists in NetSuite"}},
		{"perform 400", "QuickBooks", failureWithMessage(subjects.StagePerform, 400, "bad field"),
			[]string{"QuickBooks returned HTTP 400", "QuickBooks rejected the data", "correct the field"}},
		{"perform no response", "QuickBooks", failureWithMessage(subjects.StagePerform, 0, "connection refused"),
			[]string{"QuickBooks failed when the integration sent Account acc-9", "connection refused", "Check that QuickBooks is reachable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := eventOutcome("r-1", tt.failure)
			o.Destination = tt.dest
			_, _, eff := effectsOf(subjects.FailureCounter{}, o, 20)
			if len(eff.Events) != 1 {
				t.Fatalf("%d events", len(eff.Events))
			}
			msg := eff.Events[0].Data.Message
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestAdmittedEffectsCarryNoCredential(t *testing.T) {
	f := &subjects.Failure{Stage: subjects.StagePerform, Message: "POST failed with api_key=LEAKED1", HTTP: &subjects.HTTPExchange{
		Request: &subjects.HTTPRequest{
			Method:  "POST",
			URL:     "https://api.example.com/v1/accounts?api_key=LEAKED2&page=1",
			Headers: subjects.Headers{"Authorization": {"Bearer LEAKED3"}, "Content-Type": {"application/json"}},
			Body:    `{"name":"Acme","credentials":{"password":"LEAKED4"}}`,
		},
		Response: &subjects.HTTPResponse{Status: 500, Headers: subjects.Headers{"Set-Cookie": {"sid=LEAKED5"}}, Body: "oops"},
	}}
	in := eventOutcome("r-1", f)
	in.Log = []subjects.LogEntry{{Message: "sending with token=LEAKED6", HTTP: f.HTTP}}
	inJSON, _ := json.Marshal(in)

	_, tr, eff := effectsOf(subjects.FailureCounter{}, admitted(t, in), 20)
	if tr.Kind != subjects.KindPerform {
		t.Fatalf("kind %q", tr.Kind)
	}
	d := eff.Events[0].Data
	if d.HTTP == nil || d.HTTP.Request == nil || d.HTTP.Response == nil {
		t.Fatalf("perform event has no HTTP: %+v", d.HTTP)
	}
	if got := d.HTTP.Request.Headers["Authorization"]; len(got) != 1 || got[0] != redact.Marker {
		t.Errorf("Authorization header %q, want %q", got, redact.Marker)
	}
	if got := d.HTTP.Request.Headers["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("Content-Type header %q", got)
	}
	if d.HTTP.Response.Status != 500 || d.HTTP.Response.Body != "oops" || d.HTTP.Request.Method != "POST" {
		t.Errorf("HTTP exchange altered: %+v %+v", d.HTTP.Request, d.HTTP.Response)
	}
	if !strings.Contains(d.HTTP.Request.URL, "page=1") || !strings.Contains(string(d.HTTP.Request.Body), `"name":"Acme"`) {
		t.Errorf("harmless data lost: url %q body %q", d.HTTP.Request.URL, d.HTTP.Request.Body)
	}
	if len(d.Log) != 1 || d.Log[0].HTTP == nil {
		t.Fatalf("log %+v", d.Log)
	}
	out, _ := json.Marshal(eff)
	for i := 1; i <= 6; i++ {
		if s := fmt.Sprintf("LEAKED%d", i); strings.Contains(string(out), s) {
			t.Errorf("effects contain secret %s: %s", s, out)
		}
	}
	// The outcome itself is left as it was.
	if after, _ := json.Marshal(in); string(after) != string(inJSON) {
		t.Errorf("Admit or BuildEffects mutated the outcome:\n%s\n%s", inJSON, after)
	}
	if f.HTTP.Request.Headers["Authorization"][0] != "Bearer LEAKED3" {
		t.Error("input headers mutated")
	}

	// Authentication events carry the drill-down too; validation and mapping events do not.
	f401 := *f
	f401.HTTP = &subjects.HTTPExchange{Request: f.HTTP.Request, Response: &subjects.HTTPResponse{Status: 401}}
	_, tr, eff = effectsOf(subjects.FailureCounter{}, admitted(t, eventOutcome("r-2", &f401)), 20)
	if tr.Kind != subjects.KindAuthentication || eff.Events[0].Data.HTTP == nil ||
		eff.Events[0].Data.HTTP.Request.Headers["Authorization"][0] != redact.Marker {
		t.Errorf("authentication event HTTP %+v", eff.Events[0].Data.HTTP)
	}
	for _, stage := range []subjects.Stage{subjects.StageValidate, subjects.StageMap} {
		fv := *f
		fv.Stage = stage
		o := eventOutcome("r-3", &fv)
		o.Log = in.Log
		_, _, eff = effectsOf(subjects.FailureCounter{}, o, 20)
		if eff.Events[0].Data.HTTP != nil || eff.Events[0].Data.Log != nil {
			t.Errorf("%s event carries HTTP or log", stage)
		}
	}
}

func TestBuildEffectsLogTruncated(t *testing.T) {
	o := eventOutcome("r-1", failureWith(subjects.StagePerform, 500))
	for i := 0; i < 75; i++ {
		o.Log = append(o.Log, subjects.LogEntry{Message: fmt.Sprintf("line %d", i)})
	}
	_, _, eff := effectsOf(subjects.FailureCounter{}, admitted(t, o), 20)
	log := eff.Events[0].Data.Log
	if len(log) != 50 {
		t.Fatalf("log has %d entries, want the last 50", len(log))
	}
	if log[0].Message != "line 25" || log[49].Message != "line 74" {
		t.Errorf("log runs from %q to %q", log[0].Message, log[49].Message)
	}
	if len(o.Log) != 75 {
		t.Error("outcome log mutated")
	}
	// A short log is kept whole.
	o.Log = o.Log[:3]
	_, _, eff = effectsOf(subjects.FailureCounter{}, o, 20)
	if len(eff.Events[0].Data.Log) != 3 {
		t.Errorf("short log has %d entries", len(eff.Events[0].Data.Log))
	}
}
