package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

func TestOperatorListsAndActionsEvents(t *testing.T) {
	_, nc := startServe(t)
	acks := subscribe(t, nc, "integrations.actioned.>")
	for i := range 5 {
		Publish(t, nc, workload.Failed("api-a", fmt.Sprintf("a%d", i), subjects.StagePerform, 500))
	}
	for i := range 3 {
		Publish(t, nc, workload.Failed("api-b", fmt.Sprintf("b%d", i), subjects.StageValidate, 0))
	}
	WaitCounter(t, nc, "api-a", Streak(5, false))
	WaitCounter(t, nc, "api-b", Streak(3, false))
	stored := StoredEvents(t, nc)
	newestFirst := make([]string, len(stored))
	for i, e := range stored {
		newestFirst[len(stored)-1-i] = e.ID
	}

	list := func(req subjects.ListEventsRequest) subjects.ListEventsResponse {
		t.Helper()
		resp, err := API(nc).ListEvents(t.Context(), req)
		if err != nil {
			t.Fatalf("list %+v: %v", req, err)
		}
		return resp
	}
	ids := func(recs []subjects.EventRecord) []string {
		out := make([]string, len(recs))
		for i, r := range recs {
			out[i] = r.ID
		}
		return out
	}

	if got := ids(list(subjects.ListEventsRequest{}).Data); !slices.Equal(got, newestFirst) {
		t.Fatalf("list order %v, want newest first %v", got, newestFirst)
	}
	// Pages of 3 cover everything once, in order, and the last has no token.
	var paged []string
	req := subjects.ListEventsRequest{PageSize: 3}
	for pages := 0; ; pages++ {
		resp := list(req)
		paged = append(paged, ids(resp.Data)...)
		if resp.NextToken == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		req.NextToken = resp.NextToken
	}
	if !slices.Equal(paged, newestFirst) {
		t.Fatalf("paged %v, want %v", paged, newestFirst)
	}
	if n := len(list(subjects.ListEventsRequest{EventName: "integration.validation.error"}).Data); n != 3 {
		t.Fatalf("%d validation events, want 3", n)
	}
	recs := list(subjects.ListEventsRequest{IntegrationID: "api-a"}).Data
	if len(recs) != 5 || recs[0].EventName != "integration.perform.error" || recs[0].DtActioned != nil || len(recs[0].Data) == 0 {
		t.Fatalf("api-a events: %+v", recs)
	}

	acted, err := API(nc).ActionEvents(t.Context(), subjects.ActionEventsRequest{IDs: []string{newestFirst[0], newestFirst[1], "no-such-event"}, ActionedBy: "ana", Note: "rotated the key"})
	if err != nil {
		t.Fatalf("action: %v", err)
	}
	if len(acted.Actioned) != 2 || len(acted.AlreadyActioned) != 0 || !slices.Equal(acted.NotFound, []string{"no-such-event"}) {
		t.Fatalf("first action: %+v", acted)
	}
	first := *acted.Actioned[0].DtActioned
	time.Sleep(5 * time.Millisecond)
	if acted, err = API(nc).ActionEvents(t.Context(), subjects.ActionEventsRequest{IDs: []string{newestFirst[0], newestFirst[2]}, ActionedBy: "bo"}); err != nil {
		t.Fatalf("action: %v", err)
	}
	if len(acted.Actioned) != 1 || acted.Actioned[0].ID != newestFirst[2] || len(acted.AlreadyActioned) != 1 ||
		!acted.AlreadyActioned[0].DtActioned.Equal(first) || acted.AlreadyActioned[0].ActionedBy != "ana" {
		t.Fatalf("second action: %+v", acted)
	}

	if got := ids(list(subjects.ListEventsRequest{}).Data); !slices.Equal(got, newestFirst[3:]) {
		t.Fatalf("not-actioned list %v, want %v", got, newestFirst[3:])
	}
	all := list(subjects.ListEventsRequest{IncludeActioned: true}).Data
	if len(all) != len(newestFirst) || all[0].DtActioned == nil || all[0].ActionedBy != "ana" || all[0].Note != "rotated the key" || all[3].DtActioned != nil {
		t.Fatalf("include actioned: %+v", all[:4])
	}

	got := acks.waitCount(t, 3)
	for _, m := range got {
		e := DecodeEvent(t, m)
		var a subjects.Actioned
		if err := json.Unmarshal(e.Raw, &struct {
			Data *subjects.Actioned `json:"data"`
		}{&a}); err != nil {
			t.Fatal(err)
		}
		if e.Type != subjects.ActionedType || !slices.Contains(newestFirst[:3], a.EventID) || a.EventName == "" || a.ActionedBy == "" || a.DtActioned.IsZero() {
			t.Fatalf("acknowledgement %s: %+v", e.Type, a)
		}
	}

	rec, err := API(nc).Event(t.Context(), newestFirst[0])
	if err != nil || rec.ID != newestFirst[0] || rec.DtActioned == nil {
		t.Fatalf("get: %v %+v", err, rec)
	}
	var d subjects.EventData
	if err := json.Unmarshal(rec.Data, &d); err != nil || d.RunID == "" || d.Message == "" {
		t.Fatalf("get data: %v %+v", err, d)
	}
}

