package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// apiRaw sends body to endpoint of the operator API over NATS and returns
// the reply as it came, bytes and headers.
func apiRaw(t *testing.T, nc *nats.Conn, endpoint, body string) *nats.Msg {
	t.Helper()
	m, err := nc.Request(subjects.Default().API(endpoint), []byte(body), 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", endpoint, err)
	}
	return m
}

// TestRunsGetServesTheAdmittedRunRedacted reads runs back over HTTP and
// NATS: a failure whose request and message carried credentials comes back
// with them redacted, in the raw bytes of either reply; a success too; an
// unknown run and a stored message that is not an outcome are 404s.
func TestRunsGetServesTheAdmittedRunRedacted(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	const id = "rg-sf"
	finished := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	PublishRaw(t, nc, subjects.Default().Run(id), fmt.Appendf(nil, `{"runId":"r-fail","integrationId":%q,"destination":"Salesforce","entityType":"Bill","entityId":"b-1","status":"failed","finishedAt":%q,`+
		`"failure":{"stage":"perform","message":"login refused, password: LEAKpw","http":{"request":{"method":"POST","url":"https://acme.my.salesforce.com/x?access_token=LEAKurl",`+
		`"headers":{"Authorization":"Bearer LEAKbearer0123456789","Content-Type":"application/json"}},"response":{"status":400,"body":"bad"}}},`+
		`"log":[{"time":%q,"step":"PERFORM","level":"ERROR","message":"sent Authorization: Bearer LEAKlog0123456789"}]}`, id, finished, finished))
	Publish(t, nc, workload.Succeeded(id, "r-ok"))
	WaitCounter(t, nc, id, Streak(0, false))

	for what, raw := range map[string][]byte{
		"NATS": apiRaw(t, nc, subjects.EndpointRunsGet, `{"integrationId":"rg-sf","runId":"r-fail"}`).Data,
		"HTTP": func() []byte {
			var b json.RawMessage
			if code, msg := httpCall(t, s, "GET", "/api/runs/rg-sf/r-fail", "", nil, &b); code != 200 {
				t.Fatalf("GET /api/runs/rg-sf/r-fail: %d %s", code, msg)
			}
			return b
		}(),
	} {
		if i := strings.Index(string(raw), "LEAK"); i >= 0 {
			t.Errorf("%s runs.get holds a credential: …%s…", what, raw[max(0, i-60):min(len(raw), i+30)])
		}
		var rec subjects.RunRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatalf("%s: %v: %s", what, err, raw)
		}
		f := rec.Outcome.Failure
		if rec.IntegrationID != id || rec.RunID != "r-fail" || rec.Seq == 0 || rec.ReceivedAt.IsZero() || rec.Shortened || f == nil || f.HTTP == nil ||
			!slices.Equal(f.HTTP.Request.Headers["Authorization"], []string{"[REDACTED]"}) || !strings.Contains(f.Message, "[REDACTED]") ||
			f.HTTP.Response.Status != 400 || len(rec.Outcome.Log) != 1 || rec.Outcome.Log[0].Step != "PERFORM" {
			t.Errorf("%s: %s", what, raw)
		}
	}

	ok, err := API(nc).Run(t.Context(), id, "r-ok")
	var out string
	if err != nil || ok.Outcome.Status != subjects.StatusSucceeded || ok.Outcome.Failure != nil || ok.Seq == 0 {
		t.Fatalf("a success: %+v %v", ok, err)
	}
	if _, err := API(nc).Run(t.Context(), id, "no-such-run"); !errors.Is(err, operator.ErrNotFound) {
		t.Errorf("unknown run over NATS: %v, want 404", err)
	}
	if code, msg := httpCall(t, s, "GET", "/api/runs/rg-sf/no-such-run", "", nil, nil); code != 404 || !strings.Contains(msg, "not found") {
		t.Errorf("unknown run over HTTP: %d %s", code, msg)
	}
	if code, msg := httpCall(t, s, "GET", "/api/runs/never-ran/r-ok", "", nil, nil); code != 404 {
		t.Errorf("run of an integration with none: %d %s", code, msg)
	}

	// A message the processor dead-letters is stored all the same: reading
	// it back is a 404 with the reason, redacted.
	PublishRaw(t, nc, subjects.Default().Run(id), []byte(`{"runId":"r-bad","integrationId":"rg-sf","destination":"Salesforce","status":"password=LEAKstatus","finishedAt":"2026-11-25T12:00:00Z"}`))
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		m := apiRaw(t, nc, subjects.EndpointRunsGet, `{"integrationId":"rg-sf","runId":"r-bad"}`)
		if code := m.Header.Get("Nats-Service-Error-Code"); code != "404" || !strings.Contains(string(m.Data), "not a valid outcome") {
			return fmt.Errorf("%s %s", code, m.Data)
		}
		if strings.Contains(string(m.Data), "LEAK") || strings.Contains(m.Header.Get("Nats-Service-Error"), "LEAK") {
			t.Fatalf("the reason holds a credential: %s", m.Data)
		}
		return nil
	})
	if code, msg := httpCall(t, s, "GET", "/api/runs/rg-sf/r-bad", "", nil, nil); code != 404 || !strings.Contains(msg, "not a valid outcome") || strings.Contains(msg, "LEAK") {
		t.Errorf("a dead-lettered run over HTTP: %d %s", code, msg)
	} else {
		t.Logf("a dead-lettered run: %s", msg)
	}
	if m := apiRaw(t, nc, subjects.EndpointRunsGet, `{"integrationId":"rg-sf","runID":"r-ok"}`); m.Header.Get("Nats-Service-Error-Code") != "400" {
		t.Errorf("a misspelt field: %s", m.Data)
	}
	out, err = cli(t, "runs", "get", id, "r-fail", "--server", s.URL)
	if err != nil || !strings.Contains(out, `"runId": "r-fail"`) || !strings.Contains(out, "[REDACTED]") || strings.Contains(out, "LEAK") {
		t.Errorf("runs get: %v\n%s", err, out)
	}
	if out, err := cli(t, "runs", "get", id, "no-such-run", "--server", s.URL); err == nil || !strings.Contains(out, "runs.get: 404") {
		t.Errorf("runs get of an unknown run: %v\n%s", err, out)
	}
	if strings.Contains(s.Output(), "LEAK") {
		t.Error("serve logged a credential")
	}
}

