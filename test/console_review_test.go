package test

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
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

// listedIDs lists the ids of the not-actioned events, newest first, once
// there are want of them.
func listedIDs(t *testing.T, s *Serve, want int) []string {
	t.Helper()
	var page subjects.ListEventsResponse
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if code, msg := httpCall(t, s, "GET", "/api/events?pageSize=100", "", nil, &page); code != 200 {
			return fmt.Errorf("%d %s", code, msg)
		}
		if len(page.Data) != want {
			return fmt.Errorf("%d events, want %d", len(page.Data), want)
		}
		return nil
	})
	ids := make([]string, len(page.Data))
	for i, rec := range page.Data {
		ids[i] = rec.ID
	}
	return ids
}

// pageIDs is the ids of the events page's rows, top to bottom.
const pageIDsJS = `Array.from(document.querySelectorAll('#event-rows tr[data-event-id]')).map(tr => tr.dataset.eventId)`

// TestConsoleLiveRowsAreOnlyNewerOnes: when an event of the first page is
// actioned elsewhere, the 51st moves up into the newest page; polling must
// not put it on top as new. Only the event published after is new. More
// than a page arriving between two polls is said, with a reload link.
func TestConsoleLiveRowsAreOnlyNewerOnes(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	for i := range 51 {
		Publish(t, nc, workload.Failed(fmt.Sprintf("c-old-%02d", i), "r1", subjects.StageValidate, 0))
	}
	ids := listedIDs(t, s, 51)
	fiftyFirst := ids[50]

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(`#event-rows tr[data-event-id]`)))
	if shown := Eval[[]string](b, pageIDsJS); !slices.Equal(shown, ids[:50]) {
		t.Fatalf("the page shows %d rows, not the newest 50", len(shown))
	}
	if code, msg := httpCall(t, s, "POST", "/api/events/actioned", `{"ids":["`+ids[10]+`"]}`, nil, nil); code != 200 {
		t.Fatalf("action: %d %s", code, msg)
	}
	// A poll asked after the action and was answered: the browser holds
	// each poll until let go, and the next is sent only once one is done.
	polls := holdPolls(t, b)
	polls.release(polls.next())
	second := polls.next()
	Publish(t, nc, workload.Failed("c-new", "r1", subjects.StageValidate, 0))
	newID := listedIDs(t, s, 51)[0]
	polls.release(second)
	polls.stop()
	waitFor(t, b, "the new row", `!!document.querySelector('`+sel(newID)+`')`)
	shown := Eval[[]string](b, pageIDsJS)
	if shown[0] != newID || slices.Contains(shown, fiftyFirst) || len(shown) != 51 {
		t.Errorf("after one actioned elsewhere and one new: first %s (new %s), the 51st shown %t, %d rows",
			shown[0], newID, slices.Contains(shown, fiftyFirst), len(shown))
	}
	if live := b.Text(`#live`); live != "1 new event" {
		t.Errorf("live %q", live)
	}

	// More than a page between two polls: one is held while 51 arrive.
	polls = holdPolls(t, b)
	held := polls.next()
	for i := range 51 {
		Publish(t, nc, workload.Failed(fmt.Sprintf("c-burst-%02d", i), "r1", subjects.StageValidate, 0))
	}
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		var resp subjects.ListEventsResponse
		if code, msg := httpCall(t, s, "GET", "/api/events?pageSize=60", "", nil, &resp); code != 200 {
			return fmt.Errorf("%d %s", code, msg)
		}
		n := 0
		for _, rec := range resp.Data {
			if strings.HasPrefix(rec.IntegrationID, "c-burst-") {
				n++
			}
		}
		if n != 51 {
			return fmt.Errorf("%d of the burst stored", n)
		}
		return nil
	})
	polls.release(held)
	polls.stop()
	waitFor(t, b, "the notice", `!!document.querySelector('#live a')`)
	if live, href := b.Text(`#live`), Eval[string](b, `document.querySelector('#live a').getAttribute('href')`); !strings.Contains(live, "More than a page of new events arrived") || href != "/" {
		t.Errorf("notice %q, link %q", live, href)
	}
	if n := len(Eval[[]string](b, pageIDsJS)); n != 51 {
		t.Errorf("%d rows after the burst: the page took some in", n)
	}
}