func TestBadAPIRequestsAreRefusedAndChangeNothing(t *testing.T) {
	_, nc := startServe(t)
	Publish(t, nc, workload.Failed("api-c", "c1", subjects.StageMap, 0))
	before := WaitCounter(t, nc, "api-c", Streak(1, false))
	ids101 := make([]string, 101)
	for i := range ids101 {
		ids101[i] = fmt.Sprint("id", i)
	}
	cases := []struct {
		endpoint, code, msg string
		req                 any
	}{
		{subjects.EndpointEventsList, "400", "pageSize 101", subjects.ListEventsRequest{PageSize: 101}},
		{subjects.EndpointEventsList, "400", "pageSize -1", subjects.ListEventsRequest{PageSize: -1}},
		{subjects.EndpointEventsList, "400", "pageSize 0 must be 1 to 100", `{"pageSize": 0}`},
		{subjects.EndpointEventsList, "400", `unknown field "PAGESIZE"`, `{"PAGESIZE": 5}`},
		{subjects.EndpointEventsList, "400", `field "pageSize" is given twice`, `{"pageSize": 5, "pageSize": 200}`},
		{subjects.EndpointEventsAction, "400", `field "ids" is given twice`, `{"ids": ["x"], "ids": ["y"], "actionedBy": "x"}`},
		{subjects.EndpointEventsAction, "400", "actionedBy is 300 bytes, over 256", subjects.ActionEventsRequest{IDs: []string{"x"}, ActionedBy: strings.Repeat("a", 300)}},
		{subjects.EndpointEventsGet, "400", `unknown field "Id"`, `{"Id": "x"}`},
		{subjects.EndpointIntegrationGet, "400", `unknown field "integrationID"`, `{"integrationID": "api-c"}`},
		{subjects.EndpointIntegrationEnable, "400", `field "enabledBy" is given twice`, `{"integrationId": "api-c", "enabledBy": "a", "enabledBy": "b"}`},
		{subjects.EndpointIntegrationGet, "400", `has 'é' at position 3`, subjects.IntegrationRequest{IntegrationID: "intégration-ä"}},
		{subjects.EndpointEventsList, "400", "event name", subjects.ListEventsRequest{EventName: "integration.bogus.error"}},
		{subjects.EndpointEventsList, "400", "integrationId", subjects.ListEventsRequest{IntegrationID: "a.b"}},
		{subjects.EndpointEventsList, "400", "nextToken", subjects.ListEventsRequest{NextToken: "garbage"}},
		{subjects.EndpointEventsList, "400", "unknown field", `{"includeActionned": true}`},
		{subjects.EndpointEventsList, "400", "not valid JSON", `{"pageSize": `},
		{subjects.EndpointEventsGet, "400", "id is required", `{}`},
		{subjects.EndpointEventsGet, "404", "not found", subjects.GetEventRequest{ID: "00000000-0000-0000-0000-000000000000"}},
		{subjects.EndpointEventsAction, "400", "ids must hold", subjects.ActionEventsRequest{ActionedBy: "x"}},
		{subjects.EndpointEventsAction, "400", "ids must hold", subjects.ActionEventsRequest{IDs: ids101, ActionedBy: "x"}},
		{subjects.EndpointEventsAction, "400", "actionedBy is required", subjects.ActionEventsRequest{IDs: []string{"x"}}},
		{subjects.EndpointIntegrationGet, "404", "no runs recorded", subjects.IntegrationRequest{IntegrationID: "never-ran"}},
		{subjects.EndpointIntegrationGet, "400", "integrationId", subjects.IntegrationRequest{}},
		{subjects.EndpointIntegrationEnable, "404", "no runs recorded", subjects.EnableIntegrationRequest{IntegrationID: "never-ran", EnabledBy: "x"}},
		{subjects.EndpointIntegrationEnable, "400", "enabledBy is required", subjects.EnableIntegrationRequest{IntegrationID: "api-c"}},
		{subjects.EndpointIntegrationEnable, "400", "integrationId", subjects.EnableIntegrationRequest{IntegrationID: "bad id", EnabledBy: "x"}},
	}
	for i, c := range cases {
		// Raw bodies, since some break what a typed request could say.
		body, ok := c.req.(string)
		if !ok {
			b, _ := json.Marshal(c.req)
			body = string(b)
		}
		err := API(nc).Request(t.Context(), c.endpoint, []byte(body), nil)
		var oe *operator.Error
		if !errors.As(err, &oe) || strconv.Itoa(oe.Status) != c.code || !strings.Contains(oe.Message, c.msg) {
			t.Errorf("case %d %s: got %v, want %s containing %q", i, c.endpoint, err, c.code, c.msg)
		}
	}
	after, _ := Counter(t, nc, "api-c")
	if after.ConsecutiveFailures != before.ConsecutiveFailures || after.LastEnableID != "" || after.UpdatedAt != before.UpdatedAt {
		t.Fatalf("a bad request changed the counter: %+v -> %+v", before, after)
	}
	if _, ok := Counter(t, nc, "never-ran"); ok {
		t.Fatal("a bad request created a counter")
	}
	page, err := API(nc).ListEvents(t.Context(), subjects.ListEventsRequest{})
	if err != nil || len(page.Data) != 1 || page.Data[0].DtActioned != nil {
		t.Fatalf("events changed: %+v", page.Data)
	}
}

