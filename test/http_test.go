package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// httpCall makes one request to the HTTP API of s and decodes a 200's body
// into resp. It returns the status and, for an error, its message.
func httpCall(t *testing.T, s *Serve, method, path, body string, header http.Header, resp any) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.HTTP+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s %s: %s is %q, want %q", method, path, k, got, want)
		}
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, r.Header.Get("Content-Type"))
	}
	if r.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Message == "" {
			t.Errorf("%s %s: %d with a body that is not {\"message\"}: %s", method, path, r.StatusCode, b)
		}
		return r.StatusCode, e.Message
	}
	if resp != nil {
		if err := json.Unmarshal(b, resp); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return r.StatusCode, ""
}

func TestHTTPAPIServesListsActionsAndEnables(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--disable-after", "3")
	nc := Connect(t, s.URL)
	for i := range 3 {
		Publish(t, nc, workload.Failed("http-a", fmt.Sprintf("a%d", i), subjects.StageAuthenticate, 0))
	}
	Publish(t, nc, workload.Failed("http-b", "b0", subjects.StageValidate, 0))
	WaitCounter(t, nc, "http-a", Streak(3, true))
	WaitCounter(t, nc, "http-b", Streak(1, false))
	stored := StoredEvents(t, nc)
	newestFirst := make([]string, len(stored))
	for i, e := range stored {
		newestFirst[len(stored)-1-i] = e.ID
	}
	ids := func(recs []subjects.EventRecord) []string {
		out := []string{}
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	list := func(query string) subjects.ListEventsResponse {
		t.Helper()
		var page subjects.ListEventsResponse
		if code, msg := httpCall(t, s, "GET", "/api/events"+query, "", nil, &page); code != 200 {
			t.Fatalf("GET /api/events%s: %d %s", query, code, msg)
		}
		return page
	}

	if code, _ := httpCall(t, s, "GET", "/healthz", "", nil, nil); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	if code, msg := httpCall(t, s, "GET", "/readyz", "", nil, nil); code != 200 {
		t.Fatalf("readyz: %d %s", code, msg)
	}
	if got := ids(list("").Data); !slices.Equal(got, newestFirst) {
		t.Fatalf("list %v, want newest first %v", got, newestFirst)
	}
	var paged []string
	for q, pages := "?pageSize=2", 0; ; pages++ {
		page := list(q)
		paged = append(paged, ids(page.Data)...)
		if page.NextToken == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		q = "?pageSize=2&nextToken=" + page.NextToken
	}
	if !slices.Equal(paged, newestFirst) {
		t.Fatalf("paged %v, want %v", paged, newestFirst)
	}
	if got := list("?eventName=integration.disabled.error&integrationId=http-a").Data; len(got) != 1 || got[0].EventName != "integration.disabled.error" {
		t.Fatalf("filtered: %+v", got)
	}
	// By ids: those events, newest first by eventTime.
	byIDs := list("?ids=" + newestFirst[3] + "," + newestFirst[0] + "&ids=" + newestFirst[1]).Data
	want := []string{newestFirst[0], newestFirst[1], newestFirst[3]}
	if got := ids(byIDs); len(got) != 3 || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) ||
		!slices.IsSortedFunc(byIDs, func(a, b subjects.EventRecord) int { return b.EventTime.Compare(a.EventTime) }) {
		t.Fatalf("by ids: %v, want %v newest first", got, want)
	}

	var rec subjects.EventRecord
	if code, msg := httpCall(t, s, "GET", "/api/events/"+newestFirst[0], "", nil, &rec); code != 200 || rec.ID != newestFirst[0] || len(rec.Data) == 0 {
		t.Fatalf("get: %d %s %+v", code, msg, rec)
	}

	// Actioning over HTTP records who the API knows the caller to be.
	var acted subjects.ActionEventsResponse
	body := fmt.Sprintf(`{"ids": [%q, %q, "no-such-event"], "note": "token rotated"}`, newestFirst[0], newestFirst[1])
	if code, msg := httpCall(t, s, "POST", "/api/events/actioned", body, nil, &acted); code != 200 {
		t.Fatalf("actioned: %d %s", code, msg)
	}
	if len(acted.Actioned) != 2 || acted.Actioned[0].ActionedBy != "local" || acted.Actioned[0].Note != "token rotated" || !slices.Equal(acted.NotFound, []string{"no-such-event"}) {
		t.Fatalf("actioned: %+v", acted)
	}
	if got := ids(list("").Data); !slices.Equal(got, newestFirst[2:]) {
		t.Fatalf("not-actioned after actioning: %v, want %v", got, newestFirst[2:])
	}
	if all := list("?includeActioned=true").Data; len(all) != len(newestFirst) || all[0].DtActioned == nil || all[0].ActionedBy != "local" {
		t.Fatalf("includeActioned: %+v", all)
	}

	var c subjects.FailureCounter
	if code, msg := httpCall(t, s, "GET", "/api/integrations/http-a", "", nil, &c); code != 200 || !c.Disabled || c.ConsecutiveFailures != 3 {
		t.Fatalf("integration: %d %s %+v", code, msg, c)
	}
	if code, msg := httpCall(t, s, "POST", "/api/integrations/http-a/enable", `{"reason": "new credentials"}`, nil, &c); code != 200 || c.Disabled || c.Episode != 1 || c.EnabledBy != "local" {
		t.Fatalf("enable: %d %s %+v", code, msg, c)
	}
	if code, msg := httpCall(t, s, "POST", "/api/integrations/http-b/enable", "", nil, &c); code != 200 || c.ConsecutiveFailures != 0 {
		t.Fatalf("enable without a body: %d %s %+v", code, msg, c)
	}
}

