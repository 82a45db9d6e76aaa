package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// startServe runs serve on a fresh data directory and connects a client.
func startServe(t *testing.T, extra ...string) (*Serve, *nats.Conn) {
	t.Helper()
	s := StartServe(t, t.TempDir(), FreePort(t), extra...)
	return s, Connect(t, s.URL)
}

// subscribe collects the core NATS messages on subject.
type subscription struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func subscribe(t *testing.T, nc *nats.Conn, subject string) *subscription {
	t.Helper()
	s := &subscription{}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return s
}

func (s *subscription) all() []*nats.Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*nats.Msg(nil), s.msgs...)
}

func (s *subscription) waitCount(t *testing.T, n int) []*nats.Msg {
	t.Helper()
	CheckFor(t, 30*time.Second, 10*time.Millisecond, func() error {
		if got := len(s.all()); got != n {
			return fmt.Errorf("got %d messages, want %d", got, n)
		}
		return nil
	})
	return s.all()
}

func TestStreakDisablesOnceAndEnableOpensNewEpisode(t *testing.T) {
	_, nc := startServe(t)
	events := subscribe(t, nc, "integrations.events.>")
	disables := subscribe(t, nc, "integrations.commands.disable.>")
	const id = "sf-acme"

	for i := 1; i <= 19; i++ {
		Publish(t, nc, workload.Failed(id, fmt.Sprintf("r%d", i), subjects.StagePerform, 500))
	}
	WaitCounter(t, nc, id, Streak(19, false))
	if n := len(disables.all()); n != 0 {
		t.Fatalf("%d disable commands after 19 failures", n)
	}
	// The default policy warns at 50, 75 and 90% of 20: after the 10th,
	// 15th and 18th failure's own event.
	checkWarnings(t, events.waitCount(t, 19+3), id, map[int]int{10: 50, 15: 75, 18: 90})

	Publish(t, nc, workload.Failed(id, "r20", subjects.StageValidate, 0))
	c := WaitCounter(t, nc, id, Streak(20, true))
	got := events.waitCount(t, 22+2)
	disabled := DecodeEvent(t, got[23])
	if disabled.Type != "integration.disabled.error" || disabled.Subject != "integrations.events.disabled."+id {
		t.Fatalf("24th event is %s on %s", disabled.Type, disabled.Subject)
	}
	if d := disabled.Data; d.ConsecutiveFailures != 20 || d.DisableAfter != 20 || len(d.StreakRunIDs) != 20 ||
		d.FailuresByKind["integration.perform.error"] != 19 || d.FailuresByKind["integration.validation.error"] != 1 ||
		d.FirstFailureAt == nil || d.LastErrorMessage == "" || d.FollowUp.Action != subjects.FollowUpGoToIntegration {
		t.Fatalf("disabled event data does not summarise the streak: %+v", d)
	}
	cmds := disables.waitCount(t, 1)
	var cmd subjects.DisableCommand
	if err := json.Unmarshal(cmds[0].Data, &cmd); err != nil {
		t.Fatal(err)
	}
	if cmd.IntegrationID != id || cmd.DisabledEventID != disabled.ID || cmd.DisabledEventID != c.DisabledEventID || cmd.Reason == "" {
		t.Fatalf("disable command %+v does not match disabled event %s", cmd, disabled.ID)
	}

	// Failures while disabled still raise their events and count, but never
	// a second disable nor a warning.
	for i := 21; i <= 45; i++ {
		Publish(t, nc, workload.Failed(id, fmt.Sprintf("r%d", i), subjects.StagePerform, 503))
	}
	WaitCounter(t, nc, id, Streak(45, true))
	events.waitCount(t, 24+25)
	// A success (a run that started before the disable) resets the streak
	// but stays disabled, and is no recovery: no event.
	Publish(t, nc, workload.Succeeded(id, "ok1"))
	WaitCounter(t, nc, id, Streak(0, true))
	for i := 46; i <= 66; i++ {
		Publish(t, nc, workload.Failed(id, fmt.Sprintf("r%d", i), subjects.StageAuthenticate, 0))
	}
	WaitCounter(t, nc, id, Streak(21, true))
	episode0 := events.waitCount(t, 49+21)
	if n := countTypes(episode0)[subjects.KindWarning.EventName()]; n != 3 {
		t.Fatalf("%d warnings in episode 0, want the 3 before the disable", n)
	}
	if n := countTypes(episode0)[subjects.KindRecovered.EventName()]; n != 0 {
		t.Fatalf("%d recoveries: a success while disabled is none", n)
	}
	if n := len(disables.all()); n != 1 {
		t.Fatalf("%d disable commands in one episode, want 1", n)
	}

	// The operator re-enables it: streak reset, new episode, and the next 20 failures disable again.
	after, err := API(nc).EnableIntegration(t.Context(), subjects.EnableIntegrationRequest{IntegrationID: id, EnabledBy: "ops@example.com"})
	if err != nil {
		t.Fatalf("enable: %v", err)
	}
	if after.Disabled || after.ConsecutiveFailures != 0 || after.Episode != 1 || after.EnabledBy != "ops@example.com" {
		t.Fatalf("after enable: %+v", after)
	}
	for i := 67; i <= 86; i++ {
		Publish(t, nc, workload.Failed(id, fmt.Sprintf("r%d", i), subjects.StageMap, 0))
	}
	WaitCounter(t, nc, id, Streak(20, true))
	// The new episode's streak warns again, at the same failures.
	all := events.waitCount(t, 70+20+3+1)
	checkWarnings(t, all[70:], id, map[int]int{10: 50, 15: 75, 18: 90})
	cmds = disables.waitCount(t, 2)
	var cmd2 subjects.DisableCommand
	_ = json.Unmarshal(cmds[1].Data, &cmd2)
	if cmd2.Episode != 1 || cmd2.DisabledEventID == cmd.DisabledEventID {
		t.Fatalf("second episode's disable %+v repeats the first %+v", cmd2, cmd)
	}
	// The stream holds exactly what the subscriber saw: no duplicates.
	stored := StoredEvents(t, nc)
	if len(stored) != 94 {
		t.Fatalf("%d events stored, want %d", len(stored), 94)
	}
}

