package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// performRemedy400 ends the message of a perform event for HTTP 400 from
// Salesforce.
const performRemedy400 = "Next: Salesforce rejected the data: open the failed request and response, correct the field it names in m3ter or in the field mappings, then re-run."

// remedyWithin is how far into the message the remedy may start: the
// message quotes at most 1,000 bytes of the provider's text.
const remedyWithin = 2 << 10

// listAll follows events.list's tokens from req to the end and returns every
// page.
func listAll(t *testing.T, nc *nats.Conn, req subjects.ListEventsRequest) []subjects.ListEventsResponse {
	t.Helper()
	var pages []subjects.ListEventsResponse
	for {
		page, err := API(nc).ListEvents(t.Context(), req)
		if err != nil {
			t.Fatalf("events.list %+v: %v", req, err)
		}
		pages = append(pages, page)
		if page.NextToken == "" {
			return pages
		}
		if len(pages) > 1000 {
			t.Fatal("listing does not end")
		}
		req.NextToken = page.NextToken
	}
}

// bulkyOutcome is a Salesforce 400 perform failure whose message and two
// bodies are text bytes each, with logs log entries of about logBytes.
func bulkyOutcome(integration, runID string, text, logs, logBytes int) subjects.RunOutcome {
	o := workload.Failed(integration, runID, subjects.StagePerform, 400)
	o.Failure.Message = strings.Repeat("e", text)
	o.Failure.HTTP.Request.Body = subjects.Body(strings.Repeat("q", text))
	o.Failure.HTTP.Response.Body = subjects.Body(strings.Repeat("r", text))
	for j := range logs {
		o.Log = append(o.Log, subjects.LogEntry{Level: "INFO", Message: fmt.Sprint(j, strings.Repeat("l", logBytes))})
	}
	return o
}

func TestAHugeProviderMessageGivesABoundedEvent(t *testing.T) {
	s, nc := startServe(t)
	events := subscribe(t, nc, "integrations.events.>")
	o := workload.Failed("huge-msg", "h1", subjects.StagePerform, 400)
	o.Failure.Message = strings.Repeat("Required field missing. ", 12_500) // 300,000 bytes
	Publish(t, nc, o)
	e := DecodeEvent(t, events.waitCount(t, 1)[0])

	if len(e.Raw) > subjects.MaxEventBytes {
		t.Errorf("event is %d bytes, over %d", len(e.Raw), subjects.MaxEventBytes)
	}
	if len(e.Data.Error) > subjects.MaxErrorBytes || !strings.HasSuffix(e.Data.Error, " … [truncated: 300000 bytes in all]") {
		t.Errorf("error is %d bytes ending %q", len(e.Data.Error), e.Data.Error[max(0, len(e.Data.Error)-60):])
	}
	msg := e.Data.Message
	at := strings.Index(msg, performRemedy400)
	if !strings.HasSuffix(msg, performRemedy400) || at > remedyWithin {
		t.Errorf("message of %d bytes has the remedy at %d, want it at its end within %d bytes", len(msg), at, remedyWithin)
	}
	c := WaitCounter(t, nc, "huge-msg", Streak(1, false))
	if len(c.LastError) > subjects.MaxErrorBytes {
		t.Errorf("the counter's lastError is %d bytes", len(c.LastError))
	}
	t.Logf("a 300 KB message: event %d bytes, error %d bytes, message %d bytes with the remedy at %d", len(e.Raw), len(e.Data.Error), len(msg), at)
	if strings.Contains(s.Output(), "api respond failed") {
		t.Error("serve logged a failed reply")
	}
}

