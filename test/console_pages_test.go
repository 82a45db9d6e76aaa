package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
)

// consoleGet fetches a console page and checks its security headers.
func consoleGet(t *testing.T, s *Serve, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.HTTP + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'self'; script-src 'self';") {
		t.Errorf("GET %s: CSP %q", path, got)
	}
	return resp.StatusCode, string(b)
}

// leakyPerform is a perform failure whose request carried credentials in
// its headers, URL and body, and whose message quotes a password.
func leakyPerform(integration, runID string) subjects.RunOutcome {
	o := recent(workload.Failed(integration, runID, subjects.StagePerform, 400), time.Minute)
	o.EntityType, o.EntityID = "Bill", "bill-1003"
	o.Failure.Message = "Salesforce returned HTTP 400 with password: LEAKpw9876 in the echo"
	o.Failure.HTTP = &subjects.HTTPExchange{
		Request: &subjects.HTTPRequest{Method: "POST", URL: "https://acme.my.salesforce.com/services/data/v60.0/sobjects/Bill__c?access_token=LEAKquery42",
			Headers: subjects.Headers{"Authorization": {"Bearer LEAKbearer0123456789"}, "X-SFDC-Session": {"00DLEAKsess"}, "Content-Type": {"application/json"}},
			Body:    subjects.Body(`{"Name":"bill-1003","Amount__c":120.5,"client_secret":"LEAKbody77"}`)},
		Response: &subjects.HTTPResponse{Status: 400, Headers: subjects.Headers{"Content-Type": {"application/json"}, "Set-Cookie": {"sid=LEAKcookie"}},
			Body: subjects.Body(`[{"errorCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [Account__c]"}]`)},
	}
	at := o.FinishedAt.Add(-2 * time.Second)
	o.Log = []subjects.LogEntry{
		{Time: &at, Step: "validate", Level: "info", Message: "Bill bill-1003 is valid"},
		{Time: &o.FinishedAt, Step: "perform", Level: "error", Message: "POST Bill__c returned 400 REQUIRED_FIELD_MISSING"},
	}
	return o
}

