package processor

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// planned decodes data, stored at seq as a message of kind of "int-a",
// takes firstSeq as the resend lookup's answer (0: its own), and plans it
// on c.
func planned(t *testing.T, c subjects.FailureCounter, kind string, seq uint64, data any, firstSeq uint64) plan {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	stored := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	in := &input{m: store.Msg{Seq: seq, Time: stored, Data: b}, pm: subjects.Partitioned{Kind: kind, IntegrationID: "int-a"}}
	in.decode()
	in.firstSeq = seq
	if firstSeq != 0 {
		in.firstSeq = firstSeq
	}
	pl, err := planInput(c, in, policy.After(2), subjects.Default())
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func failedRun(runID string) subjects.RunOutcome {
	return subjects.RunOutcome{RunID: runID, IntegrationID: "int-a", Destination: "Salesforce", Status: subjects.StatusFailed,
		FinishedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Failure: &subjects.Failure{Stage: subjects.StageValidate, Message: "bad field"}}
}

// TestPlanDecidesEachDeliveryOnce walks one integration through the
// planner: every way a delivery is skipped, applied without a write,
// applied, disabling, refused, and enabled again.
func TestPlanDecidesEachDeliveryOnce(t *testing.T) {
	var c subjects.FailureCounter
	first := planned(t, c, subjects.StoredRun, 10, failedRun("r1"), 0)
	// Half of disableAfter 2 is the first failure: it warns at 50%.
	if first.skip != skipNone || !first.write || len(first.events) != 2 || first.events[1].Kind != subjects.KindWarning || first.disable != nil || first.next.LastAppliedSeq != 10 || first.tally.seq != 10 {
		t.Fatalf("a first failure: %+v", first)
	}
	c = first.next

	if pl := planned(t, c, subjects.StoredRun, 10, failedRun("r1"), 0); pl.skip != skipApplied || pl.write || pl.tally.seq != 0 {
		t.Errorf("a redelivery: %+v", pl)
	}
	if pl := planned(t, c, subjects.StoredRun, 11, failedRun("r1"), 10); pl.skip != skipResent || pl.write || len(pl.events) != 0 || pl.tally.resentOf != 10 {
		t.Errorf("a resend: %+v", pl)
	}
	if pl := planned(t, c, subjects.StoredRun, 12, map[string]any{"runId": "r2", "status": "odd"}, 0); pl.in.refused == nil || pl.skip != skipNone || pl.write || pl.tally.seq != 0 {
		t.Errorf("a refused outcome: %+v", pl)
	}

	second := planned(t, c, subjects.StoredRun, 13, failedRun("r3"), 0)
	if !second.write || len(second.events) != 2 || second.disable == nil || !second.tally.disabled || second.tally.episode != 0 {
		t.Fatalf("the failure that disables: %+v", second)
	}
	if second.disable.msgID != "disable-"+second.next.DisabledEventID || second.disable.subject != subjects.Default().Disable("int-a") {
		t.Errorf("disable command %s on %s", second.disable.msgID, second.disable.subject)
	}
	if c.ConsecutiveFailures != 1 {
		t.Errorf("planning changed the counter it was given: %+v", c)
	}
	c = second.next

	enable := planned(t, c, subjects.StoredEnable, 14, map[string]any{"id": "e1", "integrationId": "int-a", "enabledBy": "ops"}, 0)
	if !enable.write || enable.next.Disabled || enable.next.Episode != 1 || !enable.tally.enabled || enable.next.EnabledAt == nil || !enable.next.EnabledAt.Equal(enable.in.m.Time) {
		t.Fatalf("an enable without a time: %+v", enable)
	}
	c = enable.next

	ok := failedRun("r4")
	ok.Status, ok.Failure = subjects.StatusSucceeded, nil
	if pl := planned(t, c, subjects.StoredRun, 15, ok, 0); pl.write || pl.skip != skipNone || pl.tally.seq != 15 || !pl.tally.outcome {
		t.Errorf("a success without a streak: %+v", pl)
	}
}
