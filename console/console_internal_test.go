package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"go.uber.org/zap"
)

func TestSplitMessageSetsTheRemedyApart(t *testing.T) {
	for _, c := range []struct{ msg, remedy, cause, rem string }{
		{"Salesforce returned HTTP 400: bad. Next: Fix the field.", "Fix the field.", "Salesforce returned HTTP 400: bad.", "Fix the field."},
		{"Validation failed. Correct the data.", "Correct the data.", "Validation failed.", "Correct the data."},
		{"No remedy here.", "", "No remedy here.", ""},
		{"Cut message … [truncated]", "Re-run.", "Cut message … [truncated]", "Re-run."},
	} {
		cause, rem := splitMessage(c.msg, c.remedy)
		if cause != c.cause || rem != c.rem {
			t.Errorf("splitMessage(%q, %q) = %q, %q", c.msg, c.remedy, cause, rem)
		}
	}
}

func TestFollowUpLinks(t *testing.T) {
	run := followUpLink(subjects.FollowUp{Action: subjects.FollowUpGoToIntegrationRun, IntegrationID: "sf-1", RunID: "run/7 ?x"})
	if run.Label != "Go to integration run" || run.URL != "/runs/sf-1/run%2F7%20%3Fx" {
		t.Errorf("run: %+v", run)
	}
	m := followUpLink(subjects.FollowUp{Action: subjects.FollowUpCreateExternalMapping, IntegrationID: "sf-1",
		M3terEntity: "Account", M3terID: "acct&42", ExternalSystem: "Salesforce"})
	u, err := url.Parse(m.URL)
	if err != nil || m.Label != "Create external mapping" || u.Path != "/external-mappings/new" {
		t.Fatalf("mapping: %+v %v", m, err)
	}
	want := url.Values{"m3terEntity": {"Account"}, "m3terId": {"acct&42"}, "externalSystem": {"Salesforce"}, "integrationConfigId": {"sf-1"}}
	if u.Query().Encode() != want.Encode() {
		t.Errorf("mapping query %q, want %q", u.RawQuery, want.Encode())
	}
	in := followUpLink(subjects.FollowUp{Action: subjects.FollowUpGoToIntegration, IntegrationID: "sf-1"})
	if in.Label != "Go to integration" || in.URL != "/integrations/sf-1" {
		t.Errorf("integration: %+v", in)
	}
}

