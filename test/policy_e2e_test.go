package test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// policyOutcome is a run of integration on destination that failed at
// stage (a perform failure answered with HTTP 500), or succeeded for stage
// "", finished at.
func policyOutcome(integration, destination, run string, stage subjects.Stage, at time.Time) subjects.RunOutcome {
	o := workload.Succeeded(integration, run)
	if stage != "" {
		o = workload.Failed(integration, run, stage, 500)
	}
	o.Destination, o.FinishedAt = destination, at
	return o
}

// policyStart is a time in the past to date outcomes from: their
// finishedAt is kept as the runner reports it (one more than
// processor.MaxClockSkew past the receive time would be replaced by it),
// so streaks have the age the test gives them.
func policyStart() time.Time { return time.Now().UTC().Add(-6 * time.Hour).Truncate(time.Second) }

// wantWarning is what a warning event must say.
type wantWarning struct {
	run, firstRun         string
	percent, failures     int
	disableAfter, episode int
	rule                  string
	first                 time.Time
	byKind                map[string]int
	notBefore             *time.Time
}

func checkWarning(t *testing.T, e Event, id string, w wantWarning) {
	t.Helper()
	d := e.Data
	wantID := processor.WarningEventID(id, w.episode, w.firstRun, w.percent).String()
	if e.Type != subjects.KindWarning.EventName() || e.Subject != "integrations.events.warning."+id || e.ID != wantID || d.EventName != e.Type {
		t.Errorf("warning of %s: %s %s on %s, want %s on integrations.events.warning.%s", w.run, e.Type, e.ID, e.Subject, wantID, id)
	}
	if d.RunID != w.run || d.IntegrationID != id || d.Percent != w.percent || d.ConsecutiveFailures != w.failures ||
		d.DisableAfter != w.disableAfter || d.FailuresUntilDisable == nil || *d.FailuresUntilDisable != w.disableAfter-w.byKindOrStreak() ||
		d.Rule != w.rule || d.Episode == nil || *d.Episode != w.episode {
		t.Errorf("warning of %s: run %s percent %d streak %d disableAfter %d until %v rule %q episode %v, want %s %d %d %d %d %q %d",
			w.run, d.RunID, d.Percent, d.ConsecutiveFailures, d.DisableAfter, d.FailuresUntilDisable, d.Rule, d.Episode,
			w.run, w.percent, w.failures, w.disableAfter, w.disableAfter-w.byKindOrStreak(), w.rule, w.episode)
	}
	if d.FirstFailureAt == nil || !d.FirstFailureAt.Equal(w.first) || !maps.Equal(d.FailuresByKind, w.byKind) {
		t.Errorf("warning of %s: firstFailureAt %v failuresByKind %v, want %v %v", w.run, d.FirstFailureAt, d.FailuresByKind, w.first, w.byKind)
	}
	if (d.DisableNotBefore == nil) != (w.notBefore == nil) || (w.notBefore != nil && !d.DisableNotBefore.Equal(*w.notBefore)) {
		t.Errorf("warning of %s: disableNotBefore %v, want %v", w.run, d.DisableNotBefore, w.notBefore)
	}
	if !strings.Contains(d.Message, " integration "+id+" ") || !strings.Contains(d.Message, fmt.Sprintf("%d%%", w.percent)) || !strings.HasSuffix(d.Message, d.Remedy) {
		t.Errorf("warning of %s: message %q does not name the integration and the level, ending with its remedy", w.run, d.Message)
	}
	if d.FollowUp.Action != subjects.FollowUpGoToIntegration || d.FollowUp.IntegrationID != id {
		t.Errorf("warning of %s: follow-up %+v", w.run, d.FollowUp)
	}
}

// byKindOrStreak is the failures toward the warning's rule: the kind's
// for a kind rule, else the streak.
func (w wantWarning) byKindOrStreak() int {
	if k, ok := strings.CutPrefix(w.rule, "kinds."); ok {
		return w.byKind["integration."+strings.TrimSuffix(k, ".disableAfter")+".error"]
	}
	return w.failures
}

