package test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// fieldLeaks are issue 8's outcomes whose credentials slipped past
// redaction, as the runners sent them. LEAK marks each fake credential.
var fieldLeaks = map[string]string{
	// NetSuite SuiteTalk: the password in a SOAP body.
	"ns-soap": `"destination":"NetSuite","failure":{"stage":"authenticate","message":"Invalid login attempt.","http":{"request":{"method":"POST","url":"https://1234.suitetalk.api.netsuite.com/services/NetSuitePort_2024_2",` +
		`"body":"<platformCore:email>ops@example.com</platformCore:email><platformCore:password>LEAKpw</platformCore:password>"},"response":{"status":200}}}`,
	// Salesforce Bulk API: a session header whose name says neither key nor token.
	"sf-bulk": `"destination":"Salesforce","failure":{"stage":"perform","message":"InvalidSessionId: Invalid session id","http":{"request":{"method":"POST","url":"https://acme.my.salesforce.com/services/async/60.0/job",` +
		`"headers":{"X-SFDC-Session":"00DLEAKsess","Content-Type":"application/xml; charset=UTF-8"}},"response":{"status":400,"headers":{"Content-Type":"application/xml"},` +
		`"body":"<error><exceptionCode>InvalidSessionId</exceptionCode><exceptionMessage>Invalid session id</exceptionMessage></error>"}}}`,
	// Xero: OAuth's authorization code, in a URL and in a form body.
	"xero-oauth": `"destination":"Xero","failure":{"stage":"authenticate","message":"invalid_grant","http":{"request":{"method":"POST","url":"https://identity.xero.com/connect/token?code=LEAKqcode",` +
		`"body":"grant_type=authorization_code&code=LEAKfcode&code_verifier=LEAKpkce"},"response":{"status":400,"body":{"error":"invalid_grant"}}}}`,
	// Free text: a key format in the message.
	"stripe-msg": `"destination":"Stripe","failure":{"stage":"perform","message":"invalid api key sk_live_LEAKmsg","http":{"response":{"status":401}}}`,
	// Free text: a name: value pair, which the KV record kept raw.
	"pw-msg": `"destination":"Chargebee","failure":{"stage":"authenticate","message":"password: LEAKpw"}`,
	// Prose that looks like a credential and is not one.
	"bearer-prose": `"destination":"Salesforce","failure":{"stage":"authenticate","message":"Malformed bearer token: too short or too long"}`,
}

// leakyBadInputs are outcomes refused as bad input that carry a
// credential where a log line about them might repeat it: in the run id,
// in the integration id (the subject), in a payload that is not JSON.
var leakyBadInputs = []struct{ subject, data string }{
	{subjects.Default().Run("leak-bad"), `{"runId":"run token=Q7xLEAK12345","integrationId":"leak-bad","destination":"Xero","status":"succeeded","finishedAt":"2026-11-25T12:00:00Z"}`},
	{subjects.Default().Run("sk_live_Q7xLEAK12345"), `{"runId":"r1","integrationId":"sk_live_Q7xLEAK12345","destination":"Xero","status":"succeeded","finishedAt":"2026-11-25T12:00:00Z"}`},
	{subjects.Default().Run("leak-bad"), `{"runId":"r2","password":"LEAKpw`},
}