// countTypes counts msgs, CloudEvents, by type.
func countTypes(msgs []*nats.Msg) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		var e struct{ Type string }
		_ = json.Unmarshal(m.Data, &e)
		n[e.Type]++
	}
	return n
}

// checkWarnings checks msgs, the events of one streak of integration id in
// the order published, for the warnings at: the failure (its 1-based place
// among the streak's failure events) that raises each, and its percent. A
// warning must follow its failure's own event, and there must be no other.
func checkWarnings(t *testing.T, msgs []*nats.Msg, id string, at map[int]int) {
	t.Helper()
	failures, warned := 0, 0
	for i, m := range msgs {
		e := DecodeEvent(t, m)
		if e.Type != subjects.KindWarning.EventName() {
			if e.Type != subjects.KindDisabled.EventName() {
				failures++
			}
			continue
		}
		warned++
		want, ok := at[failures]
		if !ok || i == 0 || e.Data.Percent != want || e.Subject != "integrations.events.warning."+id || e.Data.ConsecutiveFailures != failures {
			t.Fatalf("warning %s at %d%% on %s after failure %d (streak %d), want one only after failures %v", e.ID, e.Data.Percent, e.Subject, failures, e.Data.ConsecutiveFailures, at)
		}
		if prev := DecodeEvent(t, msgs[i-1]); prev.Data.RunID != e.Data.RunID {
			t.Fatalf("warning of run %s follows the event of run %s", e.Data.RunID, prev.Data.RunID)
		}
	}
	if warned != len(at) {
		t.Fatalf("%d warnings, want %d (after failures %v)", warned, len(at), at)
	}
}