// TestPolicyDefaultWarnsAndRecovers runs serve with the default policy: the
// 10th, 15th and 18th failures of a streak raise one warning each, a new
// streak warns again, a success that ends a streak raises one recovery and
// a success while disabled none.
func TestPolicyDefaultWarnsAndRecovers(t *testing.T) {
	_, nc := startServe(t)
	const id = "pol-default"
	warnings := subscribe(t, nc, "integrations.events.warning."+id)
	recoveries := subscribe(t, nc, "integrations.events.recovered."+id)
	all := subscribe(t, nc, "integrations.events.*."+id)
	t0 := policyStart()
	at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
	perform := subjects.KindPerform.EventName()

	for i := 1; i <= 19; i++ {
		Publish(t, nc, policyOutcome(id, "Salesforce", fmt.Sprintf("r%d", i), subjects.StagePerform, at(i)))
	}
	WaitCounter(t, nc, id, Streak(19, false))
	got := warnings.waitCount(t, 3)
	for i, w := range []struct{ failures, percent int }{{10, 50}, {15, 75}, {18, 90}} {
		checkWarning(t, DecodeEvent(t, got[i]), id, wantWarning{run: fmt.Sprintf("r%d", w.failures), firstRun: "r1", percent: w.percent,
			failures: w.failures, disableAfter: 20, rule: "disableAfter", first: at(1), byKind: map[string]int{perform: w.failures}})
	}

	Publish(t, nc, policyOutcome(id, "Salesforce", "ok1", "", at(30)))
	WaitCounter(t, nc, id, Streak(0, false))
	rec := DecodeEvent(t, recoveries.waitCount(t, 1)[0])
	d := rec.Data
	if rec.Type != subjects.KindRecovered.EventName() || rec.Subject != "integrations.events.recovered."+id || rec.ID != processor.RecoveredEventID(id, "ok1").String() {
		t.Errorf("recovery %s %s on %s", rec.Type, rec.ID, rec.Subject)
	}
	if d.RunID != "ok1" || d.FailedRuns != 19 || d.FirstFailureAt == nil || !d.FirstFailureAt.Equal(at(1)) || d.RecoveredAt == nil || !d.RecoveredAt.Equal(at(30)) ||
		!maps.Equal(d.FailuresByKind, map[string]int{perform: 19}) || d.AutoAction || d.Episode == nil || *d.Episode != 0 {
		t.Errorf("recovery data: run %s failedRuns %d first %v recovered %v byKind %v autoAction %t episode %v",
			d.RunID, d.FailedRuns, d.FirstFailureAt, d.RecoveredAt, d.FailuresByKind, d.AutoAction, d.Episode)
	}
	if d.FollowUp.Action != subjects.FollowUpReviewStreak || d.FollowUp.IntegrationID != id || d.FollowUp.RunID != "ok1" || !strings.Contains(d.Message, id) {
		t.Errorf("recovery follow-up %+v, message %q", d.FollowUp, d.Message)
	}

	// A new streak warns again, at the same failures, then disables.
	for i := 1; i <= 20; i++ {
		Publish(t, nc, policyOutcome(id, "Salesforce", fmt.Sprintf("s%d", i), subjects.StagePerform, at(30+i)))
	}
	WaitCounter(t, nc, id, Streak(20, true))
	got = warnings.waitCount(t, 6)
	for i, w := range []struct{ failures, percent int }{{10, 50}, {15, 75}, {18, 90}} {
		checkWarning(t, DecodeEvent(t, got[3+i]), id, wantWarning{run: fmt.Sprintf("s%d", w.failures), firstRun: "s1", percent: w.percent,
			failures: w.failures, disableAfter: 20, rule: "disableAfter", first: at(31), byKind: map[string]int{perform: w.failures}})
	}
	// A success while disabled ends the streak but is no recovery. The
	// failure after it, in the same partition, is applied after it: once
	// its event is in, a recovery would be too.
	Publish(t, nc, policyOutcome(id, "Salesforce", "ok2", "", at(60)))
	WaitCounter(t, nc, id, Streak(0, true))
	Publish(t, nc, policyOutcome(id, "Salesforce", "s21", subjects.StagePerform, at(61)))
	WaitCounter(t, nc, id, Streak(1, true))
	// 19 failures and 3 warnings, the recovery, 20 failures, 3 warnings
	// and the disable, then s21's failure.
	events := all.waitCount(t, 19+3+1+20+3+1+1)
	if last := DecodeEvent(t, events[len(events)-1]); last.Data.RunID != "s21" || last.Type != perform {
		t.Fatalf("last event %s of run %s, want s21's failure", last.Type, last.Data.RunID)
	}
	if n := len(recoveries.all()); n != 1 {
		t.Fatalf("%d recoveries, want ok1's only: ok2 came while disabled", n)
	}
	if n := len(warnings.all()); n != 6 {
		t.Fatalf("%d warnings, want 6: none while disabled", n)
	}
}

