package workload_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// TestDayIsARealisticDay checks what the demo and the console's screenshots
// rely on: every outcome is admitted, in time order within the day, every
// kind of event is raised, NetSuite and Xero end disabled and no other
// integration does, and the credentials runners send are redacted.
func TestDayIsARealisticDay(t *testing.T) {
	now := time.Now()
	day := workload.Day(now)
	m := workload.NewModel(policy.After(20))
	kinds := map[subjects.Kind]int{}
	var last time.Time
	for _, o := range day {
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		admitted, err := processor.Admit(o.IntegrationID, b, now)
		if err != nil {
			t.Fatalf("%s %s not admitted: %v", o.IntegrationID, o.RunID, err)
		}
		if o.FinishedAt.Before(last) || o.FinishedAt.Before(now.Add(-workload.DayHours*time.Hour-time.Minute)) || o.FinishedAt.After(now) {
			t.Fatalf("%s finished at %s: out of order or outside the day", o.RunID, o.FinishedAt)
		}
		last = o.FinishedAt
		if o.Failure != nil {
			rule, _ := processor.Classify(o.Destination, o.Failure)
			kinds[rule.Kind]++
			if a, _ := json.Marshal(admitted); strings.Contains(string(a), "demo") {
				t.Errorf("%s %s: a credential survived redaction: %s", o.IntegrationID, o.RunID, a)
			}
			// The console shows the message: it must read as written.
			if admitted.Failure.Message != o.Failure.Message {
				t.Errorf("%s %s: message redacted to %q", o.IntegrationID, o.RunID, admitted.Failure.Message)
			}
		}
		m.Apply(o)
	}
	for _, k := range []subjects.Kind{subjects.KindValidation, subjects.KindMissingAccountMapping, subjects.KindAuthentication, subjects.KindPerform} {
		if kinds[k] == 0 {
			t.Errorf("no %s failure in the day: %v", k, kinds)
		}
	}
	for _, id := range m.Integrations() {
		want := id == workload.DayNetSuite || id == workload.DayXero
		if c := m.Counters[id]; c.Disabled != want {
			t.Errorf("%s disabled %t, want %t", id, c.Disabled, want)
		}
	}
	if len(m.Integrations()) != 6 {
		t.Errorf("integrations %v, want 6", m.Integrations())
	}

	// The trickle never disables anything, however long it runs.
	m.Enable(workload.DayNetSuite)
	for n := range 500 {
		o := workload.Trickle(n, now)
		if o.IntegrationID == workload.DayXero {
			t.Fatal("the trickle runs the disabled Xero integration")
		}
		m.Apply(o)
	}
	for _, id := range m.Integrations() {
		if c := m.Counters[id]; id != workload.DayXero && (c.Streak > 1 || c.Disabled) {
			t.Errorf("after the trickle %s: %+v", id, c)
		}
	}
}
