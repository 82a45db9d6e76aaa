package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// ViewportScreenshot saves what a screen of width×height shows of the
// page, as name.png in screenshotDir when that is set, and puts the
// viewport back to 1440×900. The README shows these: a screen, not the
// whole page, keeps them readable and small.
func (b *Browser) ViewportScreenshot(name string, width, height int64) {
	b.t.Helper()
	dir := screenshotDir(b.t)
	if dir == "" {
		return
	}
	b.Do(chromedp.EmulateViewport(width, height), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png := BrowserRun(b, chromedp.CaptureScreenshot())
	b.Do(chromedp.EmulateViewport(1440, 900))
	if len(png) > 300<<10 {
		b.t.Errorf("%s.png is %d KB: the README's images stay under 300 KB", name, len(png)>>10)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// demoGet decodes the JSON of GET path from the demo's HTTP API.
func demoGet(t *testing.T, d *Demo, path string, v any) {
	t.Helper()
	resp, err := http.Get(d.Console + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// pageExists reports whether the console serves path: the pages of issue 9
// come in steps, and a screen not built yet is left out, not failed.
func pageExists(t *testing.T, d *Demo, path string) bool {
	t.Helper()
	resp, err := http.Get(d.Console + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Logf("the console has no page %s yet: no screenshot of it", path)
		return false
	}
	return true
}

// TestDocsScreenshots opens the console of a running demo, the day it
// plays, in Chromium and checks the screens the README shows. With
// CONSOLE_SCREENSHOTS=docs it saves them into docs/ (from the module's
// root):
//
//	CONSOLE_SCREENSHOTS=docs go test ./test -run TestDocsScreenshots -count=1
func TestDocsScreenshots(t *testing.T) {
	d := StartDemo(t, "--pace", "2ms")
	d.WaitScriptDone(60 * time.Second)
	b := StartBrowser(t)

	// The events page: the day's events, newest first, and its chart.
	b.Do(chromedp.Navigate(d.Console+"/"), chromedp.WaitVisible(chromedp.CSS(`#event-rows tr[data-event-id]`)))
	names := Eval[[]string](b, `Array.from(new Set(Array.from(document.querySelectorAll('#event-rows tr[data-event-id]')).map(tr => tr.dataset.eventName)))`)
	for _, k := range []subjects.Kind{subjects.KindValidation, subjects.KindMissingAccountMapping, subjects.KindAuthentication, subjects.KindPerform, subjects.KindDisabled} {
		if !strings.Contains(strings.Join(names, " "), k.EventName()) {
			t.Errorf("no %s row on the events page: %v", k.EventName(), names)
		}
	}
	if hours := Eval[int](b, `new Set(Array.from(document.querySelectorAll('.chart svg rect[class^="k-"]')).map(r => r.getAttribute('x'))).size`); hours < 8 {
		t.Errorf("the chart has bars in %d hours; the demo's day should spread over more", hours)
	}
	if wide := Eval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth`); !wide {
		t.Error("the events page scrolls sideways at 1440 px")
	}
	b.ViewportScreenshot("events", 1440, 900)
	b.Do(chromedp.EmulateViewport(390, 844))
	if fits := Eval[bool](b, `document.documentElement.scrollWidth <= 390`); !fits {
		t.Errorf("the events page is %d px wide on a 390 px screen", Eval[int](b, `document.documentElement.scrollWidth`))
	}
	b.ViewportScreenshot("events-narrow", 390, 844)

	// The integration the demo leaves disabled.
	b.Do(chromedp.Navigate(d.Console+"/integrations/"+workload.DayXero), chromedp.WaitVisible(chromedp.CSS(`#integration-state`)))
	if st, streak := b.Text(`#integration-state`), b.Text(`#streak`); st != "Disabled" || streak != "20 / 20" {
		t.Errorf("%s: %q %q, want Disabled 20 / 20", workload.DayXero, st, streak)
	}
	if why := b.Text(`#disabled-why`); !strings.Contains(why, "disabled after 20 successive failed runs") {
		t.Errorf("why: %q", why)
	}
	// The streak's errors are its runs' own kinds, not the warnings or the
	// disable that share their run ids.
	if badges := Eval[[]string](b, `Array.from(document.querySelectorAll('ol.streak-runs li .badge')).map(e => e.textContent.trim())`); len(badges) != 20 || slices.Contains(badges, "Disable warning") {
		t.Errorf("the streak's errors are %v, want 20 error kinds", badges)
	}
	b.ViewportScreenshot("integration-disabled", 1440, 900)

	// The run of Salesforce's perform failure, its request expanded: the
	// bearer token and the access token in the body redacted.
	var page subjects.ListEventsResponse
	demoGet(t, d, "/api/events?includeActioned=true&eventName=integration.perform.error&integrationId="+workload.DaySalesforce, &page)
	if len(page.Data) != 1 {
		t.Fatalf("%d Salesforce perform events, want 1", len(page.Data))
	}
	var perf subjects.EventData
	if err := json.Unmarshal(page.Data[0].Data, &perf); err != nil {
		t.Fatal(err)
	}
	if run := "/runs/" + workload.DaySalesforce + "/" + perf.RunID; pageExists(t, d, run) {
		b.Do(chromedp.Navigate(d.Console+run), chromedp.WaitVisible(chromedp.CSS(`details summary`)))
		opened := Eval[bool](b, `(() => {
  const d = Array.from(document.querySelectorAll('details')).find(d => d.querySelector('summary').innerText.trim() === 'HTTP REQUEST');
  if (!d) return false;
  d.open = true;
  return true;
})()`)
		if !opened {
			t.Fatal("the run page has no HTTP REQUEST section")
		}
		text := b.Text(`main`)
		if !strings.Contains(text, "[REDACTED]") || demoSecret.MatchString(text) {
			t.Errorf("the run page does not show the request redacted:\n%s", text)
		}
		b.ViewportScreenshot("run", 1440, 900)
	}

	// The mapping form, opened from a missing mapping's follow-up.
	var maps subjects.ListEventsResponse
	demoGet(t, d, "/api/events?eventName=integration.missingaccountmapping.error&integrationId="+workload.DayStripe, &maps)
	if len(maps.Data) != 1 {
		t.Fatalf("%d Stripe missing mapping events, want 1", len(maps.Data))
	}
	b.Do(chromedp.Navigate(d.Console+"/"), chromedp.WaitVisible(chromedp.CSS(sel(maps.Data[0].ID))))
	href := Eval[string](b, fmt.Sprintf(`document.querySelector('[data-event-id="%s"] .c-follow a').getAttribute('href')`, maps.Data[0].ID))
	if u, err := url.Parse(href); err == nil && pageExists(t, d, u.Path) {
		b.Do(chromedp.Navigate(d.Console+href), chromedp.WaitVisible(chromedp.CSS(`input[name=m3terId]`)))
		if v := Eval[string](b, `document.querySelector('input[name=m3terId]').value`); v != "acct-7781" {
			t.Errorf("the mapping form opens with m3terId %q, want acct-7781", v)
		}
		b.ViewportScreenshot("mapping-form", 1440, 900)
	}
}