// TestIntegrationsListOrdersAndPages lists integrations over NATS and HTTP:
// the disabled one first, then the failing ones, most failures first, then
// the rest, and pages of any size give each once.
func TestIntegrationsListOrdersAndPages(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--disable-after", "3")
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Succeeded("il-a", "a1"))
	Publish(t, nc, workload.Failed("il-b", "b1", subjects.StageValidate, 0))
	for i := range 3 {
		Publish(t, nc, workload.Failed("il-c", fmt.Sprintf("c%d", i), subjects.StageValidate, 0))
	}
	for i := range 2 {
		Publish(t, nc, workload.Failed("il-d", fmt.Sprintf("d%d", i), subjects.StageValidate, 0))
	}
	Publish(t, nc, workload.Failed("il-e", "e1", subjects.StageValidate, 0))
	WaitCounter(t, nc, "il-a", Streak(0, false))
	WaitCounter(t, nc, "il-b", Streak(1, false))
	WaitCounter(t, nc, "il-c", Streak(3, true))
	WaitCounter(t, nc, "il-d", Streak(2, false))
	WaitCounter(t, nc, "il-e", Streak(1, false))
	want := []string{"il-c", "il-d", "il-b", "il-e", "il-a"}
	ids := func(cs []subjects.FailureCounter) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.IntegrationID)
		}
		return out
	}

	all, err := API(nc).ListIntegrations(t.Context(), subjects.ListIntegrationsRequest{})
	if err != nil || !slices.Equal(ids(all.Data), want) || all.NextToken != "" || !all.Data[0].Disabled {
		t.Fatalf("integrations.list: %v %v, want %v", ids(all.Data), err, want)
	}
	var paged []string
	req := subjects.ListIntegrationsRequest{PageSize: 2}
	for pages := 0; ; pages++ {
		page, err := API(nc).ListIntegrations(t.Context(), req)
		if err != nil || pages > 5 {
			t.Fatalf("page %d: %v", pages, err)
		}
		paged = append(paged, ids(page.Data)...)
		if req.NextToken = page.NextToken; req.NextToken == "" {
			break
		}
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged over NATS %v, want %v", paged, want)
	}
	paged = nil
	for q, pages := "?pageSize=1", 0; ; pages++ {
		var page subjects.ListIntegrationsResponse
		if code, msg := httpCall(t, s, "GET", "/api/integrations"+q, "", nil, &page); code != 200 || pages > 6 {
			t.Fatalf("GET /api/integrations%s: %d %s", q, code, msg)
		}
		paged = append(paged, ids(page.Data)...)
		if page.NextToken == "" {
			break
		}
		q = "?pageSize=1&nextToken=" + page.NextToken
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged over HTTP %v, want %v", paged, want)
	}

	if _, err := API(nc).ListIntegrations(t.Context(), subjects.ListIntegrationsRequest{NextToken: "garbage"}); !errors.Is(err, operator.ErrBadRequest) || !strings.Contains(err.Error(), "nextToken") {
		t.Errorf("a bad token over NATS: %v", err)
	}
	if m := apiRaw(t, nc, subjects.EndpointIntegrationsList, `{"pageSize": 0}`); m.Header.Get("Nats-Service-Error-Code") != "400" {
		t.Errorf("pageSize 0 over NATS: %s", m.Data)
	}
	for q, msg := range map[string]string{"?pageSize=0": "pageSize 0", "?nextToken=garbage": "nextToken", "?pagesize=2": "unknown query parameter"} {
		if code, got := httpCall(t, s, "GET", "/api/integrations"+q, "", nil, nil); code != 400 || !strings.Contains(got, msg) {
			t.Errorf("GET /api/integrations%s: %d %s", q, code, got)
		}
	}
	out, err := cli(t, "integrations", "list", "--server", s.URL)
	if err != nil || !strings.Contains(out, "il-c") || strings.Index(out, "il-c") > strings.Index(out, "il-a") || !strings.Contains(out, "3 / 3") {
		t.Errorf("integrations list: %v\n%s", err, out)
	}
}