// e2ePolicy holds one rule of each kind, each for integrations of its own.
const e2ePolicy = `
kinds:
  authentication:
    disableAfter: 3
  validation:
    counts: false
destinations:
  Stripe:
    disableAfter: 4
  NetSuite:
    disableAfter: 3
    minStreakAge: 1h
`

// disabledBy checks e, the disabled event of integration id: the run that
// disabled, the rule that fired with its threshold, and the streak.
func disabledBy(t *testing.T, e Event, id, run, rule string, disableAfter, streak int) {
	t.Helper()
	d := e.Data
	if e.Type != subjects.KindDisabled.EventName() || e.Subject != "integrations.events.disabled."+id || d.RunID != run ||
		d.Rule != rule || d.DisableAfter != disableAfter || d.ConsecutiveFailures != streak || !strings.Contains(d.Message, rule+": "+fmt.Sprint(disableAfter)) {
		t.Errorf("%s: %s of run %s, rule %q at %d, streak %d, message %q; want the disable by run %s, rule %s at %d, streak %d",
			id, e.Type, d.RunID, d.Rule, d.DisableAfter, d.ConsecutiveFailures, d.Message, run, rule, disableAfter, streak)
	}
}

// eventsOf returns the stored events of integration, in stream order.
func eventsOf(t *testing.T, events []Event, integration string) []Event {
	t.Helper()
	var out []Event
	for _, e := range events {
		if e.Data.IntegrationID == integration {
			out = append(out, e)
		}
	}
	return out
}

// eventTypes lists the events' types, in order, for failure messages.
func eventTypes(events []Event) string {
	s := make([]string, len(events))
	for i, e := range events {
		s[i] = e.Type + "(" + e.Data.RunID + ")"
	}
	return strings.Join(s, " ")
}