func TestHugeProviderMessagesDoNotBreakTheList(t *testing.T) {
	s, nc := startServe(t)
	for i := range 5 {
		o := workload.Failed("huge-list", fmt.Sprint("m", i), subjects.StagePerform, 400)
		o.Failure.Message = strings.Repeat(fmt.Sprint(i), 1_000_000)
		Publish(t, nc, o)
	}
	WaitCounter(t, nc, "huge-list", Streak(5, false))
	stored := StoredEvents(t, nc)
	var want []string
	for i := len(stored) - 1; i >= 0; i-- {
		if len(stored[i].Raw) > subjects.MaxEventBytes {
			t.Errorf("event %s is %d bytes", stored[i].ID, len(stored[i].Raw))
		}
		want = append(want, stored[i].ID)
	}

	var got []string
	for _, page := range listAll(t, nc, subjects.ListEventsRequest{}) {
		for _, r := range page.Data {
			got = append(got, r.ID)
			var d subjects.EventData
			if err := json.Unmarshal(r.Data, &d); err != nil || !strings.HasSuffix(d.Message, performRemedy400) {
				t.Errorf("record %s: %v, message ends %q", r.ID, err, d.Message[max(0, len(d.Message)-60):])
			}
		}
	}
	if len(want) != 5 || !slices.Equal(got, want) {
		t.Fatalf("listed %v, want the 5 events newest first %v", got, want)
	}
	if rec, err := API(nc).Event(t.Context(), want[0]); err != nil || rec.ID != want[0] {
		t.Fatalf("events.get: %v", err)
	}
	out, err := cli(t, "events", "list", "--server", s.URL)
	if err != nil || strings.Count(out, "integration.perform.error") != 5 {
		t.Fatalf("events list: %v\n%.2000s", err, out)
	}
	if strings.Contains(s.Output(), "api respond failed") || strings.Contains(s.Output(), "maximum payload") {
		t.Errorf("serve logged a failed reply:\n%s", s.problems(10))
	}
}