func TestConsoleRunDetailsShowTheExchangeRedacted(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	Publish(t, nc, leakyPerform("c-run", "r-leak"))
	late := workload.Failed("c-run", "r-late", subjects.StageValidate, 0)
	late.FinishedAt = time.Now().Add(2 * time.Hour).UTC()
	Publish(t, nc, late)
	WaitCounter(t, nc, "c-run", Streak(2, false))
	eventsByName(t, s, 2)

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/?eventName=integration.perform.error"), chromedp.WaitVisible(chromedp.CSS(`tr[data-event-id]`)))
	if got := b.Text(`tr[data-event-id] .c-follow a`); got != "Go to integration run" {
		t.Fatalf("follow-up %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS(`tr[data-event-id] .c-follow a`)), chromedp.WaitVisible(chromedp.CSS(`#http-request`)))
	if loc := BrowserRun(b, chromedp.Location()); loc != s.HTTP+"/runs/c-run/r-leak" {
		t.Errorf("follow-up led to %s", loc)
	}
	outcome := b.Text(`#run-outcome`)
	for _, want := range []string{"c-run", "Salesforce", "Bill bill-1003", "PERFORM", "failed", "Finished", "Received"} {
		if !strings.Contains(outcome, want) {
			t.Errorf("the outcome lacks %q: %q", want, outcome)
		}
	}
	if got := b.Text(`#http-request > summary`); got != "HTTP REQUEST" {
		t.Errorf("request summary %q", got)
	}
	if got := b.Text(`#http-response > summary`); got != "HTTP RESPONSE" {
		t.Errorf("response summary %q", got)
	}
	if Eval[bool](b, `document.querySelector('#http-request').open`) {
		t.Error("HTTP REQUEST is open before it is expanded")
	}
	b.Do(chromedp.Click(chromedp.CSS(`#http-request > summary`)), chromedp.WaitVisible(chromedp.CSS(`#http-request pre.body`)))
	req := b.Text(`#http-request`)
	for _, want := range []string{"POST", "https://acme.my.salesforce.com/services/data/v60.0/sobjects/Bill__c", "Authorization", "X-SFDC-Session", "[REDACTED]", `"Amount__c": 120.5`} {
		if !strings.Contains(req, want) {
			t.Errorf("HTTP REQUEST lacks %q: %q", want, req)
		}
	}
	if !Eval[bool](b, `['overflow-x','overflow-y'].every(p => getComputedStyle(document.querySelector('#http-request pre.body'))[p] === 'auto') && getComputedStyle(document.querySelector('#http-request pre.body')).fontFamily.includes('mono')`) {
		t.Error("the body is not a monospaced, scrollable block")
	}
	b.Do(chromedp.Click(chromedp.CSS(`#http-response > summary`)), chromedp.WaitVisible(chromedp.CSS(`#http-response pre.body`)))
	if resp := b.Text(`#http-response`); !strings.Contains(resp, "400") || !strings.Contains(resp, "REQUIRED_FIELD_MISSING") || !strings.Contains(resp, "[REDACTED]") {
		t.Errorf("HTTP RESPONSE: %q", resp)
	}
	log := Eval[[][]string](b, `Array.from(document.querySelectorAll('#run-log tr.log-entry')).map(tr => Array.from(tr.cells).map(td => td.innerText.trim()))`)
	if len(log) != 2 || log[1][1] != "PERFORM" || log[1][2] != "ERROR" || log[1][3] != "POST Bill__c returned 400 REQUIRED_FIELD_MISSING" || log[0][1] != "VALIDATE" {
		t.Errorf("run log %q", log)
	}
	if html := Eval[string](b, `document.documentElement.outerHTML`); strings.Contains(html, "LEAK") {
		t.Errorf("the run page holds a credential: %s", html)
	}
	if code, html := consoleGet(t, s, "/runs/c-run/r-leak"); code != 200 || strings.Contains(html, "LEAK") {
		t.Errorf("GET the run page: %d, LEAK in it: %t", code, strings.Contains(html, "LEAK"))
	}
	b.Screenshot("console-run", 1440, 900)
	b.Screenshot("console-run-narrow", 390, 844)

	// A finish reported too far ahead is noted.
	b.Do(chromedp.Navigate(s.HTTP+"/runs/c-run/r-late"), chromedp.WaitVisible(chromedp.CSS(`#run-outcome`)))
	if note, err := b.TryText(`#reported-note`); err != nil || !strings.Contains(note, "reported finishing at") {
		t.Errorf("no note of the reported finish: %q %v", note, err)
	}

	// A run not stored.
	if code, _ := consoleGet(t, s, "/runs/c-run/no-such-run"); code != http.StatusNotFound {
		t.Errorf("GET a missing run: %d, want 404", code)
	}
	b.Do(chromedp.Navigate(s.HTTP+"/runs/c-run/no-such-run"), chromedp.WaitVisible(chromedp.CSS(`#run-problem`)))
	if p := b.Text(`#run-problem`); !strings.HasPrefix(p, "404 Not Found.") || !strings.Contains(p, "not found") {
		t.Errorf("404 page: %q", p)
	}
	b.Screenshot("console-run-404", 1440, 900)
}

func TestConsoleListsIntegrationsDisabledFirst(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--disable-after", "2")
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("a-ok", "o1", subjects.StageValidate, 0))
	Publish(t, nc, workload.Succeeded("a-ok", "o2"))
	Publish(t, nc, workload.Failed("b-failing", "f1", subjects.StagePerform, 0))
	Publish(t, nc, workload.Failed("z-off", "d1", subjects.StageAuthenticate, 0))
	Publish(t, nc, workload.Failed("z-off", "d2", subjects.StageAuthenticate, 0))
	WaitCounter(t, nc, "a-ok", Streak(0, false))
	WaitCounter(t, nc, "b-failing", Streak(1, false))
	WaitCounter(t, nc, "z-off", Streak(2, true))

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(`nav a[href="/integrations"]`)))
	b.Do(chromedp.Click(chromedp.CSS(`nav a[href="/integrations"]`)), chromedp.WaitVisible(chromedp.CSS(`#integrations tr[data-integration-id]`)))
	type irow struct {
		ID, State, Streak, Error, Href string
	}
	rows := Eval[[]irow](b, `Array.from(document.querySelectorAll('#integrations tr[data-integration-id]')).map(tr => ({
	  ID: tr.dataset.integrationId, State: tr.querySelector('.c-state').innerText.trim(), Streak: tr.querySelector('.c-streak').innerText.trim(),
	  Error: tr.querySelector('.c-error').innerText.trim(), Href: tr.querySelector('.c-id a').getAttribute('href')}))`)
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	for i, want := range []irow{{"z-off", "Disabled", "2 / 2", "", "/integrations/z-off"}, {"b-failing", "Enabled", "1 / 2", "", "/integrations/b-failing"}, {"a-ok", "Enabled", "0 / 2", "none", "/integrations/a-ok"}} {
		got := rows[i]
		if got.ID != want.ID || got.State != want.State || got.Streak != want.Streak || got.Href != want.Href || (want.Error != "" && got.Error != want.Error) {
			t.Errorf("row %d: %+v, want %+v", i, got, want)
		}
	}
	if rows[0].Error == "none" || rows[0].Error == "" {
		t.Errorf("the disabled integration shows no last error: %q", rows[0].Error)
	}
	if cur := b.Text(`nav a[aria-current="page"]`); cur != "Integrations" {
		t.Errorf("nav marks %q", cur)
	}
	b.Screenshot("console-integrations", 1440, 900)
	b.Screenshot("console-integrations-narrow", 390, 844)
	b.Do(chromedp.Click(chromedp.CSS(`#integrations tr[data-integration-id="z-off"] .c-id a`)), chromedp.WaitVisible(chromedp.CSS(`#integration-state`)))
	if st := b.Text(`#integration-state`); st != "Disabled" {
		t.Errorf("z-off's page: %q", st)
	}
	// 50 a page, then Next page.
	for i := range 50 {
		Publish(t, nc, workload.Failed(fmt.Sprintf("p-%02d", i), "r1", subjects.StageValidate, 0))
	}
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		var page subjects.ListIntegrationsResponse
		if code, msg := httpCall(t, s, "GET", "/api/integrations?pageSize=100", "", nil, &page); code != 200 || len(page.Data) != 53 {
			return fmt.Errorf("%d %s: %d integrations", code, msg, len(page.Data))
		}
		return nil
	})
	b.Do(chromedp.Navigate(s.HTTP+"/integrations"), chromedp.WaitVisible(chromedp.CSS(`#integrations tr[data-integration-id]`)))
	if n := Eval[int](b, `document.querySelectorAll('#integrations tr[data-integration-id]').length`); n != 50 {
		t.Errorf("first page: %d rows", n)
	}
	b.Do(chromedp.Click(chromedp.CSS(`.pager a[rel=next]`)), chromedp.WaitVisible(chromedp.CSS(`.pager a[href="/integrations"]`)))
	last := Eval[[]string](b, `Array.from(document.querySelectorAll('#integrations tr[data-integration-id]')).map(tr => tr.dataset.integrationId)`)
	if !slices.Equal(last, []string{"p-48", "p-49", "a-ok"}) {
		t.Errorf("second page %q", last)
	}
}