// pollHold holds the events page's polls in the browser: each is sent to
// serve only when released.
type pollHold struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc
	pull   func() (fetch.EventRequestPaused, error, bool)
	end    func()
}

func holdPolls(t *testing.T, b *Browser) *pollHold {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), BrowserTimeout)
	next, stop := iter.Pull2(chromedp.Events(ctx, fetch.RequestPaused))
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/events/rows*"}}}); err != nil {
		t.Fatal(err)
	}
	return &pollHold{t: t, ctx: ctx, cancel: cancel, pull: next, end: stop}
}

// next waits for the next poll and returns it, held.
func (h *pollHold) next() fetch.RequestID {
	h.t.Helper()
	ev, err, ok := h.pull()
	if err != nil || !ok {
		h.t.Fatalf("no poll: %v", err)
	}
	return ev.RequestID
}

// release sends a held poll on.
func (h *pollHold) release(id fetch.RequestID) {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
		h.t.Fatal(err)
	}
}

// stop holds no more polls.
func (h *pollHold) stop() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		h.t.Fatal(err)
	}
	h.end()
	h.cancel()
}

// TestConsoleSaysWhyTheListIsEmptyAndOffersNoBoxForActionedRows: the empty
// list says which case it is; the pages have an icon; the integration's
// breadcrumb leads to the integrations; an actioned row keeps its
// data-event-id and a checkbox, which cannot be selected.
func TestConsoleSaysWhyTheListIsEmptyAndOffersNoBoxForActionedRows(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	empty := func(path string) string {
		t.Helper()
		_, body := consoleGet(t, s, path)
		_, rest, ok := strings.Cut(body, `id="no-events"><td colspan="7">`)
		if !ok {
			return ""
		}
		text, _, _ := strings.Cut(rest, "</td>")
		return text
	}
	for path, want := range map[string]string{
		"/":                                     "No events yet.",
		"/?includeActioned=true":                "No events yet.",
		"/?eventName=integration.perform.error": "No events match these filters.",
	} {
		if got := empty(path); got != want {
			t.Errorf("GET %s on an empty serve: %q, want %q", path, got, want)
		}
	}
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("c-done", "r1", subjects.StageValidate, 0))
	Publish(t, nc, workload.Failed("c-open", "r1", subjects.StagePerform, 500))
	byName := eventsByName(t, s, 2)
	done, open := byName[subjects.KindValidation.EventName()][0].ID, byName[subjects.KindPerform.EventName()][0].ID
	if code, msg := httpCall(t, s, "POST", "/api/events/actioned", `{"ids":["`+done+`"]}`, nil, nil); code != 200 {
		t.Fatalf("action: %d %s", code, msg)
	}
	for path, want := range map[string]string{
		"/?eventName=integration.validation.error":    "No events match these filters.",
		"/?integrationId=c-nope&includeActioned=true": "No events match these filters.",
	} {
		if got := empty(path); got != want {
			t.Errorf("GET %s: %q, want %q", path, got, want)
		}
	}
	if code, msg := httpCall(t, s, "POST", "/api/events/actioned", `{"ids":["`+open+`"]}`, nil, nil); code != 200 {
		t.Fatalf("action: %d %s", code, msg)
	}
	if got, want := empty("/"), "No events to action. Switch on “Include actioned events?” to see the ones already actioned."; got != want {
		t.Errorf("GET / with every event actioned: %q, want %q", got, want)
	}
	Publish(t, nc, workload.Failed("c-open", "r2", subjects.StagePerform, 500))
	open = listedIDs(t, s, 1)[0]

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/?includeActioned=true"), chromedp.WaitVisible(chromedp.CSS(sel(done))))
	type box struct {
		Box, Disabled, Named bool
	}
	boxes := Eval[map[string]box](b, `Object.fromEntries(Array.from(document.querySelectorAll('tr[data-event-id]')).map(tr => {
	  const b = tr.querySelector('input[type=checkbox]');
	  return [tr.dataset.eventId, {Box: !!b, Disabled: !!b && b.disabled, Named: !!b && b.name === 'id'}];
	}))`)
	if len(boxes) != 3 || boxes[done] != (box{true, true, false}) || boxes[open] != (box{true, false, true}) {
		t.Errorf("checkboxes: %+v", boxes)
	}
	b.Do(chromedp.Click(chromedp.CSS(`#select-all`)))
	if got := b.Text(`#selected-count`); got != "1 event selected" {
		t.Errorf("select all: %q", got)
	}
	if n := Eval[int](b, `document.querySelectorAll('tr.is-selected').length`); n != 1 {
		t.Errorf("%d rows marked selected", n)
	}
	icon := Eval[string](b, `document.querySelector('link[rel=icon]').href`)
	ok := BrowserRun(b, chromedp.Evaluate[string](`fetch(document.querySelector('link[rel=icon]').href).then(r => r.status + ' ' + r.headers.get('Content-Type'))`, chromedp.EvalAwaitPromise))
	if !strings.Contains(icon, "/static/favicon.svg") || ok != "200 image/svg+xml" {
		t.Errorf("icon %s: %s", icon, ok)
	}
	b.Do(chromedp.Navigate(s.HTTP+"/integrations/c-open"), chromedp.WaitVisible(chromedp.CSS(`.crumbs`)))
	if crumbs, href := b.Text(`.crumbs`), Eval[string](b, `document.querySelector('.crumbs a').getAttribute('href')`); crumbs != "Integrations › c-open" || href != "/integrations" {
		t.Errorf("breadcrumb %q -> %s", crumbs, href)
	}
}