func TestEachKindHasItsFollowUpAndDrillDown(t *testing.T) {
	_, nc := startServe(t)
	events := subscribe(t, nc, "integrations.events.>")
	cases := []struct {
		o       subjects.RunOutcome
		kind    subjects.Kind
		action  string
		subject string
	}{
		{workload.Failed("a1", "v1", subjects.StageValidate, 0), subjects.KindValidation, subjects.FollowUpGoToIntegrationRun, "integrations.events.validation.a1"},
		{workload.Failed("a2", "m1", subjects.StageMap, 0), subjects.KindMissingAccountMapping, subjects.FollowUpCreateExternalMapping, "integrations.events.missingaccountmapping.a2"},
		{workload.Failed("a3", "au1", subjects.StageAuthenticate, 0), subjects.KindAuthentication, subjects.FollowUpGoToIntegration, "integrations.events.authentication.a3"},
		{workload.Failed("a4", "p401", subjects.StagePerform, http.StatusUnauthorized), subjects.KindAuthentication, subjects.FollowUpGoToIntegration, "integrations.events.authentication.a4"},
		{workload.Failed("a5", "p422", subjects.StagePerform, 422), subjects.KindPerform, subjects.FollowUpGoToIntegrationRun, "integrations.events.perform.a5"},
	}
	for _, c := range cases {
		Publish(t, nc, c.o)
	}
	msgs := events.waitCount(t, len(cases))
	bySubject := map[string]Event{}
	for _, m := range msgs {
		if ct := m.Header.Get("Content-Type"); ct != subjects.CloudEventsContentType {
			t.Fatalf("Content-Type %q", ct)
		}
		bySubject[m.Subject] = DecodeEvent(t, m)
	}
	for _, c := range cases {
		e, ok := bySubject[c.subject]
		if !ok {
			t.Fatalf("no event on %s", c.subject)
		}
		wantID := processor.FailureEventID(c.o.IntegrationID, c.o.RunID, c.kind).String()
		if e.Type != c.kind.EventName() || e.ID != wantID || e.Header.Get("Nats-Msg-Id") != wantID || e.Source != subjects.EventSource {
			t.Errorf("%s: type %s id %s, want %s %s", c.subject, e.Type, e.ID, c.kind.EventName(), wantID)
		}
		d := e.Data
		if d.FollowUp.Action != c.action || d.EventName != c.kind.EventName() || d.RunID != c.o.RunID || d.Destination != "Salesforce" ||
			d.ConsecutiveFailures != 1 || d.DisableAfter != 20 || !strings.Contains(d.Message, "Salesforce") {
			t.Errorf("%s: data %+v", c.subject, d)
		}
	}
	m := bySubject["integrations.events.missingaccountmapping.a2"].Data.FollowUp
	if m.M3terEntity != "Account" || m.M3terID != "acct-m1" || m.ExternalSystem != "Salesforce" {
		t.Errorf("mapping follow-up not prefilled: %+v", m)
	}
	perform := bySubject["integrations.events.perform.a5"]
	h := perform.Data.HTTP
	if h == nil || h.Request == nil || h.Response == nil || h.Response.Status != 422 {
		t.Fatalf("perform event has no HTTP drill-down: %s", perform.Raw)
	}
	if h.Request.Headers["Authorization"][0] != redact.Marker || !strings.Contains(h.Request.URL, "access_token="+redact.Marker) {
		t.Errorf("credentials not redacted: %+v", h.Request)
	}
	for _, e := range bySubject {
		if strings.Contains(string(e.Raw), "sekret") {
			t.Errorf("a secret reached event %s: %s", e.Subject, e.Raw)
		}
	}
}

