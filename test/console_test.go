package test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// consoleRow is an event row as the browser shows it.
type consoleRow struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Follow   string `json:"follow"`
	Href     string `json:"href"`
	Status   string `json:"status"`
	Text     string `json:"text"`
	Checkbox bool   `json:"checkbox"`
	Label    string `json:"label"`
}

// rowsJS reads every event row of the page.
const rowsJS = `Array.from(document.querySelectorAll('tr[data-event-id]')).map(tr => {
  const box = tr.querySelector('input[type=checkbox]');
  const a = tr.querySelector('.c-follow a');
  return {id: tr.dataset.eventId, name: tr.querySelector('.c-name').innerText.trim(),
    follow: a ? a.innerText.trim() : '', href: a ? a.getAttribute('href') : '',
    status: tr.querySelector('.c-status').innerText.trim(), text: tr.innerText,
    checkbox: !!box, label: box && box.labels.length ? box.labels[0].textContent : ''};
})`

func consoleRows(b *Browser) map[string]consoleRow {
	out := map[string]consoleRow{}
	for _, r := range Eval[[]consoleRow](b, rowsJS) {
		out[r.ID] = r
	}
	return out
}

// eventsByName lists every event through the HTTP API, by event name.
func eventsByName(t *testing.T, s *Serve, want int) map[string][]subjects.EventRecord {
	t.Helper()
	var page subjects.ListEventsResponse
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if code, msg := httpCall(t, s, "GET", "/api/events?includeActioned=true&pageSize=100", "", nil, &page); code != 200 {
			return fmt.Errorf("%d %s", code, msg)
		}
		if len(page.Data) != want {
			return fmt.Errorf("%d events, want %d", len(page.Data), want)
		}
		return nil
	})
	out := map[string][]subjects.EventRecord{}
	for _, rec := range page.Data {
		out[rec.EventName] = append(out[rec.EventName], rec)
	}
	return out
}

func eventRecord(t *testing.T, s *Serve, id string) subjects.EventRecord {
	t.Helper()
	var rec subjects.EventRecord
	if code, msg := httpCall(t, s, "GET", "/api/events/"+id, "", nil, &rec); code != 200 {
		t.Fatalf("GET /api/events/%s: %d %s", id, code, msg)
	}
	return rec
}

// waitFor polls the page until expr is true.
func waitFor(t *testing.T, b *Browser, what, expr string) {
	t.Helper()
	CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		ok, err := TryEval[bool](b, expr)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("not yet: %s", what)
		}
		return nil
	})
}

// recent has o finish ago before now, so the chart counts it.
func recent(o subjects.RunOutcome, ago time.Duration) subjects.RunOutcome {
	o.FinishedAt = time.Now().Add(-ago).UTC()
	return o
}

func sel(id string) string { return `[data-event-id="` + id + `"]` }

