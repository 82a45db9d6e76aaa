package processor_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

const streakIntegration = "sf-prod"

var streakBase = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// runs makes outcomes of streakIntegration, each with a fresh run id and a
// finish time one minute after the previous one.
type runs struct{ n int }

func (r *runs) next() (string, time.Time) {
	r.n++
	return fmt.Sprintf("run-%04d", r.n), streakBase.Add(time.Duration(r.n) * time.Minute)
}

func (r *runs) fail(stage subjects.Stage, status int) *subjects.RunOutcome {
	id, at := r.next()
	return &subjects.RunOutcome{
		RunID: id, IntegrationID: streakIntegration, Destination: "Salesforce",
		Status: subjects.StatusFailed, FinishedAt: at,
		Failure: failureWithMessage(stage, status, "failure of "+id),
	}
}

func (r *runs) perform() *subjects.RunOutcome { return r.fail(subjects.StagePerform, 500) }

func (r *runs) succeed() *subjects.RunOutcome {
	id, at := r.next()
	return &subjects.RunOutcome{
		RunID: id, IntegrationID: streakIntegration, Destination: "Salesforce",
		Status: subjects.StatusSucceeded, FinishedAt: at,
	}
}

func failureWithMessage(stage subjects.Stage, status int, msg string) *subjects.Failure {
	f := failureWith(stage, status)
	f.Message = msg
	return f
}

// machine drives the state machine and remembers the stream sequence:
// outcomes and enables share one partition log.
type machine struct {
	c            subjects.FailureCounter
	seq          uint64
	disableAfter int
}

func newMachine(disableAfter int) *machine { return &machine{disableAfter: disableAfter} }

func (m *machine) apply(o *subjects.RunOutcome) processor.Transition {
	m.seq++
	var t processor.Transition
	m.c, t = processor.ApplyOutcome(m.c, o, m.seq, policy.After(m.disableAfter).Top())
	return t
}

func (m *machine) enable(by string, at time.Time) bool {
	m.seq++
	var reopened bool
	m.c, reopened = processor.Enable(m.c, subjects.EnableCommand{ID: fmt.Sprint("enable-", m.seq), IntegrationID: streakIntegration, EnabledBy: by, Time: at}, m.seq, policy.After(m.disableAfter).Top())
	return reopened
}

// failN applies n perform failures and returns how many of them disabled.
func (m *machine) failN(t *testing.T, r *runs, n int) int {
	t.Helper()
	disables := 0
	for i := 0; i < n; i++ {
		if m.apply(r.perform()).Disabled {
			disables++
		}
	}
	return disables
}