// mappingInputs are the form's named inputs and their values.
const mappingInputsJS = `Object.fromEntries(Array.from(document.querySelectorAll('#mapping-form input[name]')).map(i => [i.name, i.value]))`

func TestConsoleCreatesAnExternalMappingFromTheFollowUp(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	created, err := nc.SubscribeSync("integrations.mappings.created.c-map")
	if err != nil {
		t.Fatal(err)
	}
	Publish(t, nc, workload.Failed("c-map", "m1", subjects.StageMap, 0))
	WaitCounter(t, nc, "c-map", Streak(1, false))
	eventsByName(t, s, 1)

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-event-id] .c-follow a`)))
	if got := b.Text(`tr[data-event-id] .c-follow a`); got != "Create external mapping" {
		t.Fatalf("follow-up %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS(`tr[data-event-id] .c-follow a`)), chromedp.WaitVisible(chromedp.CSS(`#mapping-form`)))
	want := map[string]string{"m3terEntity": "Account", "m3terId": "acct-m1", "externalSystem": "Salesforce",
		"externalTable": "Account", "externalId": "", "integrationConfigId": "c-map"}
	checkInputs := func(want map[string]string) {
		t.Helper()
		got := Eval[map[string]string](b, mappingInputsJS)
		for name, v := range want {
			if g, ok := got[name]; !ok || g != v {
				t.Errorf("input %s: %q (present %t), want %q", name, g, ok, v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("inputs %v", got)
		}
	}
	checkInputs(want)
	if id := Eval[string](b, `document.activeElement.name`); id != "externalId" {
		t.Errorf("the cursor is in %q, not the one empty field", id)
	}
	if n := Eval[int](b, `Array.from(document.querySelectorAll('#mapping-form input[name]')).filter(i => i.labels.length === 0 || !i.labels[0].innerText.trim()).length`); n != 0 {
		t.Errorf("%d inputs without a label", n)
	}
	if btn := b.Text(`#mapping-form button[type=submit]`); btn != "Create" {
		t.Errorf("submit button %q", btn)
	}
	b.Screenshot("console-mapping-new", 1440, 900)
	b.Screenshot("console-mapping-new-narrow", 390, 844)

	// Without externalId: the form again, with the reason and the values.
	b.Do(chromedp.Click(chromedp.CSS(`#mapping-form button[type=submit]`)))
	waitFor(t, b, "the refusal", `!!document.querySelector('#form-problem') && !!document.querySelector('#mapping-form')`)
	if msg := b.Text(`#form-problem`); !strings.Contains(msg, "externalId is required") {
		t.Errorf("refusal %q", msg)
	}
	checkInputs(want)
	if !Eval[bool](b, `document.querySelector('input[name=externalId]').getAttribute('aria-invalid') === 'true'`) {
		t.Error("externalId is not marked invalid")
	}

	b.Do(chromedp.SendKeys(chromedp.CSS(`input[name=externalId]`), "0015e00000AbCdEAAZ"), chromedp.Click(chromedp.CSS(`#mapping-form button[type=submit]`)))
	const key = "Salesforce.Account.acct-m1"
	waitFor(t, b, "the list with the new mapping", `!!document.querySelector('#mappings tr[data-mapping-key="`+key+`"]')`)
	if loc := BrowserRun(b, chromedp.Location()); !strings.HasPrefix(loc, s.HTTP+"/external-mappings?") {
		t.Errorf("after Create: %s", loc)
	}
	row := b.Text(`#mappings tr[data-mapping-key="` + key + `"]`)
	for _, w := range []string{"Account", "acct-m1", "Salesforce", "0015e00000AbCdEAAZ", "c-map", "by local"} {
		if !strings.Contains(row, w) {
			t.Errorf("the row lacks %q: %q", w, row)
		}
	}
	if f := b.Text(`.flash`); !strings.Contains(f, key) {
		t.Errorf("flash %q", f)
	}
	b.Screenshot("console-mappings", 1440, 900)
	b.Screenshot("console-mappings-narrow", 390, 844)

	// A runner reads it with an ordinary KV get, and it was announced.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, "external_mappings")
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, key)
	if err != nil {
		t.Fatalf("kv get external_mappings %s: %v", key, err)
	}
	var stored subjects.ExternalMapping
	if err := json.Unmarshal(entry.Value(), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.ExternalID != "0015e00000AbCdEAAZ" || stored.ExternalTable != "Account" || stored.IntegrationConfigID != "c-map" || stored.CreatedBy != "local" || stored.ID == "" {
		t.Errorf("stored %+v", stored)
	}
	msg, err := created.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no message on integrations.mappings.created.c-map: %v", err)
	}
	var announced subjects.ExternalMapping
	if err := json.Unmarshal(msg.Data, &announced); err != nil || announced.ID != stored.ID || msg.Header.Get("Nats-Msg-Id") != stored.ID {
		t.Errorf("announced %s (%v), Nats-Msg-Id %q", msg.Data, err, msg.Header.Get("Nats-Msg-Id"))
	}

	// The same entity again: refused, naming the mapping, the values kept.
	b.Do(chromedp.Navigate(s.HTTP+"/external-mappings"), chromedp.Click(chromedp.CSS(`.page-head a[href="/external-mappings/new"]`)), chromedp.WaitVisible(chromedp.CSS(`#mapping-form`)))
	again := map[string]string{"m3terEntity": "Account", "m3terId": "acct-m1", "externalSystem": "Salesforce",
		"externalTable": "Account", "externalId": "0015e00000Other", "integrationConfigId": "c-map"}
	for name, v := range again {
		b.Do(chromedp.SendKeys(chromedp.CSS(`input[name=`+name+`]`), v))
	}
	b.Do(chromedp.Click(chromedp.CSS(`#mapping-form button[type=submit]`)))
	waitFor(t, b, "the refusal", `!!document.querySelector('#form-problem') && !!document.querySelector('#mapping-form')`)
	if msg := b.Text(`#form-problem`); !strings.Contains(msg, "exists already") || !strings.Contains(msg, "0015e00000AbCdEAAZ") {
		t.Errorf("duplicate refusal %q", msg)
	}
	checkInputs(again)
	b.Screenshot("console-mapping-duplicate", 1440, 900)
}