func TestHTTPAPIRefusesBadRequestsAndChangesNothing(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("http-c", "c1", subjects.StageMap, 0))
	before := WaitCounter(t, nc, "http-c", Streak(1, false))
	id := StoredEvents(t, nc)[0].ID
	cases := []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"GET", "/api/events?pageSize=0", "", 400, "pageSize 0 must be 1 to 100"},
		{"GET", "/api/events?pageSize=101", "", 400, "pageSize 101 must be 1 to 100"},
		{"GET", "/api/events?pageSize=ten", "", 400, "pageSize \"ten\" must be a whole number"},
		{"GET", "/api/events?pageSize=5&pageSize=6", "", 400, "given 2 times"},
		{"GET", "/api/events?PAGESIZE=5", "", 400, `unknown query parameter "PAGESIZE"`},
		{"GET", "/api/events?actionedBy=x", "", 400, `unknown query parameter "actionedBy"`},
		{"GET", "/api/events?includeActioned=yes", "", 400, "includeActioned \"yes\" must be true or false"},
		{"GET", "/api/events?eventName=integration.bogus.error", "", 400, "eventName"},
		{"GET", "/api/events?nextToken=garbage", "", 400, "nextToken"},
		{"GET", "/api/events?ids=a,,b", "", 400, "an id is empty"},
		{"GET", "/api/events/00000000-0000-0000-0000-000000000000", "", 404, "not found"},
		{"GET", "/api/events/" + id + "?x=1", "", 400, "unknown query parameter"},
		{"GET", "/api/integrations/never-ran", "", 404, "no runs recorded"},
		{"GET", "/api/integrations/bad%20id", "", 400, "integrationId"},
		{"POST", "/api/events/actioned", `{"ids": [`, 400, "not valid JSON"},
		{"POST", "/api/events/actioned", `{"ids": ["` + id + `"], "actionedBy": "mallory"}`, 400, `unknown field "actionedBy"`},
		{"POST", "/api/events/actioned", `{"ids": []}`, 400, "ids must hold 1 to 100"},
		{"POST", "/api/events/actioned", `{"ids": ["` + id + `"], "ids": ["x"]}`, 400, `"ids" is given twice`},
		{"POST", "/api/integrations/http-c/enable", `{"reason": 5}`, 400, "field reason must be JSON"},
		{"POST", "/api/integrations/http-c/enable", `{"enabledBy": "mallory"}`, 400, `unknown field "enabledBy"`},
		{"POST", "/api/integrations/never-ran/enable", "", 404, "no runs recorded"},
		{"GET", "/api/nothing", "", 404, "no such endpoint"},
	}
	for i, c := range cases {
		if code, msg := httpCall(t, s, c.method, c.path, c.body, nil, nil); code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("case %d %s %s: got %d %q, want %d containing %q", i, c.method, c.path, code, msg, c.code, c.msg)
		}
	}

	// A page on another site posting to the API: refused, also on loopback.
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"https://evil.example"}},
	} {
		if code, _ := httpCall(t, s, "POST", "/api/events/actioned", `{"ids": ["`+id+`"]}`, h, nil); code != 403 {
			t.Errorf("cross-site %v: %d, want 403", h, code)
		}
		if code, _ := httpCall(t, s, "POST", "/api/integrations/http-c/enable", "", h, nil); code != 403 {
			t.Errorf("cross-site enable %v: %d, want 403", h, code)
		}
	}
	// A same-origin browser request is let through.
	same := http.Header{"Sec-Fetch-Site": {"same-origin"}}
	var page subjects.ListEventsResponse
	if code, msg := httpCall(t, s, "GET", "/api/events", "", http.Header{"Sec-Fetch-Site": {"cross-site"}}, &page); code != 200 || len(page.Data) != 1 {
		t.Fatalf("a cross-site GET reads (it changes nothing): %d %s", code, msg)
	}
	after, _ := Counter(t, nc, "http-c")
	if after.ConsecutiveFailures != before.ConsecutiveFailures || after.LastEnableID != "" || after.UpdatedAt != before.UpdatedAt {
		t.Fatalf("a refused request changed the counter: %+v -> %+v", before, after)
	}
	if _, ok := Counter(t, nc, "never-ran"); ok {
		t.Fatal("a refused request created a counter")
	}
	if page.Data[0].DtActioned != nil || len(Stored(t, nc, "INTEGRATION_EVENTS")) != 1 {
		t.Fatalf("a refused request actioned an event: %+v", page.Data[0])
	}
	var acted subjects.ActionEventsResponse
	if code, msg := httpCall(t, s, "POST", "/api/events/actioned", `{"ids": ["`+id+`"]}`, same, &acted); code != 200 || len(acted.Actioned) != 1 {
		t.Fatalf("same-origin action: %d %s %+v", code, msg, acted)
	}
}