func TestStreakDisablesOnTwentiethFailureOnly(t *testing.T) {
	m := newMachine(processor.DefaultDisableAfter)
	r := &runs{}
	var first, twentieth time.Time
	for i := 1; i <= 40; i++ {
		o := r.perform()
		if i == 1 {
			first = o.FinishedAt
		}
		if i == 20 {
			twentieth = o.FinishedAt
		}
		tr := m.apply(o)
		if tr.Kind != subjects.KindPerform {
			t.Fatalf("failure %d: kind %q", i, tr.Kind)
		}
		if tr.Disabled != (i == 20) {
			t.Fatalf("failure %d: Transition.Disabled = %v", i, tr.Disabled)
		}
		if m.c.ConsecutiveFailures != i {
			t.Fatalf("failure %d: consecutiveFailures = %d", i, m.c.ConsecutiveFailures)
		}
		if m.c.Disabled != (i >= 20) {
			t.Fatalf("failure %d: counter Disabled = %v", i, m.c.Disabled)
		}
		if i == 19 && (m.c.DisabledEventID != "" || m.c.DisabledAt != nil) {
			t.Fatalf("19 failures: disabled fields set: %+v", m.c)
		}
		if i == 20 {
			if m.c.ConsecutiveFailures != 20 {
				t.Errorf("consecutiveFailures = %d on disable", m.c.ConsecutiveFailures)
			}
			if want := processor.DisabledEventID(streakIntegration, 0).String(); m.c.DisabledEventID != want {
				t.Errorf("DisabledEventID = %q, want %q", m.c.DisabledEventID, want)
			}
			if m.c.DisabledAt == nil || !m.c.DisabledAt.Equal(twentieth) {
				t.Errorf("DisabledAt = %v, want %v", m.c.DisabledAt, twentieth)
			}
		}
		if i >= 20 {
			if m.c.DisabledAt == nil || !m.c.DisabledAt.Equal(twentieth) {
				t.Fatalf("failure %d: DisabledAt moved to %v", i, m.c.DisabledAt)
			}
			if m.c.DisabledEventID != processor.DisabledEventID(streakIntegration, 0).String() {
				t.Fatalf("failure %d: DisabledEventID changed to %q", i, m.c.DisabledEventID)
			}
		}
		if m.c.FirstFailureAt == nil || !m.c.FirstFailureAt.Equal(first) {
			t.Fatalf("failure %d: FirstFailureAt = %v, want %v", i, m.c.FirstFailureAt, first)
		}
		if m.c.LastFailureAt == nil || !m.c.LastFailureAt.Equal(o.FinishedAt) {
			t.Fatalf("failure %d: LastFailureAt = %v", i, m.c.LastFailureAt)
		}
		if m.c.LastRunID != o.RunID || m.c.LastError != o.Failure.Message || m.c.LastAppliedSeq != uint64(i) {
			t.Fatalf("failure %d: last run %q error %q seq %d", i, m.c.LastRunID, m.c.LastError, m.c.LastAppliedSeq)
		}
		if m.c.Episode != 0 {
			t.Fatalf("failure %d: episode %d", i, m.c.Episode)
		}
		if m.c.IntegrationID != streakIntegration || m.c.DisableAfter != 20 {
			t.Fatalf("failure %d: integration %q disableAfter %d", i, m.c.IntegrationID, m.c.DisableAfter)
		}
	}
	if m.c.ConsecutiveFailures != 40 {
		t.Errorf("after 40 failures: consecutiveFailures = %d", m.c.ConsecutiveFailures)
	}
}

func TestStreakEveryKindCounts(t *testing.T) {
	// Failures of any kind count towards the same streak.
	m := newMachine(5)
	r := &runs{}
	outcomes := []*subjects.RunOutcome{
		r.fail(subjects.StageValidate, 0),
		r.fail(subjects.StageMap, 0),
		r.fail(subjects.StageAuthenticate, 0),
		r.fail(subjects.StagePerform, 401),
		r.fail(subjects.StagePerform, 500),
	}
	wantKinds := []subjects.Kind{subjects.KindValidation, subjects.KindMissingAccountMapping, subjects.KindAuthentication, subjects.KindAuthentication, subjects.KindPerform}
	for i, o := range outcomes {
		tr := m.apply(o)
		if tr.Kind != wantKinds[i] {
			t.Errorf("outcome %d: kind %q, want %q", i, tr.Kind, wantKinds[i])
		}
		if tr.Disabled != (i == 4) {
			t.Errorf("outcome %d: Disabled = %v", i, tr.Disabled)
		}
	}
	want := map[string]int{
		"integration.validation.error":            1,
		"integration.missingaccountmapping.error": 1,
		"integration.authentication.error":        2,
		"integration.perform.error":               1,
	}
	if !reflect.DeepEqual(m.c.FailuresByKind, want) {
		t.Errorf("FailuresByKind = %v, want %v", m.c.FailuresByKind, want)
	}
	// Success resets the per-kind counts.
	if tr := m.apply(r.succeed()); tr != (processor.Transition{}) {
		t.Errorf("success transition = %+v", tr)
	}
	if len(m.c.FailuresByKind) != 0 {
		t.Errorf("FailuresByKind after success = %v", m.c.FailuresByKind)
	}
	m.apply(r.fail(subjects.StageMap, 0))
	if want := map[string]int{"integration.missingaccountmapping.error": 1}; !reflect.DeepEqual(m.c.FailuresByKind, want) {
		t.Errorf("FailuresByKind after one more failure = %v, want %v", m.c.FailuresByKind, want)
	}
}