// TestFieldCredentialsReachNoOutput publishes the field's outcomes twice
// each to a real serve that disables after 2, so every kind of output is
// made, then resends one and sends bad input holding credentials, and reads
// every output back: the events and disable commands as stored, the KV
// records, the API's replies, the CLI's output and serve's log, at debug
// level. None may hold a credential; each holds the marker where one was.
// Every log line about an outcome names its integrationId and runId.
func TestFieldCredentialsReachNoOutput(t *testing.T) {
	s, nc := startServe(t, "--disable-after", "2", "--log-level", "debug")
	outcome := func(id string, run int) []byte {
		return fmt.Appendf(nil, `{"runId":"%s-%d","integrationId":"%s",%s,"status":"failed","finishedAt":"%s"}`,
			id, run, id, fieldLeaks[id], time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))
	}
	for id := range fieldLeaks {
		for run := range 2 {
			PublishRaw(t, nc, subjects.Default().Run(id), outcome(id, run))
		}
	}
	for id := range fieldLeaks {
		WaitCounter(t, nc, id, Streak(2, true))
	}
	PublishRaw(t, nc, subjects.Default().Run("ns-soap"), outcome("ns-soap", 0))
	dead := subscribe(t, nc, "integrations.deadletter")
	for _, in := range leakyBadInputs {
		PublishRaw(t, nc, in.subject, []byte(in.data))
	}
	dead.waitCount(t, len(leakyBadInputs))
	CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if !strings.Contains(s.Output(), `"msg":"resent outcome ignored"`) || strings.Count(s.Output(), `"msg":"message dead-lettered"`) < len(leakyBadInputs) {
			return fmt.Errorf("the resend and the dead letters are not all logged yet")
		}
		return nil
	})
	// Per integration: two failures, the warning at 50% of 2 (the first)
	// and the disable.
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n := len(Stored(t, nc, store.StreamEvents)); n != 4*len(fieldLeaks) {
			return fmt.Errorf("%d events stored, want %d", n, 4*len(fieldLeaks))
		}
		return nil
	})

	outputs := map[string]string{}
	for _, stream := range []string{store.StreamEvents, store.StreamCommands} {
		for i, m := range Stored(t, nc, stream) {
			outputs[fmt.Sprintf("%s message %d", stream, i)] = string(m.Data)
		}
	}
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, store.BucketCounters)
	if err != nil {
		t.Fatal(err)
	}
	request := func(endpoint string, req any) string {
		b, _ := json.Marshal(req)
		m, err := nc.Request(subjects.Default().API(endpoint), b, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
		return string(m.Data)
	}
	list := request(subjects.EndpointEventsList, map[string]any{"includeActioned": true, "pageSize": 100})
	outputs["events.list"] = list
	var page subjects.ListEventsResponse
	if err := json.Unmarshal([]byte(list), &page); err != nil || len(page.Data) != 4*len(fieldLeaks) {
		t.Fatalf("events.list: %v: %d records", err, len(page.Data))
	}
	for _, rec := range page.Data {
		outputs["events.get "+rec.ID] = request(subjects.EndpointEventsGet, map[string]string{"id": rec.ID})
	}
	for id := range fieldLeaks {
		e, err := kv.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		outputs["KV "+id] = string(e.Value())
		outputs["integrations.get "+id] = request(subjects.EndpointIntegrationGet, map[string]string{"integrationId": id})
		out, err := cli(t, "integrations", "show", id, "--server", s.URL)
		if err != nil {
			t.Fatalf("integrations show %s: %v\n%s", id, err, out)
		}
		outputs["integrations show "+id] = out
	}
	for _, args := range [][]string{{"events", "list", "--include-actioned", "--page-size", "100"}, {"events", "list", "--json"}, {"events", "get", page.Data[0].ID}} {
		out, err := cli(t, append(args, "--server", s.URL)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		outputs[strings.Join(args, " ")] = out
	}
	outputs["serve's log"] = s.Output()

	for what, out := range outputs {
		if i := strings.Index(out, "LEAK"); i >= 0 {
			t.Errorf("%s holds a credential: …%s…", what, out[max(0, i-80):min(len(out), i+40)])
		}
	}
	checkOutcomeLines(t, s.Output(), append(slices.Collect(maps.Keys(fieldLeaks)), "leak-bad"))
	checkAppliedLines(t, s.Output(), fieldLeaks, 2)

	// Each credential became the marker, where it was: in each run's
	// failure event (its warning and the disable share its run id).
	events := map[string]subjects.EventData{}
	for _, e := range StoredEvents(t, nc) {
		if e.Type != subjects.KindDisabled.EventName() && e.Type != subjects.KindWarning.EventName() {
			events[e.Data.RunID] = e.Data
		}
	}
	R := redact.Marker
	if got := string(events["ns-soap-0"].HTTP.Request.Body); got != "<platformCore:email>ops@example.com</platformCore:email><platformCore:password>"+R+"</platformCore:password>" {
		t.Errorf("NetSuite SOAP body %q", got)
	}
	if got := events["sf-bulk-0"].HTTP.Request.Headers; len(got["X-SFDC-Session"]) != 1 || got["X-SFDC-Session"][0] != R || got["Content-Type"][0] != "application/xml; charset=UTF-8" {
		t.Errorf("Salesforce headers %q", got)
	}
	if h := events["xero-oauth-0"].HTTP.Request; h.URL != "https://identity.xero.com/connect/token?code="+R ||
		string(h.Body) != "grant_type=authorization_code&code="+R+"&code_verifier="+R {
		t.Errorf("Xero request %q %q", h.URL, h.Body)
	}
	if d := events["stripe-msg-0"]; d.Error != "invalid api key "+R || !strings.Contains(d.Message, "invalid api key "+R) {
		t.Errorf("Stripe event error %q message %q", d.Error, d.Message)
	}
	if d := events["bearer-prose-0"]; d.Error != "Malformed bearer token: too short or too long" || !strings.Contains(d.Message, "Malformed bearer token: too short or too long") {
		t.Errorf("prose was redacted: error %q message %q", d.Error, d.Message)
	}
	for id, want := range map[string]string{"stripe-msg": "invalid api key " + R, "pw-msg": "password: " + R} {
		var c subjects.FailureCounter
		if err := json.Unmarshal([]byte(outputs["integrations.get "+id]), &c); err != nil || c.LastError != want {
			t.Errorf("integrations.get %s: lastError %q, want %q (%v)", id, c.LastError, want, err)
		}
		if !strings.Contains(outputs["integrations show "+id], `"lastError": "`+want+`"`) {
			t.Errorf("integrations show %s:\n%s", id, outputs["integrations show "+id])
		}
	}
}

// checkOutcomeLines checks serve's JSON log: every line about an outcome of
// one of ids (one that names it) carries integrationId and runId; runId is
// empty only on the dead letter of a payload with none readable. It fails
// if no line names them at all.
func checkOutcomeLines(t *testing.T, log string, ids []string) {
	t.Helper()
	about := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("log line is not JSON: %v: %.300s", err, line)
			continue
		}
		named := l["integrationId"] != nil
		for _, id := range ids {
			named = named || strings.Contains(line, `"`+id+`"`) || strings.Contains(line, "."+id+`"`)
		}
		if !named {
			continue
		}
		msg, _ := l["msg"].(string)
		about[msg]++
		id, idOK := l["integrationId"].(string)
		run, runOK := l["runId"].(string)
		if !idOK || id == "" || !runOK || (run == "" && msg != "message dead-lettered") {
			t.Errorf("log line about an outcome without its integrationId and runId: %.400s", line)
		}
	}
	for _, msg := range []string{"resent outcome ignored", "integration disabled", "message dead-lettered"} {
		if about[msg] == 0 {
			t.Errorf("no %q line about the outcomes was logged: the check saw %v", msg, about)
		}
	}
}