func TestConsoleEventsFollowUpsActionedLiveAndReenable(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--disable-after", "3")
	nc := Connect(t, s.URL)
	Publish(t, nc, recent(workload.Failed("c-val", "v1", subjects.StageValidate, 0), 5*time.Hour))
	Publish(t, nc, recent(workload.Failed("c-map", "m1", subjects.StageMap, 0), 3*time.Hour))
	Publish(t, nc, recent(workload.Failed("c-perf", "p1", subjects.StagePerform, 400), time.Hour))
	for i := range 3 {
		Publish(t, nc, recent(workload.Failed("c-auth", fmt.Sprintf("a%d", i), subjects.StageAuthenticate, 0), 0))
	}
	WaitCounter(t, nc, "c-auth", Streak(3, true))
	// Seven errors and a disable, and the warning the second
	// authentication failure raised (the default warnAt's 50% of 3).
	byName := eventsByName(t, s, 8)
	id := func(k subjects.Kind) string { return byName[k.EventName()][0].ID }

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(`#event-rows tr[data-event-id]`)))
	if got := b.Text("h1"); got != "Integration events" {
		t.Errorf("h1 %q", got)
	}
	header := Eval[[]string](b, `Array.from(document.querySelectorAll('table.events thead th')).map(th => th.innerText.trim())`)
	for _, col := range []string{"NAME", "DATE", "MESSAGE", "INTEGRATION", "STATUS"} {
		if !slices.Contains(header, col) {
			t.Errorf("no column %s in %q", col, header)
		}
	}
	rows := consoleRows(b)
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8: %v", len(rows), rows)
	}
	mapping := url.Values{"m3terEntity": {"Account"}, "m3terId": {"acct-m1"}, "externalSystem": {"Salesforce"},
		"externalTable": {"Account"}, "integrationConfigId": {"c-map"}}
	for _, c := range []struct {
		kind   subjects.Kind
		badge  string
		follow string
		href   string
	}{
		{subjects.KindValidation, "Validation", "Go to integration run", "/runs/c-val/v1"},
		{subjects.KindPerform, "Perform", "Go to integration run", "/runs/c-perf/p1"},
		{subjects.KindMissingAccountMapping, "Missing account mapping", "Create external mapping", "/external-mappings/new?" + mapping.Encode()},
		{subjects.KindAuthentication, "Authentication", "Go to integration", "/integrations/c-auth"},
		{subjects.KindDisabled, "Disabled", "Go to integration", "/integrations/c-auth"},
		{subjects.KindWarning, "Disable warning", "Go to integration", "/integrations/c-auth"},
	} {
		for _, rec := range byName[c.kind.EventName()] {
			r, ok := rows[rec.ID]
			switch {
			case !ok:
				t.Errorf("%s %s: no row", c.kind, rec.ID)
			case r.Name != c.badge || r.Follow != c.follow || r.Status != "NOT ACTIONED" || !r.Checkbox || r.Label == "":
				t.Errorf("%s row: %+v", c.kind, r)
			case r.Href != c.href:
				got, _ := url.Parse(r.Href)
				want, _ := url.Parse(c.href)
				if got == nil || got.Path != want.Path || got.Query().Encode() != want.Query().Encode() {
					t.Errorf("%s follow-up href %q, want %q", c.kind, r.Href, c.href)
				}
			}
		}
	}
	if rem := b.Text(sel(id(subjects.KindPerform)) + " .remedy"); !strings.Contains(strings.ToLower(rem), "remedy") {
		t.Errorf("perform remedy not set apart: %q", rem)
	}
	if n := Eval[int](b, `document.querySelectorAll('.chart svg rect.k-authentication').length`); n == 0 {
		t.Error("the chart draws no authentication bar")
	}
	b.Screenshot("console-events", 1440, 900)
	b.Screenshot("console-events-narrow", 390, 844)

	// A new event appears without a reload.
	b.Do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = 1`))
	Publish(t, nc, recent(workload.Failed("c-live", "l1", subjects.StageValidate, 0), 0))
	waitFor(t, b, "the c-live row", `Array.from(document.querySelectorAll('#event-rows tr[data-event-id]')).some(tr => tr.innerText.includes('c-live'))`)
	if !Eval[bool](b, `window.__sameDocument === 1`) {
		t.Error("the page reloaded to show the new event")
	}

	// Two rows marked as actioned through their checkboxes and Yes.
	picked := []string{id(subjects.KindValidation), id(subjects.KindPerform)}
	for _, p := range picked {
		b.Do(chromedp.Click(chromedp.CSS(sel(p) + ` input[type=checkbox]`)))
	}
	b.Do(chromedp.Click(chromedp.CSS(`#mark-actioned`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-actioned`)))
	if yes := b.Text(`#confirm-actioned button[type=submit]`); yes != "Yes" {
		t.Fatalf("confirmation button %q", yes)
	}
	b.Screenshot("console-confirm", 1440, 900)
	b.Do(chromedp.Click(chromedp.CSS(`#confirm-actioned button[type=submit]`)))
	waitFor(t, b, "the actioned rows gone", `!!document.querySelector('.flash') && !document.querySelector('`+sel(picked[0])+`') && !document.querySelector('`+sel(picked[1])+`')`)
	if n := len(consoleRows(b)); n != 7 {
		t.Errorf("%d rows after actioning 2 of 9", n)
	}
	for _, p := range picked {
		if rec := eventRecord(t, s, p); rec.DtActioned == nil || rec.ActionedBy != "local" {
			t.Errorf("event %s: dtActioned %v by %q, want actioned by local", p, rec.DtActioned, rec.ActionedBy)
		}
	}

	// The switch shows them ACTIONED, with when and by whom.
	b.Do(chromedp.Click(chromedp.CSS(`#f-actioned`)))
	waitFor(t, b, "the actioned rows back", `!!document.querySelector('`+sel(picked[0])+`') && !!document.querySelector('`+sel(picked[1])+`')`)
	rows = consoleRows(b)
	for _, p := range picked {
		if st := rows[p].Status; !strings.HasPrefix(st, "ACTIONED") || !strings.Contains(st, "by local") || !strings.Contains(st, "UTC") {
			t.Errorf("actioned row %s status %q", p, st)
		}
	}
	if !Eval[bool](b, `document.querySelector('label[for=f-actioned]').innerText.trim() === 'Include actioned events?' && document.querySelector('#f-actioned').checked`) {
		t.Error("the switch is not labelled Include actioned events? or not on")
	}
	b.Screenshot("console-events-actioned", 1440, 900)

	// The disabled integration, re-enabled.
	b.Do(chromedp.Navigate(s.HTTP+"/integrations/c-auth"), chromedp.WaitVisible(chromedp.CSS(`#integration-state`)))
	if st, streak := b.Text(`#integration-state`), b.Text(`#streak`); st != "Disabled" || streak != "3 / 3" {
		t.Fatalf("integration page: %q %q", st, streak)
	}
	if why := b.Text(`#disabled-why`); !strings.Contains(why, "disabled after 3") {
		t.Errorf("why: %q", why)
	}
	if n := Eval[int](b, `document.querySelectorAll('.streak-runs a[href^="/runs/c-auth/"]').length`); n != 3 {
		t.Errorf("%d links to the streak's errors, want 3", n)
	}
	b.Screenshot("console-integration", 1440, 900)
	b.Screenshot("console-integration-narrow", 390, 844)
	b.Do(chromedp.Click(chromedp.CSS(`[data-open-dialog="confirm-enable"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-enable`)))
	if yes := b.Text(`#confirm-enable button[type=submit]`); yes != "Yes" {
		t.Fatalf("re-enable confirmation button %q", yes)
	}
	b.Do(chromedp.Click(chromedp.CSS(`#confirm-enable button[type=submit]`)))
	waitFor(t, b, "Enabled", `(document.querySelector('#integration-state') || {}).innerText === 'Enabled'`)
	if streak := b.Text(`#streak`); streak != "0 / 3" {
		t.Errorf("streak after re-enable %q", streak)
	}
	if c := WaitCounter(t, nc, "c-auth", Streak(0, false)); c.EnabledBy != "local" {
		t.Errorf("enabledBy %q, want local", c.EnabledBy)
	}
}