func TestStreakSuccessResetsButStaysDisabled(t *testing.T) {
	m := newMachine(20)
	r := &runs{}
	if d := m.failN(t, r, 25); d != 1 {
		t.Fatalf("25 failures disabled %d times", d)
	}
	disabledID, disabledAt := m.c.DisabledEventID, m.c.DisabledAt
	s := r.succeed()
	tr := m.apply(s)
	if tr != (processor.Transition{}) {
		t.Errorf("success transition = %+v", tr)
	}
	c := m.c
	if c.ConsecutiveFailures != 0 || c.FirstFailureAt != nil || c.LastFailureAt != nil || c.LastError != "" ||
		len(c.FailuresByKind) != 0 || len(c.StreakRunIDs) != 0 {
		t.Errorf("streak not reset: %+v", c)
	}
	if !c.Disabled || c.DisabledEventID != disabledID || c.DisabledAt != disabledAt || c.Episode != 0 {
		t.Errorf("a success changed the disable: %+v", c)
	}
	if c.LastRunID != s.RunID || c.LastAppliedSeq != 26 {
		t.Errorf("success not recorded: lastRunId %q seq %d", c.LastRunID, c.LastAppliedSeq)
	}
	// Same episode: another 20 (and 40) failures do not disable again.
	if d := m.failN(t, r, 40); d != 0 {
		t.Errorf("failures after a success while disabled disabled %d more times", d)
	}
	if m.c.ConsecutiveFailures != 40 || !m.c.Disabled || m.c.DisabledEventID != disabledID || m.c.Episode != 0 {
		t.Errorf("after 40 more failures: %+v", m.c)
	}
}

func TestStreakSuccessBeforeDisableStartsOver(t *testing.T) {
	m := newMachine(20)
	r := &runs{}
	if d := m.failN(t, r, 19); d != 0 {
		t.Fatalf("19 failures disabled")
	}
	m.apply(r.succeed())
	if d := m.failN(t, r, 19); d != 0 {
		t.Fatalf("19 + success + 19 failures disabled")
	}
	if m.c.ConsecutiveFailures != 19 || m.c.Disabled {
		t.Fatalf("counter %+v", m.c)
	}
	if !m.apply(r.perform()).Disabled {
		t.Fatal("20th failure after the success did not disable")
	}
}

func TestEnableOpensNewEpisode(t *testing.T) {
	m := newMachine(20)
	r := &runs{}
	m.failN(t, r, 20)
	firstID := m.c.DisabledEventID
	if firstID == "" {
		t.Fatal("not disabled")
	}
	enabledAt := streakBase.Add(48 * time.Hour)
	if !m.enable("ops@example.com", enabledAt) {
		t.Error("Enable on a disabled counter did not report reopened")
	}
	c := m.c
	if c.Disabled || c.DisabledAt != nil || c.DisabledEventID != "" {
		t.Errorf("still disabled: %+v", c)
	}
	if c.Episode != 1 {
		t.Errorf("episode %d, want 1", c.Episode)
	}
	if c.ConsecutiveFailures != 0 || c.FirstFailureAt != nil || c.LastFailureAt != nil || c.LastError != "" ||
		len(c.FailuresByKind) != 0 || len(c.StreakRunIDs) != 0 {
		t.Errorf("streak not reset: %+v", c)
	}
	if c.EnabledAt == nil || !c.EnabledAt.Equal(enabledAt) || c.EnabledBy != "ops@example.com" || c.LastAppliedSeq != 21 || c.LastEnableID != "enable-21" {
		t.Errorf("enable not recorded: at %v by %q seq %d id %q", c.EnabledAt, c.EnabledBy, c.LastAppliedSeq, c.LastEnableID)
	}
	// The new episode disables again, after a full streak, with a new id.
	if d := m.failN(t, r, 19); d != 0 {
		t.Fatal("19 failures in the new episode disabled")
	}
	if !m.apply(r.perform()).Disabled {
		t.Fatal("20th failure of the new episode did not disable")
	}
	if m.c.DisabledEventID == firstID {
		t.Errorf("second episode reused disabled event id %q", firstID)
	}
	if want := processor.DisabledEventID(streakIntegration, 1).String(); m.c.DisabledEventID != want {
		t.Errorf("DisabledEventID = %q, want %q", m.c.DisabledEventID, want)
	}
	if d := m.failN(t, r, 30); d != 0 {
		t.Errorf("episode 1 disabled %d more times", d)
	}
	// And a third episode has a third id.
	m.enable("ops", time.Time{})
	m.failN(t, r, 20)
	if m.c.Episode != 2 || m.c.DisabledEventID != processor.DisabledEventID(streakIntegration, 2).String() {
		t.Errorf("episode 2: %+v", m.c)
	}
}