// TestAFutureFinishedAtIsDatedWhenReceived: a runner whose clock is ahead
// reports finishedAt 2099-01-01. The streak is dated when the run was
// received, the runner's time is kept in the data, and the message says so.
func TestAFutureFinishedAtIsDatedWhenReceived(t *testing.T) {
	_, nc := startServe(t, "--disable-after", "2")
	const id = "clock-ahead"
	before := time.Now().UTC().Add(-time.Minute)
	for run := range 2 {
		PublishRaw(t, nc, subjects.Default().Run(id), fmt.Appendf(nil,
			`{"runId":"r%d","integrationId":"%s","destination":"Xero","status":"failed","finishedAt":"2099-01-01T00:00:00Z","failure":{"stage":"perform","message":"ValidationException: A validation exception occurred","http":{"response":{"status":400}}}}`, run, id))
	}
	c := WaitCounter(t, nc, id, Streak(2, true))
	after := time.Now().UTC().Add(time.Minute)
	for what, at := range map[string]*time.Time{"firstFailureAt": c.FirstFailureAt, "lastFailureAt": c.LastFailureAt, "disabledAt": c.DisabledAt} {
		if at == nil || at.Before(before) || at.After(after) {
			t.Errorf("%s %v, want the receive time, between %v and %v", what, at, before, after)
		}
	}
	// r0, its warning (50% of 2), r1 and the disable.
	var events []Event
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if events = StoredEvents(t, nc); len(events) != 4 {
			return fmt.Errorf("%d events stored, want 4", len(events))
		}
		return nil
	})
	reported := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range events {
		if e.Time.Before(before) || e.Time.After(after) {
			t.Errorf("%s time %v, want the receive time", e.Type, e.Time)
		}
		if strings.Contains(e.Data.Message, "since 2099") {
			t.Errorf("%s message dates the streak in 2099: %q", e.Type, e.Data.Message)
		}
		if e.Type == "integration.disabled.error" {
			if want := "since " + c.FirstFailureAt.Format("2006-01-02 15:04:05 UTC"); !strings.Contains(e.Data.Message, want) {
				t.Errorf("disabled message %q lacks %q", e.Data.Message, want)
			}
			continue
		}
		// A warning, like the disable, summarises the streak, dated when
		// received.
		if e.Type == "integration.disable.warning" {
			if f := e.Data.FirstFailureAt; f == nil || !f.Equal(*c.FirstFailureAt) {
				t.Errorf("warning firstFailureAt %v, want the receive time %v", f, c.FirstFailureAt)
			}
			continue
		}
		if e.Data.ReportedFinishedAt == nil || !e.Data.ReportedFinishedAt.Equal(reported) {
			t.Errorf("%s reportedFinishedAt %v, want %v", e.Type, e.Data.ReportedFinishedAt, reported)
		}
		if !strings.HasSuffix(e.Data.Message, e.Data.Remedy) || e.Data.Remedy == "" {
			t.Errorf("%s message does not end with its remedy %q: %q", e.Type, e.Data.Remedy, e.Data.Message)
		}
		if !strings.Contains(e.Data.Message, "The runner reported finishedAt 2099-01-01T00:00:00Z, more than 5 minutes after the run was received at ") {
			t.Errorf("%s message does not say which time it uses: %q", e.Type, e.Data.Message)
		}
	}
}

// checkAppliedLines checks serve's JSON debug log: each of the runs outcomes
// of every id (run ids id-0, id-1, …), applied by the batch path or one at
// a time, has exactly one "applied" line with both ids and what it did, and
// no other "applied" line names an outcome.
func checkAppliedLines(t *testing.T, log string, ids map[string]string, runs int) {
	t.Helper()
	applied := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		var l struct {
			Msg           string   `json:"msg"`
			IntegrationID string   `json:"integrationId"`
			RunID         *string  `json:"runId"`
			Status        string   `json:"status"`
			Events        []string `json:"events"`
			Disabled      *bool    `json:"disabled"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "applied" || l.RunID == nil {
			continue
		}
		if l.Status != "failed" || len(l.Events) == 0 || l.Disabled == nil {
			t.Errorf("applied line without status, events or disabled: %s", line)
		}
		applied[l.IntegrationID+" "+*l.RunID]++
	}
	want := map[string]int{}
	for id := range ids {
		for run := range runs {
			want[fmt.Sprintf("%s %s-%d", id, id, run)] = 1
		}
	}
	if !maps.Equal(applied, want) {
		t.Errorf("applied lines per outcome %v, want one for each of %v", applied, slices.Sorted(maps.Keys(want)))
	}
}