func TestBadInputIsDeadLetteredAndChangesNothing(t *testing.T) {
	s, nc := startServe(t)
	dead := subscribe(t, nc, "integrations.deadletter")
	const id = "bad-target"
	for i := 1; i <= 3; i++ {
		Publish(t, nc, workload.Failed(id, fmt.Sprintf("r%d", i), subjects.StagePerform, 500))
	}
	before := WaitCounter(t, nc, id, Streak(3, false))

	valid, _ := json.Marshal(workload.Failed(id, "x", subjects.StagePerform, 500))
	mutate := func(f func(map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(valid, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	big := mutate(func(m map[string]any) {
		m["runId"] = "big"
		m["log"] = []any{map[string]any{"message": strings.Repeat("x", 1<<20)}}
	})
	cases := []struct {
		subject, reason string
		data            []byte
	}{
		{"integrations.runs." + id, "unexpected end of JSON", []byte(`{"runId": "r9", `)},
		{"integrations.runs." + id, "runId is required", mutate(func(m map[string]any) { delete(m, "runId") })},
		{"integrations.runs." + id, "does not match the subject", mutate(func(m map[string]any) { m["integrationId"] = "other" })},
		{"integrations.runs." + id, `status "exploded" is unknown`, mutate(func(m map[string]any) { m["status"] = "exploded" })},
		{"integrations.runs." + id, `failure.stage "deploy" is unknown`, mutate(func(m map[string]any) { m["failure"].(map[string]any)["stage"] = "deploy" })},
		{"integrations.runs." + id, "finishedAt is required", mutate(func(m map[string]any) { delete(m, "finishedAt") })},
		{"integrations.runs." + id, "over the 1048576 byte limit", big},
		{"integrations.runs." + id, "not valid UTF-8", []byte("{\"runId\":\"\xff\xfe\"}")},
		{"integrations.runs." + id, "field runId must be string", []byte(`{"runId": 7}`)},
		{"integrations.runs.a.b", `integration id "a.b" has '.'`, valid},
		{"integrations.runs.bad$id", `integration id "bad$id" has '$'`, valid},
	}
	for _, c := range cases {
		PublishRaw(t, nc, c.subject, c.data)
	}
	got := dead.waitCount(t, len(cases))
	// Partitions run in parallel, so records arrive in any order: match each
	// case to exactly one record by subject and reason.
	for i, c := range cases {
		matches := 0
		for _, m := range got {
			reason := m.Header.Get(subjects.HeaderDeadLetterReason)
			if m.Header.Get(subjects.HeaderOriginalSubject) != c.subject || !strings.Contains(reason, c.reason) {
				continue
			}
			matches++
			var dl subjects.DeadLetter
			if err := json.Unmarshal(m.Data, &dl); err != nil || dl.Reason != reason || dl.OriginalSubject != c.subject || dl.Size != len(c.data) {
				t.Errorf("case %d: body reason %q subject %q size %d (%v)", i, dl.Reason, dl.OriginalSubject, dl.Size, err)
			}
			if dl.Payload == "" && dl.PayloadBase64 == "" {
				t.Errorf("case %d: the rejected message is not in the record", i)
			}
		}
		if matches != 1 {
			t.Errorf("case %d: %d dead letters on %s with reason %q, want 1", i, matches, c.subject, c.reason)
		}
	}
	// Still alive, nothing counted: the next valid outcome makes the streak 4.
	Publish(t, nc, workload.Failed(id, "r4", subjects.StagePerform, 500))
	after := WaitCounter(t, nc, id, Streak(4, false))
	if after.FailuresByKind["integration.perform.error"] != before.FailuresByKind["integration.perform.error"]+1 {
		t.Fatalf("counter changed by bad input: %+v then %+v", before, after)
	}
	if n := strings.Count(s.Output(), "message dead-lettered"); n != len(cases) {
		t.Errorf("%d dead-letter warnings logged, want %d (once each)", n, len(cases))
	}
	if strings.Contains(s.Output(), "sekret") {
		t.Error("a secret reached the log")
	}
}

func TestResentRunIsCountedOnceAcrossRestart(t *testing.T) {
	dir, listen := t.TempDir(), FreePort(t)
	s := StartServe(t, dir, listen)
	nc := Connect(t, s.URL)
	const id = "resend"
	Publish(t, nc, workload.Failed(id, "r1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(id, "r2", subjects.StagePerform, 500))
	Publish(t, nc, workload.Succeeded(id, "ok3"))
	Publish(t, nc, workload.Failed(id, "r4", subjects.StagePerform, 500))
	WaitCounter(t, nc, id, func(c subjects.FailureCounter) error {
		if c.LastRunID != "r4" || c.ConsecutiveFailures != 1 {
			return fmt.Errorf("%+v", c)
		}
		return nil
	})
	// Resends after newer outcomes: the old success would reset the streak, the old failures would count.
	Publish(t, nc, workload.Succeeded(id, "ok3"))
	Publish(t, nc, workload.Failed(id, "r1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(id, "r5", subjects.StagePerform, 500))
	WaitCounter(t, nc, id, Streak(2, false))
	if err := s.Terminate(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, s.Output())
	}
	nc.Close()

	s = StartServe(t, dir, listen)
	nc = Connect(t, s.URL)
	Publish(t, nc, workload.Failed(id, "r2", subjects.StagePerform, 500))
	Publish(t, nc, workload.Succeeded(id, "ok3"))
	Publish(t, nc, workload.Failed(id, "r6", subjects.StagePerform, 500))
	c := WaitCounter(t, nc, id, Streak(3, false))
	if c.LastRunID != "r6" {
		t.Fatalf("last run %s", c.LastRunID)
	}
	// ok3 ended a streak of two while enabled: one recovery, not repeated
	// by its resends.
	stored := StoredEvents(t, nc)
	if len(stored) != 6 {
		t.Fatalf("%d events stored, want 6 (r1 r2, ok3's recovery, r4 r5 r6)", len(stored))
	}
	if rec := stored[2]; rec.Type != subjects.KindRecovered.EventName() || rec.ID != processor.RecoveredEventID(id, "ok3").String() || rec.Data.FailedRuns != 2 {
		t.Fatalf("third event is %s %s (failedRuns %d), want ok3's recovery of 2 failed runs", rec.Type, rec.ID, rec.Data.FailedRuns)
	}
}