func TestConsoleShowsHostileTextAsText(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	const dest, msg = `<script>window.__xss=1</script>`, `<img src=x onerror="window.__xss=2">`
	o := workload.Failed("c-xss", "x1", subjects.StageValidate, 0)
	o.Destination, o.Failure.Message = dest, msg
	Publish(t, nc, o)
	WaitCounter(t, nc, "c-xss", Streak(1, false))

	hostileForm := "/external-mappings/new?" + url.Values{"m3terId": {dest}, "externalTable": {msg}}.Encode()
	for _, page := range []string{"/", "/integrations/c-xss", "/?includeActioned=true&range=7d", "/runs/c-xss/x1", "/integrations", "/external-mappings", hostileForm} {
		resp, err := http.Get(s.HTTP + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		} {
			if got := resp.Header.Get(k); resp.StatusCode != 200 || got != want {
				t.Errorf("GET %s: %d, %s %q, want %q", page, resp.StatusCode, k, got, want)
			}
		}
	}

	b := StartBrowser(t)
	for _, page := range []string{"/", "/integrations/c-xss"} {
		b.Do(chromedp.Navigate(s.HTTP+page), chromedp.WaitVisible(chromedp.CSS(`tr[data-event-id]`)))
		text := b.Text(`tr[data-event-id]`)
		if !strings.Contains(text, dest) || !strings.Contains(text, msg) {
			t.Errorf("%s: the hostile text is not shown as text: %q", page, text)
		}
		if !Eval[bool](b, `typeof window.__xss === 'undefined' && document.querySelectorAll('main img, main script').length === 0`) {
			t.Errorf("%s: a script ran or an element was injected", page)
		}
	}
	b.Do(chromedp.Navigate(s.HTTP+"/runs/c-xss/x1"), chromedp.WaitVisible(chromedp.CSS(`#run-outcome`)))
	if text := b.Text(`main`); !strings.Contains(text, dest) || !strings.Contains(text, msg) {
		t.Errorf("run page: the hostile text is not shown as text: %q", text)
	}
	b.Do(chromedp.Navigate(s.HTTP+hostileForm), chromedp.WaitVisible(chromedp.CSS(`#mapping-form`)))
	if got := Eval[map[string]string](b, mappingInputsJS); got["m3terId"] != dest || got["externalTable"] != msg {
		t.Errorf("form: the hostile values are not kept as values: %v", got)
	}
	for _, page := range []string{"/runs/c-xss/x1", hostileForm} {
		b.Do(chromedp.Navigate(s.HTTP + page))
		if !Eval[bool](b, `typeof window.__xss === 'undefined' && document.querySelectorAll('main img, main script').length === 0`) {
			t.Errorf("%s: a script ran or an element was injected", page)
		}
	}
}

