package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

func TestDecodeIsStrict(t *testing.T) {
	cases := []struct {
		body string
		want string // "" when accepted
	}{
		{`{"pageSize": 5, "eventName": "integration.perform.error"}`, ""},
		{``, ""},
		{`{"PAGESIZE": 5}`, `unknown field "PAGESIZE" (field names are case-sensitive)`},
		{`{"PageSize": 5}`, `unknown field "PageSize"`},
		{`{"pagesize": 5}`, `unknown field "pagesize"`},
		{`{"includeActionned": true}`, `unknown field "includeActionned"`},
		{`{"pageSize": 5, "pageSize": 6}`, `field "pageSize" is given twice`},
		{`{"eventName": "a", "eventName": "a"}`, `field "eventName" is given twice`},
		{`{"pageSize": "5"}`, "field pageSize must be JSON for a Go int"},
		{`{"pageSize": 1.5}`, "field pageSize must be JSON for a Go int"},
		{`{"pageSize": `, "not valid JSON"},
		{`{} {}`, "not valid JSON"},
		{`[]`, "not valid JSON"},
	}
	for _, c := range cases {
		var req listRequest
		err := decode([]byte(c.body), &req)
		var ae *Error
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.body, err)
		case c.want != "" && (!errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Message, c.want)):
			t.Errorf("%s: got %v, want a 400 containing %q", c.body, err, c.want)
		}
	}
	// Every endpoint's request decodes the same way.
	for _, v := range []any{&subjects.GetEventRequest{}, &subjects.ActionEventsRequest{}, &subjects.IntegrationRequest{}, &subjects.EnableIntegrationRequest{}} {
		if err := decode([]byte(`{"ID": "x"}`), v); err == nil || !strings.Contains(err.Error(), `unknown field "ID"`) {
			t.Errorf("%T: %v", v, err)
		}
	}
	var act subjects.ActionEventsRequest
	if err := decode([]byte(`{"ids": ["a"], "actionedBy": "x", "actionedBy": "y"}`), &act); err == nil || !strings.Contains(err.Error(), `"actionedBy" is given twice`) {
		t.Errorf("duplicate actionedBy: %v", err)
	}
}