// TestExternalMappingsCreateListAndRefuse creates mappings over HTTP and
// NATS, sees each announced and listed, and has duplicates, invalid fields
// and a cross-site POST refused with nothing created.
func TestExternalMappingsCreateListAndRefuse(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	announced := subscribe(t, nc, "integrations.mappings.created.>")
	body := `{"m3terEntity":"Account","m3terId":"acct-42","externalSystem":"Salesforce","externalTable":"Account","externalId":"0015e00000AbCdEAAZ","integrationConfigId":"sf-acme-prod"}`

	// Refused first, so that nothing they might have created hides.
	cases := []struct {
		body   string
		header http.Header
		code   int
		msg    string
	}{
		{body, http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403, "cross-origin"},
		{body, http.Header{"Origin": {"https://evil.example"}}, 403, "cross-origin"},
		{strings.Replace(body, `"acct-42"`, `"acct 42"`, 1), nil, 400, "m3terId"},
		{strings.Replace(body, `"externalTable":"Account",`, "", 1), nil, 400, "externalTable is required"},
		{strings.Replace(body, `"sf-acme-prod"`, `"sf.acme"`, 1), nil, 400, "integrationConfigId"},
		{strings.Replace(body, `{`, `{"createdBy":"mallory",`, 1), nil, 400, `unknown field "createdBy"`},
		{`{"m3terEntity":`, nil, 400, "not valid JSON"},
	}
	for i, c := range cases {
		if code, msg := httpCall(t, s, "POST", "/api/external-mappings", c.body, c.header, nil); code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("case %d: %d %q, want %d containing %q", i, code, msg, c.code, c.msg)
		}
	}
	if _, err := API(nc).CreateExternalMapping(t.Context(), subjects.CreateExternalMappingRequest{M3terEntity: "Account", M3terID: "acct-1", ExternalSystem: "Stripe", ExternalTable: "Customer", ExternalID: "cus_1", IntegrationConfigID: "st-1"}); !errors.Is(err, operator.ErrBadRequest) || !strings.Contains(err.Error(), "createdBy") {
		t.Errorf("no createdBy over NATS: %v", err)
	}
	var page subjects.ListExternalMappingsResponse
	if code, msg := httpCall(t, s, "GET", "/api/external-mappings", "", nil, &page); code != 200 || len(page.Data) != 0 {
		t.Fatalf("a refused create created: %d %s %+v", code, msg, page)
	}

	var created subjects.ExternalMapping
	if code, msg := httpCall(t, s, "POST", "/api/external-mappings", body, http.Header{"Sec-Fetch-Site": {"same-origin"}}, &created); code != 200 ||
		created.ID == "" || created.CreatedBy != operator.LocalIdentity || created.DtCreated.IsZero() || created.ExternalID != "0015e00000AbCdEAAZ" {
		t.Fatalf("create over HTTP: %d %s %+v", code, msg, created)
	}
	msgs := announced.waitCount(t, 1)
	if m := msgs[0]; m.Subject != "integrations.mappings.created.sf-acme-prod" || m.Header.Get("Nats-Msg-Id") != created.ID || !strings.Contains(string(m.Data), created.ID) {
		t.Errorf("announcement: %s %v %s", m.Subject, m.Header, m.Data)
	}
	// A second create of the key: 400 naming it, over both transports.
	if code, msg := httpCall(t, s, "POST", "/api/external-mappings", strings.Replace(body, "0015e00000AbCdEAAZ", "0015e00000Other", 1), nil, nil); code != 400 || !strings.Contains(msg, "Salesforce.Account.acct-42 exists already") {
		t.Errorf("duplicate over HTTP: %d %s", code, msg)
	}
	dup := subjects.CreateExternalMappingRequest{M3terEntity: "Account", M3terID: "acct-42", ExternalSystem: "Salesforce", ExternalTable: "Account", ExternalID: "x", IntegrationConfigID: "sf-acme-prod", CreatedBy: "ana"}
	if _, err := API(nc).CreateExternalMapping(t.Context(), dup); !errors.Is(err, operator.ErrBadRequest) || !strings.Contains(err.Error(), "Salesforce.Account.acct-42") {
		t.Errorf("duplicate over NATS: %v", err)
	}
	other, err := API(nc).CreateExternalMapping(t.Context(), subjects.CreateExternalMappingRequest{M3terEntity: "Account", M3terID: "acct-42", ExternalSystem: "Chargebee", ExternalTable: "customer", ExternalID: "cb_42", IntegrationConfigID: "cb-1", CreatedBy: "ana"})
	if err != nil || other.CreatedBy != "ana" {
		t.Fatalf("create over NATS: %+v %v", other, err)
	}
	// A refused duplicate announces the mapping again (in case its first
	// announcement was lost); JetStream keeps one per mapping (its id).
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		var keys []string
		for _, m := range Stored(t, nc, "INTEGRATION_EVENTS") {
			if strings.HasPrefix(m.Subject, "integrations.mappings.created.") {
				keys = append(keys, m.Header.Get("Nats-Msg-Id"))
			}
		}
		if !slices.Equal(keys, []string{created.ID, other.ID}) {
			return fmt.Errorf("announcements stored: %v", keys)
		}
		return nil
	})

	// Listed in key order, Chargebee before Salesforce, the first one unchanged.
	all, err := API(nc).ListExternalMappings(t.Context(), subjects.ListExternalMappingsRequest{})
	if err != nil || len(all.Data) != 2 || all.Data[0].ID != other.ID || all.Data[1].ID != created.ID || all.Data[1].ExternalID != "0015e00000AbCdEAAZ" || all.NextToken != "" {
		t.Fatalf("mappings.list: %+v %v", all, err)
	}
	first, err := API(nc).ListExternalMappings(t.Context(), subjects.ListExternalMappingsRequest{PageSize: 1})
	if err != nil || len(first.Data) != 1 || first.NextToken == "" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	if code, msg := httpCall(t, s, "GET", "/api/external-mappings?pageSize=1&nextToken="+first.NextToken, "", nil, &page); code != 200 || len(page.Data) != 1 || page.Data[0].ID != created.ID || page.NextToken != "" {
		t.Fatalf("second page over HTTP: %d %s %+v", code, msg, page)
	}
	if code, msg := httpCall(t, s, "GET", "/api/external-mappings?nextToken=garbage", "", nil, nil); code != 400 || !strings.Contains(msg, "nextToken") {
		t.Errorf("a bad token: %d %s", code, msg)
	}

	out, err := cli(t, "mappings", "create", "--m3ter-entity", "Account", "--m3ter-id", "acct-7", "--external-system", "Stripe", "--external-table", "Customer",
		"--external-id", "cus_7", "--integration-config-id", "st-1", "--by", "ops", "--server", s.URL)
	if err != nil || !strings.Contains(out, `"createdBy": "ops"`) {
		t.Fatalf("mappings create: %v\n%s", err, out)
	}
	if out, err := cli(t, "mappings", "create", "--m3ter-entity", "Account", "--m3ter-id", "acct-7", "--external-system", "Stripe", "--external-table", "Customer",
		"--external-id", "cus_8", "--integration-config-id", "st-1", "--by", "ops", "--server", s.URL); err == nil || !strings.Contains(out, "Stripe.Account.acct-7 exists already") {
		t.Errorf("mappings create of a taken key: %v\n%s", err, out)
	}
	out, err = cli(t, "mappings", "list", "--server", s.URL)
	if err != nil || !strings.Contains(out, "Stripe.Account.acct-7") || !strings.Contains(out, "Salesforce.Account.acct-42") {
		t.Errorf("mappings list: %v\n%s", err, out)
	}
}