func TestListPagesFitASmallMaxPayload(t *testing.T) {
	const maxPayload = 96 << 10
	srv := StartServerMaxPayload(t, maxPayload)
	s := StartServe(t, t.TempDir(), "127.0.0.1:0", "--nats-url", srv.ClientURL())
	nc := Connect(t, srv.ClientURL())
	if nc.MaxPayload() != maxPayload {
		t.Fatalf("max payload %d", nc.MaxPayload())
	}
	// Events of about 30 KB each: three fit a reply, twenty do not.
	const n = 14
	for i := range n {
		Publish(t, nc, bulkyOutcome("small-payload", fmt.Sprint("p", i), 7000, 5, 900))
	}
	WaitCounter(t, nc, "small-payload", Streak(n, false))
	stored := StoredEvents(t, nc)
	var want []string
	for i := len(stored) - 1; i >= 0; i-- {
		want = append(want, stored[i].ID)
	}
	t.Logf("event size %d bytes", len(stored[0].Raw))

	pages := listAll(t, nc, subjects.ListEventsRequest{})
	var got []string
	for i, page := range pages {
		b, _ := json.Marshal(page)
		if len(page.Data) == 0 || len(page.Data) >= subjects.DefaultPageSize || len(b) > maxPayload {
			t.Errorf("page %d: %d records in %d bytes", i, len(page.Data), len(b))
		}
		for _, r := range page.Data {
			got = append(got, r.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d pages listed %d events %v, want each of the %d once, newest first", len(pages), len(got), got, len(want))
	}
	t.Logf("%d events in %d pages of at most %d bytes", len(got), len(pages), maxPayload)
	// The CLI follows too, one page at a time.
	out, err := cli(t, "events", "list", "--server", srv.ClientURL())
	if err != nil || !strings.Contains(out, "more: --next-token ") {
		t.Fatalf("events list: %v\n%.2000s", err, out)
	}
	if strings.Contains(s.Output(), "api respond failed") {
		t.Errorf("serve logged a failed reply:\n%s", s.problems(10))
	}
}

// TestAnActionedEventWithAnEscapedNoteFitsASmallMaxPayload actions an event
// of about 64 KiB with a note of 4,096 '<' (24 KiB once JSON escapes it) and
// an actionedBy of 256 '&': on an 80 KiB max_payload server its record is
// still listed and shown, its data bounded to the room the note leaves.
func TestAnActionedEventWithAnEscapedNoteFitsASmallMaxPayload(t *testing.T) {
	const maxPayload = 80 << 10
	srv := StartServerMaxPayload(t, maxPayload)
	s := StartServe(t, t.TempDir(), "127.0.0.1:0", "--nats-url", srv.ClientURL())
	nc := Connect(t, srv.ClientURL())

	// An outcome of about 65 KB: its event is shrunk to just under 64 KiB.
	Publish(t, nc, bulkyOutcome("escaped-note", "big", 8000, 36, 1000))
	WaitCounter(t, nc, "escaped-note", Streak(1, false))
	stored := StoredEvents(t, nc)
	if len(stored) != 1 || len(stored[0].Raw) < 60<<10 {
		t.Fatalf("%d events, the first of %d bytes; want one of about 64 KiB", len(stored), len(stored[0].Raw))
	}
	id := stored[0].ID

	note, by := strings.Repeat("<", subjects.MaxNoteBytes), strings.Repeat("&", subjects.MaxOperatorBytes)
	if act, err := API(nc).ActionEvents(t.Context(), subjects.ActionEventsRequest{IDs: []string{id}, ActionedBy: by, Note: note}); err != nil || len(act.Actioned) != 1 {
		t.Fatalf("events.action: %v %+v", err, act)
	}

	check := func(what string, r subjects.EventRecord) {
		t.Helper()
		var d subjects.EventData
		if err := json.Unmarshal(r.Data, &d); err != nil || r.ID != id || r.Note != note || r.ActionedBy != by || !strings.HasSuffix(d.Message, performRemedy400) {
			t.Errorf("%s: record %s, note %d bytes, data %v, message ends %q", what, r.ID, len(r.Note), err, d.Message[max(0, len(d.Message)-60):])
		}
		b, _ := json.Marshal(r)
		t.Logf("%s: record %d bytes, data %d bytes", what, len(b), len(r.Data))
	}
	pages := listAll(t, nc, subjects.ListEventsRequest{IncludeActioned: true})
	if len(pages) != 1 || len(pages[0].Data) != 1 {
		t.Fatalf("%d pages, want one with the event", len(pages))
	}
	if b, _ := json.Marshal(pages[0]); len(b) > maxPayload {
		t.Errorf("page of %d bytes", len(b))
	}
	check("events.list", pages[0].Data[0])
	rec, err := API(nc).Event(t.Context(), id)
	if err != nil {
		t.Fatalf("events.get: %v", err)
	}
	check("events.get", rec)
	if strings.Contains(s.Output(), "api respond failed") || strings.Contains(s.Output(), "maximum payload") {
		t.Errorf("serve logged a failed reply:\n%s", s.problems(10))
	}
}

// TestALongStreakOfLongRunIDsKeepsItsFirstHundred runs 150 failures with
// 256-character run ids under --disable-after 150: the counter is stored
// with the first 100 run ids, the integration is disabled once, and
// integrations.get and integrations.enable answer.
func TestALongStreakOfLongRunIDsKeepsItsFirstHundred(t *testing.T) {
	s, nc := startServe(t, "--disable-after", "150")
	disables := subscribe(t, nc, "integrations.commands.disable.>")
	const id = "long-streak"
	var runIDs []string
	for i := range 150 {
		runIDs = append(runIDs, fmt.Sprintf("%03d-", i)+strings.Repeat("r", 252))
		Publish(t, nc, workload.Failed(id, runIDs[i], subjects.StagePerform, 500))
	}
	first := runIDs[:subjects.MaxStreakRunIDs]
	c := WaitCounter(t, nc, id, Streak(150, true))
	if len(runIDs[0]) != 256 || !slices.Equal(c.StreakRunIDs, first) {
		t.Fatalf("stored counter has %d streak run ids, want the first %d", len(c.StreakRunIDs), len(first))
	}
	record, _ := json.Marshal(c)
	got, err := API(nc).Integration(t.Context(), id)
	if err != nil {
		t.Fatalf("integrations.get: %v", err)
	}
	if got.ConsecutiveFailures != 150 || !got.Disabled || !slices.Equal(got.StreakRunIDs, first) {
		t.Fatalf("integrations.get: %d failures, disabled %t, %d run ids", got.ConsecutiveFailures, got.Disabled, len(got.StreakRunIDs))
	}
	disables.waitCount(t, 1)
	var disabled []Event
	for _, e := range StoredEvents(t, nc) {
		if e.Type == subjects.KindDisabled.EventName() {
			disabled = append(disabled, e)
		}
	}
	if len(disabled) != 1 || !slices.Equal(disabled[0].Data.StreakRunIDs, first) || disabled[0].Data.ConsecutiveFailures != 150 {
		t.Fatalf("%d disabled events", len(disabled))
	}
	if after, err := API(nc).EnableIntegration(t.Context(), subjects.EnableIntegrationRequest{IntegrationID: id, EnabledBy: "ops"}); err != nil || after.Disabled || after.Episode != 1 {
		t.Fatalf("integrations.enable: %v %+v", err, after)
	}
	t.Logf("counter record %d bytes, disabled event %d bytes", len(record), len(disabled[0].Raw))
	if strings.Contains(s.Output(), "retrying") || strings.Contains(s.Output(), "api respond failed") {
		t.Errorf("serve logged a problem:\n%s", s.problems(10))
	}
}
