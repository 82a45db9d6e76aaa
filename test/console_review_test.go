package test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// TestConsoleActionedBannerTakesOnlyACount: the banner after actioning
// shows the count the redirect wrote, and nothing a link made up.
func TestConsoleActionedBannerTakesOnlyACount(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	for q, want := range map[string]string{
		"2":                                 "Marked 2 events as actioned.",
		"1":                                 "Marked 1 event as actioned.",
		"all of your invoices; call +1 555": "",
		"2 events. Your session expired":    "",
		"-1":                                "",
		"1e9":                               "",
	} {
		code, body := consoleGet(t, s, "/?"+url.Values{"actioned": {q}}.Encode())
		if code != 200 {
			t.Fatalf("actioned=%q: %d", q, code)
		}
		switch {
		case want != "" && !strings.Contains(body, `class="flash" role="status">`+want+`</p>`):
			t.Errorf("actioned=%q: no banner %q", q, want)
		case want == "" && (strings.Contains(body, "Marked") || strings.Contains(body, `class="flash"`)):
			t.Errorf("actioned=%q: a banner shows it", q)
		}
	}
}

// TestConsoleChartReadsPastALateEvent: the chart reads the listing in the
// order events were stored, so an outcome resent with a finishedAt 30
// hours back, stored after the others, is left out of the last 24 hours
// without ending the count of the rest.
func TestConsoleChartReadsPastALateEvent(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	for i := range 5 {
		Publish(t, nc, recent(workload.Failed(fmt.Sprintf("c-chart-%d", i), "r1", subjects.StagePerform, 500), time.Duration(i)*time.Hour))
	}
	Publish(t, nc, recent(workload.Failed("c-late", "old-1", subjects.StageValidate, 0), 30*time.Hour))
	byName := eventsByName(t, s, 6)
	late := byName[subjects.KindValidation.EventName()][0]
	if late.ReceivedAt.IsZero() || time.Since(late.ReceivedAt) > time.Minute || time.Since(late.EventTime) < 29*time.Hour {
		t.Fatalf("the late event: eventTime %s, receivedAt %s", late.EventTime, late.ReceivedAt)
	}
	_, body := consoleGet(t, s, "/")
	if want := "over the last 24 hours: 5 in all"; !strings.Contains(body, want) {
		i := strings.Index(body, "Events per hour by type over")
		t.Errorf("chart: want %q, page has %q", want, body[max(i, 0):min(max(i, 0)+90, len(body))])
	}
	// The 7 days hold it.
	_, body = consoleGet(t, s, "/?range=7d")
	if want := "over the last 7 days: 6 in all"; !strings.Contains(body, want) {
		t.Errorf("7-day chart: want %q", want)
	}
}