func TestEnableWhenNotDisabled(t *testing.T) {
	m := newMachine(20)
	r := &runs{}
	m.failN(t, r, 7)
	if m.enable("ops", streakBase) {
		t.Error("Enable on an enabled counter reported reopened")
	}
	if m.c.Episode != 0 || m.c.Disabled || m.c.ConsecutiveFailures != 0 || len(m.c.StreakRunIDs) != 0 || len(m.c.FailuresByKind) != 0 {
		t.Errorf("after enable: %+v", m.c)
	}
	// The reset streak needs a full 20 failures again, and disables in episode 0.
	if d := m.failN(t, r, 19); d != 0 {
		t.Fatal("disabled before 20 failures")
	}
	if !m.apply(r.perform()).Disabled {
		t.Fatal("20th failure did not disable")
	}
	if m.c.DisabledEventID != processor.DisabledEventID(streakIntegration, 0).String() {
		t.Errorf("DisabledEventID %q is not episode 0's", m.c.DisabledEventID)
	}
	// Enable on a zero counter: nothing to reopen.
	c, reopened := processor.Enable(subjects.FailureCounter{}, subjects.EnableCommand{IntegrationID: "x"}, 9, policy.After(20).Top())
	if reopened || c.Episode != 0 || c.IntegrationID != "x" || c.LastAppliedSeq != 9 || c.DisableAfter != 20 || c.EnabledAt != nil {
		t.Errorf("Enable on zero counter: %+v, %v", c, reopened)
	}
}

func TestStreakRunIDsCapped(t *testing.T) {
	m := newMachine(20)
	r := &runs{}
	var want []string
	for i := 0; i < 45; i++ {
		o := r.perform()
		if i < 20 {
			want = append(want, o.RunID)
		}
		m.apply(o)
		if n := len(m.c.StreakRunIDs); n != min(i+1, 20) {
			t.Fatalf("after %d failures: %d streak run ids", i+1, n)
		}
	}
	if !slices.Equal(m.c.StreakRunIDs, want) {
		t.Errorf("StreakRunIDs = %v, want the first 20 %v", m.c.StreakRunIDs, want)
	}
	// After a success the next streak collects afresh.
	m.apply(r.succeed())
	o := r.perform()
	m.apply(o)
	if !slices.Equal(m.c.StreakRunIDs, []string{o.RunID}) {
		t.Errorf("new streak run ids %v", m.c.StreakRunIDs)
	}
}

func TestStreakRunIDsKeepTheFirstHundred(t *testing.T) {
	m := newMachine(500)
	r := &runs{}
	var want []string
	disables := 0
	for i := range 500 {
		o := r.perform()
		if i < subjects.MaxStreakRunIDs {
			want = append(want, o.RunID)
		}
		if m.apply(o).Disabled {
			disables++
			if i != 499 {
				t.Fatalf("disabled by failure %d", i+1)
			}
		}
	}
	if subjects.MaxStreakRunIDs != 100 || !slices.Equal(m.c.StreakRunIDs, want) || m.c.ConsecutiveFailures != 500 || disables != 1 || !m.c.Disabled {
		t.Errorf("%d streak run ids from %q, %d failures, %d disables", len(m.c.StreakRunIDs), m.c.StreakRunIDs[0], m.c.ConsecutiveFailures, disables)
	}
	// A record stored before the limit, with 999 run ids, keeps its first
	// 100 on its next failure.
	old := m.c
	old.StreakRunIDs = nil
	for i := range 999 {
		old.StreakRunIDs = append(old.StreakRunIDs, fmt.Sprint("old-", i))
	}
	m.c = old
	m.apply(r.perform())
	if len(m.c.StreakRunIDs) != 100 || m.c.StreakRunIDs[0] != "old-0" || m.c.StreakRunIDs[99] != "old-99" || len(old.StreakRunIDs) != 999 {
		t.Errorf("an old record's %d run ids became %d from %q", len(old.StreakRunIDs), len(m.c.StreakRunIDs), m.c.StreakRunIDs[0])
	}
}