// TestConsoleWorksWithoutJavaScript: with scripts off, Mark as actioned and
// Re-enable submit their forms, and a page asks the question the dialog
// would, with Yes.
func TestConsoleWorksWithoutJavaScript(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--disable-after", "1")
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("c-nojs", "r1", subjects.StageValidate, 0))
	WaitCounter(t, nc, "c-nojs", Streak(1, true))
	id := eventsByName(t, s, 2)[subjects.KindValidation.EventName()][0].ID

	b := StartBrowser(t)
	b.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(sel(id))))
	if Eval[bool](b, `document.querySelector('#confirm-actioned').open`) {
		t.Fatal("a dialog is open")
	}
	b.Do(chromedp.Click(chromedp.CSS(sel(id)+` input[type=checkbox]`)), chromedp.Click(chromedp.CSS(`#mark-actioned`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
	if q := b.Text(`h1`); q != "Mark 1 event as actioned?" {
		t.Errorf("question %q", q)
	}
	b.Do(chromedp.SendKeys(chromedp.CSS(`#confirm-text`), "fixed in the source"),
		chromedp.Click(chromedp.CSS(`#confirm-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if flash := b.Text(`.flash`); flash != "Marked 1 event as actioned." {
		t.Errorf("flash %q", flash)
	}
	if rec := eventRecord(t, s, id); rec.DtActioned == nil || rec.ActionedBy != "local" || rec.Note != "fixed in the source" {
		t.Errorf("event: %+v", rec)
	}

	b.Do(chromedp.Navigate(s.HTTP+"/integrations/c-nojs"), chromedp.WaitVisible(chromedp.CSS(`#integration-state`)))
	b.Do(chromedp.Click(chromedp.CSS(`[data-open-dialog="confirm-enable"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
	if q := b.Text(`h1`); q != "Re-enable c-nojs?" {
		t.Errorf("question %q", q)
	}
	b.Do(chromedp.Click(chromedp.CSS(`#confirm-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#integration-state`)))
	if st := b.Text(`#integration-state`); st != "Enabled" {
		t.Errorf("state %q", st)
	}
	WaitCounter(t, nc, "c-nojs", Streak(0, false))
}