func TestListPageSizeIsOneToAHundred(t *testing.T) {
	n := &NATS{svc: &Service{}} // each of these is refused before the store is read
	for _, body := range []string{`{"pageSize": 0}`, `{"pageSize": -1}`, `{"pageSize": 101}`} {
		_, err := n.listEvents(context.Background(), []byte(body), 1<<20)
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Message, "must be 1 to 100") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestActionReplyFitsTheBudget(t *testing.T) {
	now := time.Now()
	var resp subjects.ActionEventsResponse
	for i := range 100 {
		resp.AlreadyActioned = append(resp.AlreadyActioned, subjects.EventRecord{ID: fmt.Sprintf("%036d", i), EventName: "integration.perform.error", IntegrationID: "i", DtActioned: &now, ActionedBy: "ops", Note: strings.Repeat("n", 4096)})
	}
	got := fitActionReply(resp, 64<<10)
	b, _ := json.Marshal(got)
	if len(b) > 64<<10 || len(got.AlreadyActioned) != 100 || !strings.HasSuffix(got.AlreadyActioned[0].Note, "[truncated: 4096 bytes in all]") {
		t.Errorf("%d bytes, %d records, note %q", len(b), len(got.AlreadyActioned), got.AlreadyActioned[0].Note)
	}
}

func TestFitRecordMeasuresTheEscapedNote(t *testing.T) {
	now := time.Now()
	d := subjects.EventData{EventName: "integration.perform.error", IntegrationID: "i", RunID: "r", Message: "m. Next: re-run.", Error: strings.Repeat("e", 8000), LastErrorMessage: strings.Repeat("x", 4000)}
	for i := range 50 {
		d.Log = append(d.Log, subjects.LogEntry{Level: "INFO", Message: fmt.Sprint(i, strings.Repeat("l", 1000))})
	}
	data, _ := json.Marshal(d)
	if len(data) < 60<<10 || len(data) > subjects.MaxEventBytes {
		t.Fatalf("data of %d bytes, want about 64 KiB", len(data))
	}
	note := strings.Repeat("<", subjects.MaxNoteBytes)
	whole, _ := json.Marshal(subjects.EventRecord{ID: "id", EventName: d.EventName, IntegrationID: "i", DtActioned: &now, ActionedBy: strings.Repeat("&", 256), Note: note, Data: data})
	for _, room := range []int{76 << 10, len(whole) - 1, len(whole), 1 << 20} {
		rec := subjects.EventRecord{ID: "id", EventName: d.EventName, IntegrationID: "i", DtActioned: &now, ActionedBy: strings.Repeat("&", 256), Note: note, Data: data}
		fitRecord(&rec, room)
		b, _ := json.Marshal(rec)
		if len(b) > room || rec.Note != note || (room >= len(whole)) != (string(rec.Data) == string(data)) {
			t.Errorf("room %d: record of %d bytes, data %d bytes, note %d bytes", room, len(b), len(rec.Data), len(rec.Note))
		}
	}
}

func TestCounterReplyFitsTheBudget(t *testing.T) {
	// 100 run ids of 256 '<' and a lastError of 8 KiB of them: 200 KB
	// encoded.
	c := subjects.FailureCounter{IntegrationID: "i", ConsecutiveFailures: 150, DisableAfter: 150, LastError: strings.Repeat("<", subjects.MaxErrorBytes)}
	for i := range subjects.MaxStreakRunIDs {
		c.StreakRunIDs = append(c.StreakRunIDs, fmt.Sprintf("%03d", i)+strings.Repeat("<", 253))
	}
	c.LastRunID = c.StreakRunIDs[99]
	whole, _ := json.Marshal(c)
	for _, budget := range []int{len(whole), 60 << 10, 4 << 10} {
		got := fitCounterReply(c, budget)
		b, _ := json.Marshal(got)
		if len(b) > budget || got.ConsecutiveFailures != 150 || len(got.StreakRunIDs) == 0 || got.StreakRunIDs[0] != c.StreakRunIDs[0] {
			t.Errorf("budget %d: %d bytes, %d run ids", budget, len(b), len(got.StreakRunIDs))
		}
		if (budget == len(whole)) != (len(got.StreakRunIDs) == 100 && got.LastError == c.LastError) {
			t.Errorf("budget %d: cut %d run ids, lastError to %d bytes", budget, 100-len(got.StreakRunIDs), len(got.LastError))
		}
		t.Logf("budget %d (whole %d): %d bytes, %d run ids", budget, len(whole), len(b), len(got.StreakRunIDs))
	}
	if len(c.StreakRunIDs) != 100 || len(c.LastError) != subjects.MaxErrorBytes {
		t.Error("the counter given was changed")
	}
}

func TestFitPageEndsEarlyWithATokenAfterTheLastReturned(t *testing.T) {
	items := []string{strings.Repeat("a", 3000), strings.Repeat("b", 3000), strings.Repeat("c", 3000)}
	after := func(s string) string { return "after-" + s[:1] }
	if got, next := fitPage(slices.Clone(items), "store", 1<<20, nil, after); len(got) != 3 || next != "store" {
		t.Errorf("everything fits: %d items, next %q", len(got), next)
	}
	if got, next := fitPage(slices.Clone(items), "store", pageOverhead+7000, nil, after); len(got) != 2 || next != "after-b" {
		t.Errorf("two fit: %d items, next %q", len(got), next)
	}
	// One always goes, so a listing never stalls; fit cuts it to the room.
	cut := func(s string, room int) string { return s[:min(len(s), room-2)] }
	if got, next := fitPage(slices.Clone(items), "", pageOverhead+100, cut, after); len(got) != 1 || len(got[0]) != 98 || next != "after-a" {
		t.Errorf("one fits: %d items, next %q", len(got), next)
	}
}
