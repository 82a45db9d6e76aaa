package test

import (
	"fmt"
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

// testPolicy is the disable policy of the policy tests: a streak of 4
// disables, 2 authentication failures do too, validation failures do not
// count, warnings at half way, and Stripe's streaks must be an hour old.
const testPolicy = `disableAfter: 4
warnAt: [50]
kinds:
  authentication: {disableAfter: 2}
  validation: {counts: false}
destinations:
  Stripe: {minStreakAge: 1h}
`

// writePolicy writes a policy file and returns its path.
func writePolicy(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// utc is a time as the console writes it.
func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// factsJS reads the figures of the row of an event id, by data-fact.
const factsJS = `(id => Object.fromEntries(Array.from(document.querySelectorAll('tr[data-event-id="' + id + '"] [data-fact]')).map(f => [f.dataset.fact, f.querySelector('dd').innerText.trim()])))`

func rowFacts(b *Browser, id string) map[string]string {
	return Eval[map[string]string](b, factsJS+`('`+id+`')`)
}

// threshold is one threshold as the integration page shows it.
type threshold struct {
	Count    string  `json:"count"`
	Distance string  `json:"distance"`
	Class    string  `json:"class"`
	Value    float64 `json:"value"`
	Max      float64 `json:"max"`
}

const thresholdsJS = `Object.fromEntries(Array.from(document.querySelectorAll('#thresholds li[data-rule]')).map(li => {
  const d = li.querySelector('.th-distance'), m = li.querySelector('meter');
  return [li.dataset.rule, {count: li.querySelector('.th-count').innerText.trim(), distance: d ? d.innerText.trim() : '',
    class: li.className, value: m.value, max: m.max}];
}))`

// TestConsoleShowsThePolicyWarningsAndRecoveries drives serve with a
// --policy file: each integration's page shows the rules that apply and
// how far each threshold is; the events list badges and filters warnings
// and recoveries and shows their figures; a recovery's follow-up lists the
// streak's events, which are then marked actioned.
func TestConsoleShowsThePolicyWarningsAndRecoveries(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t), "--policy", writePolicy(t, testPolicy))
	nc := Connect(t, s.URL)
	auth := func(id, run string, ago time.Duration) subjects.RunOutcome {
		return recent(workload.Failed(id, run, subjects.StageAuthenticate, 0), ago)
	}
	perform := func(id, run string, ago time.Duration) subjects.RunOutcome {
		return recent(workload.Failed(id, run, subjects.StagePerform, 500), ago)
	}
	// p-auth: a validation failure, which does not count, then one
	// authentication failure: half of its kind's 2, a warning.
	Publish(t, nc, recent(workload.Failed("p-auth", "v1", subjects.StageValidate, 0), 50*time.Minute))
	Publish(t, nc, auth("p-auth", "a1", 45*time.Minute))
	// p-rec: two perform failures (a warning at half of 4), then a success.
	recFirst := perform("p-rec", "f1", 40*time.Minute)
	Publish(t, nc, recFirst)
	Publish(t, nc, perform("p-rec", "f2", 35*time.Minute))
	recovered := recent(workload.Succeeded("p-rec", "ok1"), 30*time.Minute)
	Publish(t, nc, recovered)
	// p-dis: two authentication failures disable it by their kind's rule.
	Publish(t, nc, auth("p-dis", "d1", 25*time.Minute))
	Publish(t, nc, auth("p-dis", "d2", 20*time.Minute))
	// p-age: Stripe's streak of 2 warns, and cannot disable for an hour.
	ageFirst := perform("p-age", "s1", 15*time.Minute)
	ageFirst.Destination = "Stripe"
	second := perform("p-age", "s2", 10*time.Minute)
	second.Destination = "Stripe"
	Publish(t, nc, ageFirst)
	Publish(t, nc, second)
	WaitCounter(t, nc, "p-age", Streak(2, false))
	WaitCounter(t, nc, "p-dis", Streak(2, true))
	notBefore := utc(ageFirst.FinishedAt.Add(time.Hour))

	// p-auth 2 errors and a warning; p-rec 2, a warning and the recovery;
	// p-dis 2, a warning and the disable; p-age 2 and a warning.
	byName := eventsByName(t, s, 14)
	of := func(k subjects.Kind, integration string) string {
		for _, rec := range byName[k.EventName()] {
			if rec.IntegrationID == integration {
				return rec.ID
			}
		}
		t.Fatalf("no %s event of %s", k.EventName(), integration)
		return ""
	}
	if n := len(byName[subjects.KindWarning.EventName()]); n != 4 {
		t.Fatalf("%d warnings, want 4", n)
	}

	b := StartBrowser(t)
	page := func(id string) map[string]threshold {
		t.Helper()
		b.Do(chromedp.Navigate(s.HTTP+"/integrations/"+id), chromedp.WaitVisible(chromedp.CSS(`#thresholds`)))
		return Eval[map[string]threshold](b, thresholdsJS)
	}
	const streakRule, authRule = "disableAfter", "kinds.authentication.disableAfter"
	check := func(id string, got threshold, count, distance string, value, maxV float64) {
		t.Helper()
		if got.Count != count || got.Distance != distance || got.Value != value || got.Max != maxV {
			t.Errorf("%s: threshold %+v, want %q %q meter %v of %v", id, got, count, distance, value, maxV)
		}
	}

	th := page("p-auth")
	check("p-auth", th[streakRule], "streak 1 of 4", "— 3 more disable", 1, 4)
	check("p-auth", th[authRule], "authentication 1 of 2", "— 1 more disables", 1, 2)
	if len(th) != 2 {
		t.Errorf("p-auth: thresholds %v, want the streak's and authentication's", th)
	}
	if got := b.Text(`#policy-scope`); !strings.Contains(got, "top level") {
		t.Errorf("p-auth scope %q", got)
	}
	if got := b.Text(`#policy-warn`); got != "50% of a threshold; warned at 50% this streak" {
		t.Errorf("p-auth warnings %q", got)
	}
	if got := strings.TrimSpace(b.Text(`#policy-not-counted`)); got != "Validation" {
		t.Errorf("p-auth kinds not counted %q", got)
	}
	if _, err := b.TryText(`#policy-not-before`); err == nil {
		t.Error("p-auth shows a not-before without a minStreakAge")
	}
	b.Screenshot("console-integration-policy", 1440, 900)

	th = page("p-dis")
	check("p-dis", th[streakRule], "streak 2 of 4", "", 2, 4)
	check("p-dis", th[authRule], "authentication 2 of 2", "— disabled it", 2, 2)
	if !strings.Contains(th[authRule].Class, "is-fired") || b.Text(`#integration-state`) != "Disabled" {
		t.Errorf("p-dis: the rule that fired is not marked: %+v", th[authRule])
	}

	th = page("p-age")
	check("p-age", th[streakRule], "streak 2 of 4", "— 2 more disable", 2, 4)
	check("p-age", th[authRule], "authentication 0 of 2", "— 2 more disable", 0, 2)
	if got := b.Text(`#policy-scope`); !strings.Contains(got, "Stripe") || !strings.Contains(got, "destinations.Stripe") {
		t.Errorf("p-age scope %q", got)
	}
	if age, nb := b.Text(`#policy-age`), b.Text(`#policy-not-before`); age != "1h0m0s" || nb != notBefore {
		t.Errorf("p-age: minStreakAge %q, not before %q, want 1h0m0s %q", age, nb, notBefore)
	}

	th = page("p-rec")
	check("p-rec", th[streakRule], "streak 0 of 4", "— 4 more disable", 0, 4)
	if got := b.Text(`#policy-warn`); got != "50% of a threshold" {
		t.Errorf("p-rec after its recovery: warnings %q", got)
	}

	// The list's filter offers both new kinds, and each filters to its own.
	b.Do(chromedp.Navigate(s.HTTP+"/"), chromedp.WaitVisible(chromedp.CSS(`#event-rows tr[data-event-id]`)))
	options := Eval[[]string](b, `Array.from(document.querySelectorAll('#f-name option')).map(o => o.value + '|' + o.innerText.trim())`)
	for _, want := range []string{"integration.disable.warning|Disable warning (integration.disable.warning)", "integration.recovered|Recovered (integration.recovered)"} {
		if !slices.Contains(options, want) {
			t.Errorf("event name options %q lack %q", options, want)
		}
	}
	filterBy := func(eventName string, want int) map[string]consoleRow {
		t.Helper()
		b.Do(chromedp.SetValue(chromedp.CSS(`#f-name`), eventName), chromedp.Click(chromedp.CSS(`#filters button[type=submit]`)))
		waitFor(t, b, eventName+" rows", fmt.Sprintf(`location.search.includes(%q) && document.querySelectorAll('#event-rows tr[data-event-id]').length === %d`, "eventName="+eventName, want))
		rows := consoleRows(b)
		for id := range rows {
			if name := Eval[string](b, `document.querySelector('`+sel(id)+`').dataset.eventName`); name != eventName {
				t.Errorf("filter %s lists a %s", eventName, name)
			}
		}
		return rows
	}
	styled := func(kind subjects.Kind) {
		t.Helper()
		bg := Eval[string](b, `getComputedStyle(document.querySelector('#event-rows .c-name .badge.k-`+string(kind)+`')).backgroundColor`)
		other := Eval[string](b, `(() => { const e = document.createElement('span'); e.className = 'badge k-other'; document.body.append(e); const c = getComputedStyle(e).backgroundColor; e.remove(); return c; })()`)
		if bg == "" || bg == "rgba(0, 0, 0, 0)" || bg == other {
			t.Errorf("the %s badge is not styled: background %q (k-other %q)", kind, bg, other)
		}
	}

	rows := filterBy(subjects.KindWarning.EventName(), 4)
	for _, id := range []string{"p-auth", "p-rec", "p-dis", "p-age"} {
		r := rows[of(subjects.KindWarning, id)]
		if r.Name != "Disable warning" || r.Follow != "Go to integration" || r.Href != "/integrations/"+id {
			t.Errorf("%s warning row: %+v", id, r)
		}
	}
	styled(subjects.KindWarning)
	for id, want := range map[string]map[string]string{
		"p-auth": {"percent": "50% of 2", "rule": authRule, "failuresUntilDisable": "1"},
		"p-rec":  {"percent": "50% of 4", "rule": streakRule, "failuresUntilDisable": "2"},
		"p-age":  {"percent": "50% of 4", "rule": streakRule, "failuresUntilDisable": "2", "disableNotBefore": notBefore},
	} {
		if got := rowFacts(b, of(subjects.KindWarning, id)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s warning figures %v, want %v", id, got, want)
		}
	}
	b.Screenshot("console-events-warnings", 1440, 900)

	rows = filterBy(subjects.KindDisabled.EventName(), 1)
	if got := rowFacts(b, of(subjects.KindDisabled, "p-dis")); got["rule"] != authRule+": 2" {
		t.Errorf("disabled event figures %v, want the rule %s: 2", got, authRule)
	}

	rows = filterBy(subjects.KindRecovered.EventName(), 1)
	recID := of(subjects.KindRecovered, "p-rec")
	if r := rows[recID]; r.Name != "Recovered" || r.Follow != "Review the streak's events" || r.Href != "/?integrationId=p-rec" {
		t.Errorf("recovery row: %+v", r)
	}
	styled(subjects.KindRecovered)
	want := map[string]string{"failedRuns": "2", "firstFailureAt": utc(recFirst.FinishedAt), "recoveredAt": utc(recovered.FinishedAt)}
	if got := rowFacts(b, recID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recovery figures %v, want %v", got, want)
	}

	// The review: the integration's events not actioned, the streak's
	// selected and marked actioned; the recovery stays to close the review.
	b.Do(chromedp.Click(chromedp.CSS(sel(recID) + ` .c-follow a`)))
	waitFor(t, b, "p-rec's events", `location.search === '?integrationId=p-rec' && document.querySelectorAll('#event-rows tr[data-event-id]').length === 4`)
	streak := []string{of(subjects.KindWarning, "p-rec")}
	for _, rec := range byName[subjects.KindPerform.EventName()] {
		if rec.IntegrationID == "p-rec" {
			streak = append(streak, rec.ID)
		}
	}
	rows = consoleRows(b)
	for _, id := range append(slices.Clone(streak), recID) {
		if r, ok := rows[id]; !ok || r.Status != "NOT ACTIONED" || !r.Checkbox {
			t.Fatalf("review list: event %s row %+v (listed %t)", id, r, ok)
		}
	}
	for _, id := range streak {
		b.Do(chromedp.Click(chromedp.CSS(sel(id) + ` input[type=checkbox]`)))
	}
	b.Do(chromedp.Click(chromedp.CSS(`#mark-actioned`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-actioned`)))
	b.Do(chromedp.Click(chromedp.CSS(`#confirm-actioned button[type=submit]`)))
	waitFor(t, b, "the streak's events gone", `!!document.querySelector('.flash') && document.querySelectorAll('#event-rows tr[data-event-id]').length === 1 && !!document.querySelector('`+sel(recID)+`')`)
	for _, id := range streak {
		if rec := eventRecord(t, s, id); rec.DtActioned == nil || rec.ActionedBy != "local" {
			t.Errorf("streak event %s: dtActioned %v by %q", id, rec.DtActioned, rec.ActionedBy)
		}
	}
	if rec := eventRecord(t, s, recID); rec.DtActioned != nil {
		t.Errorf("the recovery was actioned too: %v", rec.DtActioned)
	}
}