// TestPolicyFileRules runs serve with --policy e2ePolicy: a kind's
// threshold, a destination's override (for that destination only, by any
// case), a kind that does not count, and minStreakAge, each on its own
// integrations.
func TestPolicyFileRules(t *testing.T) {
	file, _ := WritePolicy(t, e2ePolicy)
	s, nc := startServe(t, "--policy", file)
	if !strings.Contains(s.Output(), `"policy":"`+file+`"`) || !strings.Contains(s.Output(), `"disableAfter":20`) {
		t.Errorf("the ready line does not name the policy file and its top-level disableAfter:\n%s", s.Output())
	}
	t0 := policyStart()
	at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
	auth, perform, validation := subjects.StageAuthenticate, subjects.StagePerform, subjects.StageValidate

	// kinds.authentication.disableAfter 3 counts authentication failures
	// in the streak, among others: the 5th failure, the 3rd of the kind,
	// disables; the 2nd of the kind warns at 50%.
	for i, st := range []subjects.Stage{perform, auth, perform, auth, auth} {
		Publish(t, nc, policyOutcome("pol-auth", "Salesforce", fmt.Sprintf("k%d", i+1), st, at(i)))
	}
	// destinations.Stripe.disableAfter 4 holds for Stripe, by any case,
	// and for no other destination.
	for i := 1; i <= 4; i++ {
		for id, dest := range map[string]string{"pol-stripe": "Stripe", "pol-stripe-case": "STRIPE", "pol-sf": "Salesforce"} {
			Publish(t, nc, policyOutcome(id, dest, fmt.Sprintf("d%d", i), perform, at(i)))
		}
	}
	// validation counts: false: its event is raised, the streak neither
	// grows nor ends.
	for i, st := range []subjects.Stage{perform, perform, validation} {
		Publish(t, nc, policyOutcome("pol-val", "Salesforce", fmt.Sprintf("v%d", i+1), st, at(i)))
	}
	// NetSuite: disableAfter 3, minStreakAge 1h. The 3rd failure (20
	// minutes in) and the 4th (50) are too early, an uncounted failure
	// after the hour (n5) disables nothing; n6, the first counted failure
	// after the hour, disables.
	nsRuns := []struct {
		run    string
		stage  subjects.Stage
		minute int
	}{{"n1", perform, 0}, {"n2", perform, 10}, {"n3", perform, 20}, {"n4", perform, 50}, {"n5", validation, 65}}
	for _, r := range nsRuns {
		Publish(t, nc, policyOutcome("pol-ns", "NetSuite", r.run, r.stage, at(r.minute)))
	}

	WaitCounter(t, nc, "pol-auth", Streak(5, true))
	for _, id := range []string{"pol-stripe", "pol-stripe-case"} {
		c := WaitCounter(t, nc, id, Streak(4, true))
		if c.DisabledBy != "destinations.Stripe.disableAfter" || c.DisableAfter != 4 {
			t.Errorf("%s: disabled by %q, disableAfter %d", id, c.DisabledBy, c.DisableAfter)
		}
	}
	if c := WaitCounter(t, nc, "pol-sf", Streak(4, false)); c.DisableAfter != 20 {
		t.Errorf("pol-sf, on Salesforce: disableAfter %d, want the top level's 20", c.DisableAfter)
	}
	valBefore := WaitCounter(t, nc, "pol-val", func(c subjects.FailureCounter) error {
		if c.LastRunID != "v3" || c.ConsecutiveFailures != 2 || c.Disabled {
			return fmt.Errorf("last run %s streak %d disabled %t, want v3 2 false", c.LastRunID, c.ConsecutiveFailures, c.Disabled)
		}
		return nil
	})
	WaitCounter(t, nc, "pol-ns", func(c subjects.FailureCounter) error {
		if c.LastRunID != "n5" || c.ConsecutiveFailures != 4 || c.Disabled {
			return fmt.Errorf("last run %s streak %d disabled %t, want n5 4 false", c.LastRunID, c.ConsecutiveFailures, c.Disabled)
		}
		return nil
	})
	Publish(t, nc, policyOutcome("pol-val", "Salesforce", "v4", perform, at(5)))
	Publish(t, nc, policyOutcome("pol-ns", "NetSuite", "n6", perform, at(70)))
	valAfter := WaitCounter(t, nc, "pol-val", Streak(3, false))
	ns := WaitCounter(t, nc, "pol-ns", Streak(5, true))

	stored := StoredEvents(t, nc)
	ka := subjects.KindAuthentication.EventName()
	kp := subjects.KindPerform.EventName()

	// pol-auth: k1..k5, the warning after k4, the disable after k5.
	evs := eventsOf(t, stored, "pol-auth")
	if len(evs) != 7 || evs[4].Type != subjects.KindWarning.EventName() || evs[6].Type != subjects.KindDisabled.EventName() {
		t.Fatalf("pol-auth events: %s; want k1..k4, the warning, k5, the disable", eventTypes(evs))
	}
	checkWarning(t, evs[4], "pol-auth", wantWarning{run: "k4", firstRun: "k1", percent: 50, failures: 4, disableAfter: 3,
		rule: "kinds.authentication.disableAfter", first: at(0), byKind: map[string]int{kp: 2, ka: 2}})
	disabledBy(t, evs[6], "pol-auth", "k5", "kinds.authentication.disableAfter", 3, 5)
	if fk := evs[6].Data.FailuresByKind; !maps.Equal(fk, map[string]int{kp: 2, ka: 3}) {
		t.Errorf("pol-auth disable: failuresByKind %v", fk)
	}

	// Stripe: warnings after d2 (50%) and d3 (75%), the disable after d4.
	for _, id := range []string{"pol-stripe", "pol-stripe-case"} {
		evs = eventsOf(t, stored, id)
		if len(evs) != 7 {
			t.Fatalf("%s events: %s; want d1, d2, its warning, d3, its warning, d4, the disable", id, eventTypes(evs))
		}
		for i, w := range []struct{ at, percent int }{{2, 50}, {4, 75}} {
			n := []int{2, 3}[i]
			checkWarning(t, evs[w.at], id, wantWarning{run: fmt.Sprintf("d%d", n), firstRun: "d1", percent: w.percent, failures: n, disableAfter: 4,
				rule: "destinations.Stripe.disableAfter", first: at(1), byKind: map[string]int{kp: n}})
		}
		disabledBy(t, evs[6], id, "d4", "destinations.Stripe.disableAfter", 4, 4)
	}
	if evs = eventsOf(t, stored, "pol-sf"); len(evs) != 4 {
		t.Errorf("pol-sf events: %s; want its 4 failures only", eventTypes(evs))
	}

	// pol-val: v3's event is raised, not counted; v4 makes the streak 3.
	evs = eventsOf(t, stored, "pol-val")
	if len(evs) != 4 || evs[2].Type != subjects.KindValidation.EventName() || !evs[2].Data.NotCounted || evs[0].Data.NotCounted || evs[3].Data.NotCounted {
		t.Fatalf("pol-val events: %s; want v1, v2, v3 (notCounted), v4 and no recovery", eventTypes(evs))
	}
	if valBefore.FailuresByKind[subjects.KindValidation.EventName()] != 0 || !valBefore.FirstFailureAt.Equal(at(0)) || !valAfter.FirstFailureAt.Equal(at(0)) {
		t.Errorf("pol-val: the uncounted failure changed the streak: %+v then %+v", valBefore, valAfter)
	}

	// pol-ns: n2 warns at 50% with the time the disable may come; n3 and
	// n4 reach 3 too early, n5 does not count, n6 disables.
	evs = eventsOf(t, stored, "pol-ns")
	if len(evs) != 8 {
		t.Fatalf("pol-ns events: %s; want n1, n2, its warning, n3..n6, the disable", eventTypes(evs))
	}
	notBefore := at(60)
	checkWarning(t, evs[2], "pol-ns", wantWarning{run: "n2", firstRun: "n1", percent: 50, failures: 2, disableAfter: 3,
		rule: "destinations.NetSuite.disableAfter", first: at(0), byKind: map[string]int{kp: 2}, notBefore: &notBefore})
	disabledBy(t, evs[7], "pol-ns", "n6", "destinations.NetSuite.disableAfter", 3, 5)
	if ns.DisabledAt == nil || !ns.DisabledAt.Equal(at(70)) || ns.DisabledBy != "destinations.NetSuite.disableAfter" {
		t.Errorf("pol-ns: disabled at %v by %q, want %v by destinations.NetSuite.disableAfter", ns.DisabledAt, ns.DisabledBy, at(70))
	}
}