func TestDisableAfterOne(t *testing.T) {
	m := newMachine(1)
	r := &runs{}
	o := r.fail(subjects.StageValidate, 0)
	tr := m.apply(o)
	if !tr.Disabled || tr.Kind != subjects.KindValidation {
		t.Fatalf("first failure: %+v", tr)
	}
	if !m.c.Disabled || m.c.ConsecutiveFailures != 1 || !slices.Equal(m.c.StreakRunIDs, []string{o.RunID}) {
		t.Errorf("counter %+v", m.c)
	}
	if m.apply(r.perform()).Disabled {
		t.Error("second failure disabled again")
	}
	if len(m.c.StreakRunIDs) != 1 {
		t.Errorf("StreakRunIDs %v, cap is 1", m.c.StreakRunIDs)
	}
	m.enable("ops", time.Time{})
	if !m.apply(r.perform()).Disabled {
		t.Error("first failure after enable did not disable")
	}
}

func TestDisableAfterChangeApplies(t *testing.T) {
	// The threshold is the caller's: lowering it disables on the next failure.
	r := &runs{}
	c := subjects.FailureCounter{}
	for i := 0; i < 10; i++ {
		c, _ = processor.ApplyOutcome(c, r.perform(), uint64(i+1), policy.After(20).Top())
	}
	c, tr := processor.ApplyOutcome(c, r.perform(), 11, policy.After(5).Top())
	if !tr.Disabled || c.DisableAfter != 5 {
		t.Errorf("11 failures with disableAfter lowered to 5: %+v, %+v", tr, c)
	}
}

func TestApplyOutcomeDoesNotMutateInput(t *testing.T) {
	r := &runs{}
	first := streakBase
	runIDs := make([]string, 2, 64) // spare capacity: an append must not write into it
	runIDs[0], runIDs[1] = "old-1", "old-2"
	in := subjects.FailureCounter{
		IntegrationID:       streakIntegration,
		ConsecutiveFailures: 2,
		DisableAfter:        3,
		FirstFailureAt:      &first,
		FailuresByKind:      map[string]int{"integration.perform.error": 2},
		StreakRunIDs:        runIDs,
		LastAppliedSeq:      2,
	}
	snapshotMap := map[string]int{"integration.perform.error": 2}
	out, tr := processor.ApplyOutcome(in, r.fail(subjects.StageMap, 0), 3, policy.After(3).Top())
	if !tr.Disabled {
		t.Fatalf("third failure did not disable: %+v", out)
	}
	if !reflect.DeepEqual(in.FailuresByKind, snapshotMap) {
		t.Errorf("input FailuresByKind mutated: %v", in.FailuresByKind)
	}
	if len(in.StreakRunIDs) != 2 || runIDs[:3][2] != "" {
		t.Errorf("input StreakRunIDs mutated: %v (backing %v)", in.StreakRunIDs, runIDs[:3])
	}
	if in.Disabled || in.ConsecutiveFailures != 2 || in.DisabledEventID != "" || !in.FirstFailureAt.Equal(streakBase) {
		t.Errorf("input counter mutated: %+v", in)
	}
	// The output is independent of the input too.
	out.FailuresByKind["integration.perform.error"] = 99
	out.StreakRunIDs[0] = "changed"
	if in.FailuresByKind["integration.perform.error"] != 2 || in.StreakRunIDs[0] != "old-1" {
		t.Error("output shares the input's map or slice")
	}
	// A success and an enable leave the input alone as well.
	in2 := out
	in2.FailuresByKind = map[string]int{"k": 1}
	in2.StreakRunIDs = []string{"a"}
	processor.ApplyOutcome(in2, r.succeed(), 4, policy.After(3).Top())
	processor.Enable(in2, subjects.EnableCommand{IntegrationID: streakIntegration}, 1, policy.After(3).Top())
	if in2.FailuresByKind["k"] != 1 || len(in2.StreakRunIDs) != 1 || !in2.Disabled {
		t.Errorf("success or enable mutated its input: %+v", in2)
	}
	// The outcome is not mutated either.
	o := r.perform()
	before := *o
	beforeFailure := *o.Failure
	processor.ApplyOutcome(subjects.FailureCounter{}, o, 1, policy.After(20).Top())
	if !reflect.DeepEqual(*o, before) || !reflect.DeepEqual(*o.Failure, beforeFailure) {
		t.Error("ApplyOutcome mutated the outcome")
	}
}