func TestHTTPAPIBeyondLoopbackNeedsAToken(t *testing.T) {
	port := FreePort(t)[len("127.0.0.1:"):]
	cmd := exec.Command(Binary(t), "serve", "--data-dir", t.TempDir(), "--nats-listen", FreePort(t), "--http-listen", "0.0.0.0:"+port)
	cmd.Env = append(cmd.Environ(), "NATS_URL=", "INTEGRATION_EVENTS_HTTP_TOKEN=", "INTEGRATION_EVENTS_HTTP_TOKEN_FILE=")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("serve did not refuse to start:\n%s", out)
	}
	if err == nil || !strings.Contains(string(out), "refusing to serve the HTTP API on 0.0.0.0:"+port) || !strings.Contains(string(out), "--http-token") {
		t.Fatalf("serve beyond loopback without a token: %v\n%s", err, out)
	}

	// With a token it starts, and the API wants the bearer; the probes do not.
	const secret = "s3cret-7f3a9c2e1b4d8f60"
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", "0.0.0.0:"+port, "--http-token", "ana:"+secret)
	s.HTTP = "http://127.0.0.1:" + port
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("http-d", "d1", subjects.StageValidate, 0))
	WaitCounter(t, nc, "http-d", Streak(1, false))
	id := StoredEvents(t, nc)[0].ID
	for _, h := range []http.Header{nil, {"Authorization": {"Bearer wrong-token-0000000000"}}, {"Authorization": {"Basic " + secret}}, {"Authorization": {secret}}} {
		if code, _ := httpCall(t, s, "GET", "/api/events", "", h, nil); code != 401 {
			t.Errorf("GET /api/events with %v: %d, want 401", h, code)
		}
		if code, _ := httpCall(t, s, "POST", "/api/events/actioned", `{"ids": ["`+id+`"]}`, h, nil); code != 401 {
			t.Errorf("POST /api/events/actioned with %v: %d, want 401", h, code)
		}
	}
	if code, _ := httpCall(t, s, "GET", "/readyz", "", nil, nil); code != 200 {
		t.Errorf("readyz without a token: %d", code)
	}
	bearer := http.Header{"Authorization": {"Bearer " + secret}}
	var page subjects.ListEventsResponse
	if code, msg := httpCall(t, s, "GET", "/api/events", "", bearer, &page); code != 200 || len(page.Data) != 1 || page.Data[0].DtActioned != nil {
		t.Fatalf("with the token: %d %s %+v", code, msg, page)
	}
	var acted subjects.ActionEventsResponse
	if code, msg := httpCall(t, s, "POST", "/api/events/actioned", `{"ids": ["`+id+`"]}`, bearer, &acted); code != 200 || len(acted.Actioned) != 1 || acted.Actioned[0].ActionedBy != "ana" {
		t.Fatalf("action with the token: %d %s %+v", code, msg, acted)
	}
	if strings.Contains(s.Output(), secret) {
		t.Error("serve logged the token")
	}
}