// TestIntegrationsGetShowsTheAppliedPolicy: integrations.get, over NATS
// and over HTTP, answers the counter as before and the policy of the
// integration's destination from serve's --policy file, with the distance
// to each threshold.
func TestIntegrationsGetShowsTheAppliedPolicy(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--policy", writePolicy(t, testPolicy))
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("pol-a", "v1", subjects.StageValidate, 0))
	Publish(t, nc, workload.Failed("pol-a", "a1", subjects.StageAuthenticate, 0))
	stripe := workload.Failed("pol-s", "s1", subjects.StagePerform, 500)
	stripe.Destination, stripe.FinishedAt = "Stripe", time.Now().Add(-5*time.Minute).UTC().Truncate(time.Second)
	Publish(t, nc, stripe)
	WaitCounter(t, nc, "pol-a", Streak(1, false))
	WaitCounter(t, nc, "pol-s", Streak(1, false))
	notBefore := stripe.FinishedAt.Add(time.Hour)

	kinds := []subjects.AppliedThreshold{{Rule: "disableAfter", DisableAfter: 4}, {Rule: "kinds.authentication.disableAfter", Kind: subjects.KindAuthentication, DisableAfter: 2}}
	distance := func(streak, auth int) []subjects.AppliedThreshold {
		out := slices.Clone(kinds)
		out[0].Failures, out[0].Remaining = streak, 4-streak
		out[1].Failures, out[1].Remaining = auth, 2-auth
		return out
	}
	notCounted := []subjects.Kind{subjects.KindValidation}
	for id, want := range map[string]subjects.AppliedPolicy{
		// The validation failure does not count; the authentication one
		// is half of its kind's 2, and warned.
		"pol-a": {DisableAfter: 4, WarnAt: []int{50}, MinStreakAge: "0s", NotCounted: notCounted, Thresholds: distance(1, 1), WarnedPercent: []int{50}},
		"pol-s": {Scope: "Stripe", DisableAfter: 4, WarnAt: []int{50}, MinStreakAge: "1h0m0s", NotCounted: notCounted, Thresholds: distance(1, 0), DisableNotBefore: &notBefore},
	} {
		stored, _ := Counter(t, nc, id)
		wantJSON, _ := json.Marshal(want)
		storedJSON, _ := json.Marshal(stored)

		got, err := API(nc).Integration(t.Context(), id)
		if err != nil {
			t.Fatalf("integrations.get %s: %v", id, err)
		}
		gotPolicy, _ := json.Marshal(got.Policy)
		gotCounter, _ := json.Marshal(got.FailureCounter)
		if string(gotPolicy) != string(wantJSON) || string(gotCounter) != string(storedJSON) {
			t.Errorf("NATS %s:\n policy %s\n  want  %s\n counter %s\n  want   %s", id, gotPolicy, wantJSON, gotCounter, storedJSON)
		}

		// Over HTTP the same reply: the counter's fields at the top level,
		// as before, and the policy beside them.
		var raw map[string]json.RawMessage
		if code, msg := httpCall(t, s, "GET", "/api/integrations/"+id, "", nil, &raw); code != 200 {
			t.Fatalf("GET /api/integrations/%s: %d %s", id, code, msg)
		}
		var counter subjects.FailureCounter
		whole, _ := json.Marshal(raw)
		if err := json.Unmarshal(whole, &counter); err != nil {
			t.Fatal(err)
		}
		counterJSON, _ := json.Marshal(counter)
		var policy subjects.AppliedPolicy
		if err := json.Unmarshal(raw["policy"], &policy); err != nil {
			t.Fatalf("HTTP %s: policy %s: %v", id, raw["policy"], err)
		}
		httpPolicy, _ := json.Marshal(policy)
		if string(httpPolicy) != string(wantJSON) || string(counterJSON) != string(storedJSON) || raw["integrationId"] == nil || raw["consecutiveFailures"] == nil {
			t.Errorf("HTTP %s:\n policy %s\n  want  %s\n counter %s\n  want   %s", id, httpPolicy, wantJSON, counterJSON, storedJSON)
		}
	}
}