func TestApplyOutcomeTimesAreCopies(t *testing.T) {
	r := &runs{}
	o := r.perform()
	c, _ := processor.ApplyOutcome(subjects.FailureCounter{}, o, 1, policy.After(20).Top())
	o.FinishedAt = o.FinishedAt.Add(time.Hour)
	if c.FirstFailureAt.Equal(o.FinishedAt) || c.LastFailureAt.Equal(o.FinishedAt) {
		t.Error("counter times point into the outcome")
	}
}

// refModel is an independent statement of the failure-streak rules.
type refModel struct {
	disableAfter int
	streak       int
	disabled     bool
	episode      int
	byKind       map[string]int
	runIDs       []string
	first, last  time.Time
	lastErr      string
	lastRunID    string
	disabledAt   time.Time
}

func refKind(f *subjects.Failure) string {
	switch f.Stage {
	case subjects.StageValidate:
		return "integration.validation.error"
	case subjects.StageMap:
		return "integration.missingaccountmapping.error"
	case subjects.StageAuthenticate:
		return "integration.authentication.error"
	}
	if f.HTTP != nil && f.HTTP.Response != nil && f.HTTP.Response.Status == 401 {
		return "integration.authentication.error"
	}
	return "integration.perform.error"
}

func (r *refModel) reset() {
	r.streak, r.byKind, r.runIDs, r.lastErr = 0, map[string]int{}, nil, ""
	r.first, r.last = time.Time{}, time.Time{}
}

// outcome returns whether o disables.
func (r *refModel) outcome(o *subjects.RunOutcome) (kind string, disables bool) {
	r.lastRunID = o.RunID
	if o.Status == subjects.StatusSucceeded {
		r.reset()
		return "", false
	}
	kind = refKind(o.Failure)
	r.streak++
	if r.streak == 1 {
		r.first = o.FinishedAt
	}
	r.last = o.FinishedAt
	r.lastErr = o.Failure.Message
	r.byKind[kind]++
	if len(r.runIDs) < min(r.disableAfter, subjects.MaxStreakRunIDs) {
		r.runIDs = append(r.runIDs, o.RunID)
	}
	if !r.disabled && r.streak >= r.disableAfter {
		r.disabled, r.disabledAt = true, o.FinishedAt
		return kind, true
	}
	return kind, false
}

func (r *refModel) enable() bool {
	r.reset()
	if r.disabled {
		r.disabled, r.disabledAt = false, time.Time{}
		r.episode++
		return true
	}
	return false
}

