package processor_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

func TestTruncate(t *testing.T) {
	if got := processor.Truncate("short", 100); got != "short" {
		t.Errorf("short text changed: %q", got)
	}
	long := strings.Repeat("é", 1000) // 2,000 bytes
	got := processor.Truncate(long, 200)
	if len(got) > 200 || !utf8.ValidString(got) {
		t.Errorf("cut to %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if !strings.HasSuffix(got, " … [truncated: 2000 bytes in all]") || !strings.HasPrefix(got, "éé") {
		t.Errorf("cut text %q", got)
	}
	if got := processor.Truncate(long, 1); len(got) > 64 {
		t.Errorf("limit under the minimum gave %d bytes", len(got))
	}
}

func TestTruncateAgainKeepsTheOriginalSize(t *testing.T) {
	once := processor.Truncate(strings.Repeat("x", 300_000), 8192)
	twice := processor.Truncate(once, 1024)
	if len(twice) > 1024 || !strings.HasSuffix(twice, " … [truncated: 300000 bytes in all]") || strings.Count(twice, "truncated") != 1 {
		t.Fatalf("cut twice: %d bytes ending %q", len(twice), twice[max(0, len(twice)-60):])
	}
	if got := processor.Truncate(strings.Repeat("y", 50), 10); got != strings.Repeat("y", 50) {
		t.Errorf("text within the 64-byte minimum was cut to %q", got)
	}
}

// hugeOutcome is a failed perform outcome with every free-text field far
// over its limit: 300 KB message, 200 headers of 5 KB and a 5 KB header
// name on each side, 1 MB bodies, 200 log entries of 5 KB each with an
// exchange of 100 KB URL, 60 headers and 3 KB bodies.
func hugeOutcome() subjects.RunOutcome {
	o := workload.Failed("huge-1", "run-1", subjects.StagePerform, 400)
	o.Destination = strings.Repeat("D", 10_000)
	o.EntityType = strings.Repeat("T", 10_000)
	o.EntityID = strings.Repeat("I", 10_000)
	o.Failure.Message = strings.Repeat("m", 300_000)
	headers := func(n, size int) subjects.Headers {
		h := subjects.Headers{}
		for i := range n {
			h[fmt.Sprintf("X-H-%03d", i)] = []string{strings.Repeat("v", size)}
		}
		h[strings.Repeat("N", 5000)] = []string{"long name"}
		return h
	}
	exchange := func(headerCount, body int) *subjects.HTTPExchange {
		return &subjects.HTTPExchange{
			Request:  &subjects.HTTPRequest{Method: strings.Repeat("P", 500), URL: "https://x.example/" + strings.Repeat("u", 100_000), Headers: headers(headerCount, 5000), Body: subjects.Body(strings.Repeat("b", body))},
			Response: &subjects.HTTPResponse{Status: 400, Headers: headers(headerCount, 5000), Body: subjects.Body(strings.Repeat("r", body))},
		}
	}
	o.Failure.HTTP = exchange(200, 1<<20)
	logX := exchange(60, 3000)
	for i := range 200 {
		o.Log = append(o.Log, subjects.LogEntry{Step: strings.Repeat("s", 500), Level: "ERROR", Message: fmt.Sprintf("line %d ", i) + strings.Repeat("l", 5000), HTTP: logX})
	}
	return o
}

func TestBoundOutcomeCutsEveryFieldToItsLimit(t *testing.T) {
	o := hugeOutcome()
	processor.BoundOutcome(&o)
	marked := func(name, s string, limit, size int) {
		t.Helper()
		if len(s) > limit || !utf8.ValidString(s) || !strings.HasSuffix(s, fmt.Sprintf(" … [truncated: %d bytes in all]", size)) {
			t.Errorf("%s: %d bytes (limit %d), ends %q", name, len(s), limit, s[max(0, len(s)-50):])
		}
	}
	marked("destination", o.Destination, subjects.MaxNameBytes, 10_000)
	marked("entityType", o.EntityType, subjects.MaxNameBytes, 10_000)
	marked("entityId", o.EntityID, subjects.MaxNameBytes, 10_000)
	marked("failure.message", o.Failure.Message, subjects.MaxErrorBytes, 300_000)
	checkExchange := func(name string, x *subjects.HTTPExchange, body, bodySize, omitted int) {
		t.Helper()
		marked(name+" url", x.Request.URL, subjects.MaxURLBytes, 100_018)
		marked(name+" method", x.Request.Method, subjects.MaxLogTagBytes, 500)
		marked(name+" request body", string(x.Request.Body), body, bodySize)
		marked(name+" response body", string(x.Response.Body), body, bodySize)
		for side, h := range map[string]subjects.Headers{"request": x.Request.Headers, "response": x.Response.Headers} {
			values := 0
			for k, vs := range h {
				switch {
				case k == subjects.HeaderOmitted:
					if want := fmt.Sprint(omitted, " more header values"); len(vs) != 1 || vs[0] != want {
						t.Errorf("%s %s: omitted %v, want %q", name, side, vs, want)
					}
					continue
				case strings.HasPrefix(k, "NNN"):
					marked(name+" "+side+" long header name", k, subjects.MaxHeaderBytes, 5000)
				default:
					for _, v := range vs {
						marked(name+" "+side+" "+k, v, subjects.MaxHeaderBytes, 5000)
					}
				}
				values += len(vs)
			}
			// The long name sorts first: it and X-H-000 to X-H-048.
			if values != subjects.MaxHeaderValues || h["X-H-048"] == nil || h["X-H-049"] != nil {
				t.Errorf("%s %s: %d header values kept, want the first %d by name", name, side, values, subjects.MaxHeaderValues)
			}
		}
	}
	checkExchange("failure", o.Failure.HTTP, subjects.MaxBodyBytes, 1<<20, 151)
	if len(o.Log) != subjects.MaxLogEntries || !strings.HasPrefix(o.Log[0].Message, "line 150 ") || !strings.HasPrefix(o.Log[49].Message, "line 199 ") {
		t.Fatalf("log kept %d entries from %.10q", len(o.Log), o.Log[0].Message)
	}
	for i, e := range o.Log {
		marked(fmt.Sprint("log step ", i), e.Step, subjects.MaxLogTagBytes, 500)
		marked(fmt.Sprint("log message ", i), e.Message, subjects.MaxLogMessageBytes, len(fmt.Sprintf("line %d ", 150+i))+5000)
		checkExchange(fmt.Sprint("log ", i), e.HTTP, subjects.MaxLogBodyBytes, 3000, 11)
	}

	// An ordinary outcome comes through unchanged.
	small := workload.Failed("small-1", "run-1", subjects.StagePerform, 400)
	small.Log = []subjects.LogEntry{{Step: "PERFORM", Level: "ERROR", Message: "POST returned 400"}}
	before, _ := json.Marshal(small)
	processor.BoundOutcome(&small)
	if after, _ := json.Marshal(small); !bytes.Equal(before, after) {
		t.Errorf("an ordinary outcome changed:\n%s\n%s", before, after)
	}
}

// eventsOf admits o (encoded, at most 1 MiB when raw is true) and returns
// the events it raises on counter c, as stored.
func eventsOf(t *testing.T, o subjects.RunOutcome, c subjects.FailureCounter, disableAfter int) []store.StoredEvent {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var a subjects.RunOutcome
	if len(b) <= subjects.MaxOutcomeBytes {
		if a, err = processor.Admit(o.IntegrationID, b, o.FinishedAt); err != nil {
			t.Fatal(err)
		}
	} else {
		// Larger than a runner may send: bound it as Admit would.
		a = o
		processor.BoundOutcome(&a)
	}
	next, tr := processor.ApplyOutcome(c, &a, 1, policy.After(disableAfter).Top())
	stored, err := processor.StoredEvents(a.IntegrationID, processor.BuildEffects(&next, &a, tr))
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func TestEveryEventFitsInMaxEventBytes(t *testing.T) {
	manyHeaders := workload.Failed("hdrs-1", "run-1", subjects.StagePerform, 400)
	h := subjects.Headers{}
	for i := range 20_000 {
		h[fmt.Sprintf("X-Header-%05d", i)] = []string{strings.Repeat("h", 30)}
	}
	manyHeaders.Failure.HTTP.Request.Headers = h

	bigLog := workload.Failed("log-1", "run-1", subjects.StagePerform, 500)
	for i := range 50 {
		x := &subjects.HTTPExchange{
			Request:  &subjects.HTTPRequest{Method: "POST", URL: "https://x.example/" + strings.Repeat("u", 2000), Body: subjects.Body(strings.Repeat("b", 4000))},
			Response: &subjects.HTTPResponse{Status: 500, Body: subjects.Body(strings.Repeat("r", 4000)), Headers: subjects.Headers{"X-A": {strings.Repeat("a", 1000)}, "X-B": {strings.Repeat("b", 1000)}}},
		}
		bigLog.Log = append(bigLog.Log, subjects.LogEntry{Step: "PERFORM", Level: "ERROR", Message: fmt.Sprintf("attempt %d ", i) + strings.Repeat("l", 900), HTTP: x})
	}

	auth := hugeOutcome()
	auth.IntegrationID, auth.Failure.Stage = "auth-1", subjects.StageAuthenticate

	// A streak of 1,000 runs with 256-character ids disables on the last.
	longRunID := func(i int) string { return fmt.Sprintf("%04d-", i) + strings.Repeat("r", 251) }
	streak := subjects.FailureCounter{IntegrationID: "streak-1", ConsecutiveFailures: 999, DisableAfter: 1000, FailuresByKind: map[string]int{"integration.perform.error": 999}}
	for i := range 999 {
		streak.StreakRunIDs = append(streak.StreakRunIDs, longRunID(i))
	}
	last := hugeOutcome()
	last.IntegrationID, last.RunID = "streak-1", longRunID(999)

	cases := []struct {
		name         string
		o            subjects.RunOutcome
		c            subjects.FailureCounter
		disableAfter int
		events       int
	}{
		{"1 MiB of headers", manyHeaders, subjects.FailureCounter{}, 20, 1},
		{"50 log entries with exchanges, under 1 MiB", bigLog, subjects.FailureCounter{}, 20, 1},
		{"everything long, perform", hugeOutcome(), subjects.FailureCounter{}, 20, 1},
		{"everything long, authentication", auth, subjects.FailureCounter{}, 20, 1},
		{"a disabling failure with 1,000 long streak run ids", last, streak, 1000, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stored := eventsOf(t, c.o, c.c, c.disableAfter)
			if len(stored) != c.events {
				t.Fatalf("%d events, want %d", len(stored), c.events)
			}
			for _, ev := range stored {
				if len(ev.CloudEvent) > subjects.MaxEventBytes {
					t.Errorf("%s: %d bytes, over %d", ev.Kind, len(ev.CloudEvent), subjects.MaxEventBytes)
				}
				var ce struct {
					ID   string             `json:"id"`
					Data subjects.EventData `json:"data"`
				}
				if err := json.Unmarshal(ev.CloudEvent, &ce); err != nil {
					t.Fatalf("%s: %v", ev.Kind, err)
				}
				d := ce.Data
				if ce.ID != ev.ID || d.Message == "" || d.FollowUp.Action == "" || d.FollowUp.IntegrationID != c.o.IntegrationID || d.RunID != c.o.RunID {
					t.Errorf("%s: id %s message %.80q follow-up %+v", ev.Kind, ce.ID, d.Message, d.FollowUp)
				}
				if ev.Kind == subjects.KindDisabled {
					if len(d.StreakRunIDs) == 0 || d.StreakRunIDs[0] != longRunID(0) || d.ConsecutiveFailures != 1000 {
						t.Errorf("disabled event: %d streak run ids from %.10q, %d failures", len(d.StreakRunIDs), d.StreakRunIDs, d.ConsecutiveFailures)
					}
				} else if d.Error == "" {
					t.Errorf("%s: no error", ev.Kind)
				}
				t.Logf("%s: %d bytes, %d log entries, http %t", ev.Kind, len(ev.CloudEvent), len(d.Log), d.HTTP != nil)
			}
			// A replay gives the same bytes.
			again := eventsOf(t, c.o, c.c, c.disableAfter)
			for i := range stored {
				if !bytes.Equal(stored[i].CloudEvent, again[i].CloudEvent) {
					t.Errorf("%s: a replay encoded different bytes", stored[i].Kind)
				}
			}
		})
	}
}

func TestFitEventDataCutsLeastNeededFirst(t *testing.T) {
	var d subjects.EventData
	d.Message, d.FollowUp = "Salesforce returned HTTP 500. Next: re-run it.", subjects.FollowUp{Action: subjects.FollowUpGoToIntegrationRun, IntegrationID: "i", RunID: "r"}
	d.Error = strings.Repeat("e", 5000)
	d.HTTP = &subjects.HTTPExchange{Response: &subjects.HTTPResponse{Status: 500, Body: subjects.Body(strings.Repeat("r", 8000))}}
	for i := range 50 {
		d.Log = append(d.Log, subjects.LogEntry{Message: fmt.Sprintf("line %02d %s", i, strings.Repeat("l", 900))})
	}
	whole, _ := json.Marshal(d)
	orig := d.Log[0].Message

	// 10,000 bytes less: only old log lines go.
	b, err := processor.FitEventData(d, len(whole)-10_000)
	if err != nil {
		t.Fatal(err)
	}
	var got subjects.EventData
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(b) > len(whole)-10_000 || len(got.Log) >= 50 || got.Log[len(got.Log)-1].Message != d.Log[49].Message ||
		got.Error != d.Error || string(got.HTTP.Response.Body) != string(d.HTTP.Response.Body) {
		t.Errorf("fit to %d: %d bytes, %d log entries, error %d bytes, body %d bytes", len(whole)-10_000, len(b), len(got.Log), len(got.Error), len(got.HTTP.Response.Body))
	}
	if d.Log[0].Message != orig || len(d.Log) != 50 {
		t.Error("FitEventData changed its argument")
	}

	// 2,000 bytes: the log goes, the error and the exchange are cut.
	b, _ = processor.FitEventData(d, 2000)
	got = subjects.EventData{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(b) > 2000 || got.Message != d.Message || got.FollowUp != d.FollowUp || got.Log != nil || got.HTTP == nil ||
		!strings.HasSuffix(got.Error, " … [truncated: 5000 bytes in all]") || !strings.HasSuffix(string(got.HTTP.Response.Body), " … [truncated: 8000 bytes in all]") {
		t.Errorf("fit to 2000: %d bytes: %s", len(b), b)
	}
	// 1,500 bytes: the exchange goes too; message and follow-up stay.
	b, _ = processor.FitEventData(d, 1500)
	got = subjects.EventData{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(b) > 1500 || got.Message != d.Message || got.FollowUp != d.FollowUp || got.HTTP != nil || got.Error == "" {
		t.Errorf("fit to 1500: %d bytes: %s", len(b), b)
	}
}

func TestFitOutcomeCutsLeastNeededFirst(t *testing.T) {
	o := hugeOutcome()
	processor.BoundOutcome(&o)
	whole, _ := json.Marshal(o)
	if got, cut := processor.FitOutcome(o, len(whole)); cut || got.Failure != o.Failure {
		t.Fatal("an outcome within the limit was changed")
	}
	before := string(whole)
	for _, limit := range []int{len(whole) / 2, 64 << 10, 8 << 10} {
		got, cut := processor.FitOutcome(o, limit)
		b, _ := json.Marshal(got)
		if !cut || len(b) > limit {
			t.Errorf("limit %d: %d bytes, cut %v", limit, len(b), cut)
		}
		if got.RunID != o.RunID || got.IntegrationID != o.IntegrationID || got.Status != o.Status || got.Failure == nil || got.Failure.Stage != o.Failure.Stage || !got.FinishedAt.Equal(o.FinishedAt) {
			t.Errorf("limit %d: ids, status, stage or time lost", limit)
		}
		// The oldest log entries go first: what is left is the newest.
		if n := len(got.Log); n > 0 && got.Log[n-1].Message != o.Log[len(o.Log)-1].Message {
			t.Errorf("limit %d: the newest log entry was not kept", limit)
		}
		t.Logf("limit %d (whole %d): %d bytes, %d log entries, exchange %v", limit, len(whole), len(b), len(got.Log), got.Failure.HTTP != nil)
	}
	if after, _ := json.Marshal(o); string(after) != before {
		t.Error("the outcome given was changed")
	}
}