// serveFails runs serve with args, which must make it exit before it is
// ready, and returns its output.
func serveFails(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args = append([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", FreePort(t), "--http-listen="}, args...)
	out, err := exec.CommandContext(ctx, Binary(t), args...).CombinedOutput()
	if err == nil || ctx.Err() != nil || strings.Contains(string(out), "integration-events ready") {
		t.Fatalf("serve %q: %v, want it to refuse to start\n%s", args, err, out)
	}
	return string(out)
}

// TestServePolicyFlagAndConfigKey: a policy that cannot work stops serve
// with an error naming the key as the file spells it; `policy: FILE` in the
// --config file is the --policy flag.
func TestServePolicyFlagAndConfigKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct{ name, text, says string }{
		{"kind.yaml", "kinds:\n  perfom:\n    disableAfter: 3\n", `kinds.perfom: "perfom" is not a failure kind`},
		{"key.yaml", "disableAfter: 5\nwarnAtt: [50]\n", "warnAtt"},
		{"range.yaml", "destinations:\n  Stripe:\n    disableAfter: 0\n", "destinations.Stripe.disableAfter: 0 must be 1 to"},
		{"never.yaml", "kinds:\n  validation:\n    counts: false\n    disableAfter: 2\n", "kinds.validation.disableAfter: kind validation does not count"},
		{"order.yaml", "warnAt: [75, 50]\n", "warnAt: levels must increase"},
	} {
		path := write(tc.name, tc.text)
		if out := serveFails(t, "--policy", path); !strings.Contains(out, tc.says) || !strings.Contains(out, path) {
			t.Errorf("%s: the error does not name the file and say %q:\n%s", tc.name, tc.says, out)
		}
	}
	if out := serveFails(t, "--policy", filepath.Join(dir, "missing.yaml")); !strings.Contains(out, "missing.yaml") {
		t.Errorf("a missing policy file: %s", out)
	}

	// policy: FILE in the configuration file; its top-level disableAfter
	// and its kind rule both hold.
	pol := write("policy.yaml", "disableAfter: 2\nkinds:\n  authentication:\n    disableAfter: 1\n")
	cfg := write("integration-events.yaml", "policy: "+pol+"\n")
	s := StartServe(t, t.TempDir(), FreePort(t), "--config", cfg)
	if !strings.Contains(s.Output(), `"policy":"`+pol+`"`) || !strings.Contains(s.Output(), `"disableAfter":2`) {
		t.Errorf("the ready line does not show the configuration file's policy:\n%s", s.Output())
	}
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("cfg-auth", "a1", subjects.StageAuthenticate, 0))
	Publish(t, nc, workload.Failed("cfg-perf", "p1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed("cfg-perf", "p2", subjects.StagePerform, 500))
	if c := WaitCounter(t, nc, "cfg-auth", Streak(1, true)); c.DisabledBy != "kinds.authentication.disableAfter" {
		t.Errorf("cfg-auth disabled by %q", c.DisabledBy)
	}
	if c := WaitCounter(t, nc, "cfg-perf", Streak(2, true)); c.DisabledBy != "disableAfter" || c.DisableAfter != 2 {
		t.Errorf("cfg-perf disabled by %q at %d", c.DisabledBy, c.DisableAfter)
	}
}