func TestStreakAgainstReferenceModel(t *testing.T) {
	stages := []subjects.Stage{subjects.StageValidate, subjects.StageMap, subjects.StageAuthenticate, subjects.StagePerform}
	statuses := []int{0, 200, 400, 401, 403, 404, 429, 500}
	for _, tc := range []struct {
		seed         int64
		disableAfter int
	}{{1, 20}, {2, 1}, {3, 2}, {4, 5}, {5, 20}, {6, 3}} {
		t.Run(fmt.Sprintf("seed%d_after%d", tc.seed, tc.disableAfter), func(t *testing.T) {
			rng := rand.New(rand.NewSource(tc.seed))
			m := newMachine(tc.disableAfter)
			ref := &refModel{disableAfter: tc.disableAfter, byKind: map[string]int{}}
			r := &runs{}
			disabledIDs := map[string]int{} // disabled event id -> episode
			disables := 0
			// Bias towards failures, so that streaks long enough to disable happen.
			for step := 0; step < 10000; step++ {
				p := rng.Intn(100)
				switch {
				case p < 80:
					o := r.fail(stages[rng.Intn(len(stages))], statuses[rng.Intn(len(statuses))])
					tr := m.apply(o)
					kind, dis := ref.outcome(o)
					if string(tr.Kind.EventName()) != kind || tr.Disabled != dis {
						t.Fatalf("step %d: transition %+v, model kind %s disables %v", step, tr, kind, dis)
					}
					if dis {
						disables++
						if ep, seen := disabledIDs[m.c.DisabledEventID]; seen {
							t.Fatalf("step %d: disabled event id reused (episode %d and %d)", step, ep, m.c.Episode)
						}
						disabledIDs[m.c.DisabledEventID] = m.c.Episode
					}
				case p < 95:
					o := r.succeed()
					failed := ref.streak
					if ref.disabled {
						failed = 0
					}
					tr := m.apply(o)
					ref.outcome(o)
					if tr.Kind != "" || tr.Disabled || tr.Warning != nil || (tr.Recovered == nil) != (failed == 0) ||
						tr.Recovered != nil && tr.Recovered.FailedRuns != failed {
						t.Fatalf("step %d: success transition %+v, model: %d failed runs recovered", step, tr, failed)
					}
				default:
					at := streakBase.Add(time.Duration(step) * time.Second)
					if got, want := m.enable("ops", at), ref.enable(); got != want {
						t.Fatalf("step %d: reopened %v, model %v", step, got, want)
					}
				}
				c := m.c
				if c.ConsecutiveFailures != ref.streak || c.Disabled != ref.disabled || c.Episode != ref.episode ||
					c.LastError != ref.lastErr || c.DisableAfter != tc.disableAfter {
					t.Fatalf("step %d: counter %+v, model %+v", step, c, ref)
				}
				if len(ref.byKind) == 0 && len(c.FailuresByKind) != 0 || len(ref.byKind) != 0 && !reflect.DeepEqual(c.FailuresByKind, ref.byKind) {
					t.Fatalf("step %d: FailuresByKind %v, model %v", step, c.FailuresByKind, ref.byKind)
				}
				if !slices.Equal(c.StreakRunIDs, ref.runIDs) {
					t.Fatalf("step %d: StreakRunIDs %v, model %v", step, c.StreakRunIDs, ref.runIDs)
				}
				if (c.FirstFailureAt == nil) != ref.first.IsZero() || c.FirstFailureAt != nil && !c.FirstFailureAt.Equal(ref.first) ||
					(c.LastFailureAt == nil) != ref.last.IsZero() || c.LastFailureAt != nil && !c.LastFailureAt.Equal(ref.last) {
					t.Fatalf("step %d: first/last failure %v %v, model %v %v", step, c.FirstFailureAt, c.LastFailureAt, ref.first, ref.last)
				}
				if c.Disabled {
					if c.DisabledAt == nil || !c.DisabledAt.Equal(ref.disabledAt) ||
						c.DisabledEventID != processor.DisabledEventID(streakIntegration, ref.episode).String() {
						t.Fatalf("step %d: disabled at %v id %q, model at %v episode %d", step, c.DisabledAt, c.DisabledEventID, ref.disabledAt, ref.episode)
					}
				} else if c.DisabledAt != nil || c.DisabledEventID != "" {
					t.Fatalf("step %d: enabled counter has disable fields %+v", step, c)
				}
				if c.LastRunID != ref.lastRunID && ref.lastRunID != "" {
					t.Fatalf("step %d: LastRunID %q, model %q", step, c.LastRunID, ref.lastRunID)
				}
			}
			if disables < 5 {
				t.Errorf("only %d disables in 10000 steps: the test does not exercise the state machine", disables)
			}
			if ref.episode < 5 {
				t.Errorf("only %d episodes", ref.episode)
			}
			// At most one disable per episode.
			if disables != len(disabledIDs) || disables > ref.episode+1 {
				t.Errorf("%d disables, %d distinct ids, %d episodes", disables, len(disabledIDs), ref.episode+1)
			}
		})
	}
}