func TestConsoleSignsInWithAToken(t *testing.T) {
	secret := randomSecret(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--http-token", "ana:"+secret)
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("c-login", "r1", subjects.StageValidate, 0))
	WaitCounter(t, nc, "c-login", Streak(1, false))
	bearer := http.Header{"Authorization": {"Bearer " + secret}}
	var page subjects.ListEventsResponse
	CheckFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if code, msg := httpCall(t, s, "GET", "/api/events", "", bearer, &page); code != 200 || len(page.Data) != 1 {
			return fmt.Errorf("%d %s: %d events", code, msg, len(page.Data))
		}
		return nil
	})
	eventID := page.Data[0].ID

	// Without a session: pages redirect to /login, the rows and the action refuse.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct{ method, path string }{{"GET", "/"}, {"GET", "/events/rows"}, {"POST", "/events/actioned"}, {"GET", "/integrations/c-login"},
		{"GET", "/integrations"}, {"GET", "/runs/c-login/r1"}, {"GET", "/external-mappings"}, {"GET", "/external-mappings/new"}, {"POST", "/external-mappings"}} {
		req, _ := http.NewRequest(c.method, s.HTTP+c.path, strings.NewReader("id="+eventID))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a session: %d", c.method, c.path, resp.StatusCode)
		}
	}

	b := StartBrowser(t)
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(`input[type=password]`)))
	if loc := BrowserRun(b, chromedp.Location()); !strings.HasPrefix(loc, s.HTTP+"/login") {
		t.Fatalf("not sent to /login: %s", loc)
	}
	if btn := b.Text(`form[action="/login"] button`); btn != "Sign in" {
		t.Errorf("sign-in button %q", btn)
	}
	b.Screenshot("console-login", 1440, 900)
	b.Do(chromedp.SendKeys(chromedp.CSS(`input[type=password]`), "not-the-token-at-all"), chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	waitFor(t, b, "the refusal", `!!document.querySelector('.alert') && !!document.querySelector('input[type=password]')`)
	if got := b.Text(`.alert`); got != "That token is not valid." {
		t.Errorf("refusal %q", got)
	}
	if cookies := browserCookies(t, b, s.HTTP); len(cookies) != 0 {
		t.Errorf("a wrong token got cookies: %v", cookies)
	}

	b.Do(chromedp.SendKeys(chromedp.CSS(`input[type=password]`), secret), chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	waitFor(t, b, "the events page", `!!document.querySelector('#event-rows tr[data-event-id]')`)
	if who := b.Text(`.who strong`); who != "ana" {
		t.Errorf("signed in as %q", who)
	}
	var session *network.Cookie
	for _, c := range browserCookies(t, b, s.HTTP) {
		if c.Name == "ie_session" {
			session = c
		}
	}
	switch {
	case session == nil:
		t.Fatal("no session cookie")
	case !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict:
		t.Errorf("session cookie HttpOnly %t SameSite %q", session.HTTPOnly, session.SameSite)
	case strings.Contains(session.Value, secret) || len(session.Value) < 40:
		t.Error("the session cookie is not an opaque id")
	}
	if Eval[string](b, `document.cookie`) != "" {
		t.Error("the page's script can read a cookie")
	}

	// Who actions is the token's name.
	b.Do(chromedp.Click(chromedp.CSS(sel(eventID)+` input[type=checkbox]`)), chromedp.Click(chromedp.CSS(`#mark-actioned`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-actioned`)), chromedp.Click(chromedp.CSS(`#confirm-actioned button[type=submit]`)))
	waitFor(t, b, "the row gone", `!!document.querySelector('.flash') && !document.querySelector('`+sel(eventID)+`')`)
	var rec subjects.EventRecord
	if code, msg := httpCall(t, s, "GET", "/api/events/"+eventID, "", bearer, &rec); code != 200 || rec.ActionedBy != "ana" {
		t.Errorf("event: %d %s, actioned by %q, want ana", code, msg, rec.ActionedBy)
	}
}

func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func browserCookies(t *testing.T, b *Browser, site string) []*network.Cookie {
	t.Helper()
	r, err := chromedp.Call(b.Context(), network.GetCookies, network.GetCookiesParams{URLs: []string{site}})
	if err != nil {
		t.Fatal(err)
	}
	return r.Cookies
}

var attackerPage = template.Must(template.New("").Parse(`<!doctype html><title>elsewhere</title>
<form method="post" action="{{.Action}}"><input type="hidden" name="id" value="{{.ID}}">
<input type="hidden" name="m3terEntity" value="Account"><input type="hidden" name="m3terId" value="acct-1"><input type="hidden" name="externalSystem" value="Salesforce">
<input type="hidden" name="externalTable" value="Account"><input type="hidden" name="externalId" value="001evil"><input type="hidden" name="integrationConfigId" value="c-csrf">
<button id="go" type="submit">Win a prize</button></form>`))

func TestConsoleRefusesCrossSitePosts(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("c-csrf", "r1", subjects.StageValidate, 0))
	WaitCounter(t, nc, "c-csrf", Streak(1, false))
	eventID := eventsByName(t, s, 1)[subjects.KindValidation.EventName()][0].ID

	// Another site, on another loopback port: another origin.
	for _, action := range []string{"/events/actioned", "/integrations/c-csrf/enable", "/external-mappings"} {
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = attackerPage.Execute(w, map[string]string{"Action": s.HTTP + action, "ID": eventID})
		}))
		b := StartBrowser(t)
		b.Do(chromedp.Navigate(other.URL), chromedp.Click(chromedp.CSS(`#go`)))
		waitFor(t, b, "the refusal", `location.href.startsWith('`+s.HTTP+`') && document.body.innerText.includes('cross-origin request refused')`)
		other.Close()
	}
	if rec := eventRecord(t, s, eventID); rec.DtActioned != nil {
		t.Errorf("a cross-site post actioned the event: %+v", rec)
	}
	if c, _ := Counter(t, nc, "c-csrf"); c.EnabledAt != nil || c.ConsecutiveFailures != 1 {
		t.Errorf("a cross-site post enabled the integration: %+v", c)
	}
	var mappings subjects.ListExternalMappingsResponse
	if code, msg := httpCall(t, s, "GET", "/api/external-mappings", "", nil, &mappings); code != 200 || len(mappings.Data) != 0 {
		t.Errorf("external mappings after a cross-site post: %d %s %+v", code, msg, mappings.Data)
	}
}