// TestHTTPAPIRefusesARebindingHost: a page on evil.example whose name
// rebinds to 127.0.0.1 is same-origin to the browser, so without tokens
// only the Host header gives it away.
func TestHTTPAPIRefusesARebindingHost(t *testing.T) {
	listen := FreePort(t)
	port := listen[len("127.0.0.1:"):]
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", listen)
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("http-e", "e1", subjects.StageValidate, 0))
	WaitCounter(t, nc, "http-e", Streak(1, false))
	id := StoredEvents(t, nc)[0].ID
	evil := "evil.example:" + port
	do := func(method, path, body, host string, h http.Header) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, s.HTTP+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		for k, vs := range h {
			req.Header[k] = vs
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var e struct {
			Message string `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&e)
		return r.StatusCode, e.Message
	}
	if code, msg := do("GET", "/api/integrations", "", evil, nil); code != 403 || !strings.Contains(msg, "Host") {
		t.Errorf("GET /api/integrations with Host %s: %d %q, want 403", evil, code, msg)
	}
	if code, _ := do("GET", "/", "", evil, nil); code != 403 {
		t.Errorf("the console with Host %s: %d, want 403", evil, code)
	}
	browser := http.Header{"Origin": {"http://" + evil}, "Sec-Fetch-Site": {"same-origin"}, "Content-Type": {"application/json"}}
	if code, msg := do("POST", "/api/events/actioned", `{"ids": ["`+id+`"]}`, "evil.example", browser); code != 403 {
		t.Errorf("a rebound POST: %d %q, want 403", code, msg)
	}
	var rec subjects.EventRecord
	if code, msg := httpCall(t, s, "GET", "/api/events/"+id, "", nil, &rec); code != 200 || rec.DtActioned != nil {
		t.Fatalf("after the rebound POST: %d %s, actioned %v", code, msg, rec.DtActioned)
	}
	var page subjects.ListIntegrationsResponse
	if code, msg := httpCall(t, s, "GET", "/api/integrations", "", nil, &page); code != 200 || len(page.Data) != 1 {
		t.Fatalf("GET /api/integrations on 127.0.0.1: %d %s %+v", code, msg, page)
	}
	if code, msg := do("GET", "/api/integrations", "", "localhost:"+port, nil); code != 200 {
		t.Errorf("Host localhost: %d %s", code, msg)
	}
}