func TestSafeNextStaysOnTheSite(t *testing.T) {
	for next, want := range map[string]string{
		"/":                         "/",
		"/integrations/a?x=1":       "/integrations/a?x=1",
		"//evil.example/":           "/",
		"/\\evil.example":           "/",
		"https://evil.example/":     "/",
		"javascript:alert(1)":       "/",
		"":                          "/",
		"/?eventName=a&nextToken=b": "/?eventName=a&nextToken=b",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestChartBucketsByHourAndKind(t *testing.T) {
	for n, want := range map[int]int{0: 2, 1: 2, 2: 2, 3: 4, 7: 8, 9: 10, 11: 20, 45: 50, 55: 60, 999: 1000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
	start := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	counts := make([]map[string]int, 24)
	counts[3] = map[string]int{"integration.perform.error": 2, "integration.disabled.error": 1}
	ch := drawChart("24h", start, 24, counts)
	if ch.Total != 3 || len(ch.Bars) != 24 || len(ch.Bars[3].Segments) != 2 {
		t.Fatalf("chart: total %d, %d bars, %d segments", ch.Total, len(ch.Bars), len(ch.Bars[3].Segments))
	}
	if title := ch.Bars[3].Title; !strings.Contains(title, "03:00–04:00") || !strings.Contains(title, "2 Perform") {
		t.Errorf("bar title %q", title)
	}
	if len(ch.XLabels) != 8 || ch.XLabels[1].Label != "03:00" {
		t.Errorf("x labels %+v", ch.XLabels)
	}
	week := drawChart("7d", start, 168, make([]map[string]int, 168))
	if len(week.Bars) != 168 || len(week.XLabels) != 7 || week.Total != 0 {
		t.Errorf("week: %d bars, %d labels", len(week.Bars), len(week.XLabels))
	}
}

// TestLoginSetsAnOpaqueSession drives the login routes alone: they need
// no service.
func TestLoginSetsAnOpaqueSession(t *testing.T) {
	const secret = "a-secret-of-enough-bytes"
	c, err := New(Config{}, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	api, err := operator.NewHTTP(operator.HTTPConfig{Listen: "127.0.0.1:0", Tokens: []operator.Token{{Name: "ana", Secret: secret}}, Routes: c.Register}, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	mux := api.Handler()
	do := func(method, path, body string, cookie *http.Cookie) *http.Response {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Result()
	}
	if r := do("GET", "/?eventName=x", "", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2F%3FeventName%3Dx" {
		t.Errorf("GET / without a session: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := do("GET", "/login", "", nil); r.StatusCode != 200 || r.Header.Get("Content-Security-Policy") != CSP {
		t.Errorf("GET /login: %d, CSP %q", r.StatusCode, r.Header.Get("Content-Security-Policy"))
	}
	if r := do("POST", "/login", "token=wrong-but-long-enough&next=/", nil); r.StatusCode != http.StatusUnauthorized || len(r.Cookies()) != 0 {
		t.Errorf("a wrong token: %d, cookies %v", r.StatusCode, r.Cookies())
	}
	r := do("POST", "/login", "token="+secret+"&next=//evil.example/", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" || len(r.Cookies()) != 1 {
		t.Fatalf("the right token: %d %q %v", r.StatusCode, r.Header.Get("Location"), r.Cookies())
	}
	ck := r.Cookies()[0]
	if ck.Name != SessionCookie || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || strings.Contains(ck.Value, secret) || len(ck.Value) < 40 {
		t.Errorf("session cookie %+v", ck)
	}
	if who, ok := c.sessions.lookup(ck.Value); !ok || who != "ana" {
		t.Errorf("session acts as %q %t", who, ok)
	}
	if r := do("POST", "/logout", "", ck); r.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", r.StatusCode)
	}
	if _, ok := c.sessions.lookup(ck.Value); ok {
		t.Error("the session outlived its logout")
	}
	// The token as the token file writes it signs in too; another name
	// with the right secret does not.
	if r := do("POST", "/login", "token=ana:"+secret, nil); r.StatusCode != http.StatusSeeOther || len(r.Cookies()) != 1 {
		t.Errorf("NAME:SECRET: %d %v", r.StatusCode, r.Cookies())
	} else if who, ok := c.sessions.lookup(r.Cookies()[0].Value); !ok || who != "ana" {
		t.Errorf("NAME:SECRET acts as %q %t", who, ok)
	}
	if r := do("POST", "/login", "token=bob:"+secret, nil); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("another name: %d", r.StatusCode)
	}
	r = do("GET", "/login", "", nil)
	if b, _ := io.ReadAll(r.Body); !strings.Contains(string(b), "NAME:SECRET") {
		t.Errorf("the login page does not say what to type:\n%s", b)
	}
}

func TestPrettyBodyIndentsJSONOnly(t *testing.T) {
	if b := prettyBody(`{"a":[1,{"b":"[REDACTED]"}]}`); !b.JSON || b.Text != "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"[REDACTED]\"\n    }\n  ]\n}" {
		t.Errorf("JSON body: %+v", b)
	}
	for _, s := range []string{"", "plain text", "<xml/>", `{"cut": "… [truncated: 9 bytes in all]`, "42"} {
		if b := prettyBody(s); b.JSON || b.Text != s {
			t.Errorf("prettyBody(%q) = %+v", s, b)
		}
	}
}

func TestHeaderListSortsByNameAndKeepsEachValue(t *testing.T) {
	got := headerList(subjects.Headers{"X-B": {"2", "3"}, "Accept": {"*/*"}})
	want := []header{{"Accept", "*/*"}, {"X-B", "2"}, {"X-B", "3"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestShortTextCutsOnARune(t *testing.T) {
	if got := shortText("abc", 5); got != "abc" {
		t.Errorf("%q", got)
	}
	if got := shortText("aé b", 2); got != "a…" {
		t.Errorf("%q", got)
	}
}

func TestFormFieldsMarkTheFieldTheMessageNamesFirst(t *testing.T) {
	vals := url.Values{"m3terId": {"acct 42"}, "externalId": {"x"}}
	ff := formFields(vals, `m3terId "acct 42" has ' ' at position 4; it is part of the external_mappings key`)
	for _, f := range ff {
		if f.Invalid != (f.Name == "m3terId") {
			t.Errorf("%s invalid %t", f.Name, f.Invalid)
		}
		if f.Value != vals.Get(f.Name) {
			t.Errorf("%s value %q", f.Name, f.Value)
		}
	}
	// "m3terEntity" holds no "m3terId"; "externalSystem" is named, not "external".
	ff = formFields(nil, "external mapping Salesforce.Account.a exists already: m3ter Account a is mapped to")
	for _, f := range ff {
		if f.Invalid {
			t.Errorf("%s marked for a duplicate", f.Name)
		}
	}
	if !validMappingKey("Salesforce.Account.acct-42") || validMappingKey("<b>.x.y") || validMappingKey("a.b") {
		t.Error("validMappingKey")
	}
}

func TestRunProblemPagesSayWhy(t *testing.T) {
	c, err := New(Config{}, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	for status, want := range map[int]string{
		http.StatusNotFound:           "keeps each outcome 7 days",
		http.StatusServiceUnavailable: "stopped there before it found it",
	} {
		rec := httptest.NewRecorder()
		c.render(rec, status, "run", runView{layout: c.frame("x", "integrations", ""), IntegrationID: "sf-1", RunID: "r<1>", Status: status, Problem: "the service's reason"})
		body := rec.Body.String()
		if rec.Code != status || !strings.Contains(body, want) || !strings.Contains(body, "the service&#39;s reason") || !strings.Contains(body, "r&lt;1&gt;") {
			t.Errorf("%d page: %d %s", status, rec.Code, body)
		}
	}
}
