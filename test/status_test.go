package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go/jetstream"
)

// statusJSON runs `status --json` against url and decodes what it printed.
func statusJSON(t *testing.T, url string) (subjects.DeploymentStatus, string, error) {
	t.Helper()
	out, err := exec.Command(Binary(t), "status", "--json", "--server", url).Output()
	var st subjects.DeploymentStatus
	if jerr := json.Unmarshal(out, &st); jerr != nil {
		t.Fatalf("status --json printed what is not a DeploymentStatus (%v; exit %v):\n%s", jerr, err, out)
	}
	return st, string(out), err
}

func TestStatusSummarisesTheDeployment(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--disable-after", "3")
	nc := Connect(t, s.URL)
	outcomes := []subjects.RunOutcome{
		workload.Failed("st-auth", "a1", subjects.StageAuthenticate, 0),
		workload.Failed("st-auth", "a2", subjects.StageAuthenticate, 0), // warns: 50% of 3
		workload.Failed("st-auth", "a3", subjects.StageAuthenticate, 0), // disables it
		workload.Failed("st-val", "v1", subjects.StageValidate, 0),
		workload.Failed("st-map", "m1", subjects.StageMap, 0),
		workload.Failed("st-map", "m2", subjects.StageMap, 0), // warns
		workload.Failed("st-perf", "p1", subjects.StagePerform, 500),
		workload.Succeeded("st-ok", "ok1"),
	}
	for _, o := range outcomes {
		Publish(t, nc, o)
	}
	WaitCounter(t, nc, "st-auth", Streak(3, true))
	WaitCounter(t, nc, "st-map", Streak(2, false))
	WaitCounter(t, nc, "st-perf", Streak(1, false))
	WaitCounter(t, nc, "st-val", Streak(1, false))
	WaitCounter(t, nc, "st-ok", Streak(0, false))

	client := operator.NewClient(nc, subjects.Default())
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	page, err := client.ListEvents(ctx, subjects.ListEventsRequest{EventName: subjects.KindPerform.EventName()})
	if err != nil || len(page.Data) != 1 {
		t.Fatalf("perform events: %v %+v", err, page)
	}
	if _, err := client.ActionEvents(ctx, subjects.ActionEventsRequest{IDs: []string{page.Data[0].ID}, ActionedBy: "ops"}); err != nil {
		t.Fatal(err)
	}

	// Lag reaches 0 once every outcome is acknowledged, which follows its
	// effects: poll for it, then check every number exactly.
	var st subjects.DeploymentStatus
	CheckFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		var err error
		if st, _, err = statusJSON(t, s.URL); err != nil {
			return err
		}
		for _, p := range st.Partitions {
			if p.Pending != 0 || p.AckPending != 0 || p.Replica == "" {
				return fmt.Errorf("partition %d: pending %d, ack pending %d, replica %q", p.Partition, p.Pending, p.AckPending, p.Replica)
			}
		}
		return nil
	})

	sv := st.Server
	if !sv.Reachable || sv.URL != s.URL || sv.Version == "" || sv.Name == "" || sv.RTTMillis <= 0 || sv.Error != "" {
		t.Errorf("server: %+v", sv)
	}
	if st.ServiceVersion != operator.Version {
		t.Errorf("service version %q", st.ServiceVersion)
	}
	messages := map[string]uint64{}
	for _, x := range st.Streams {
		messages[x.Name] = x.Messages
	}
	wantMessages := map[string]uint64{
		"INTEGRATION_RUNS":   8,  // the outcomes
		"INTEGRATION_EVENTS": 11, // 3 authentication, 2 warnings, 1 disabled, 1 validation, 2 missing mapping, 1 perform, 1 actioned acknowledgement
		// the disable command
		"INTEGRATION_COMMANDS": 1, "INTEGRATION_DEADLETTER": 0, "INTEGRATION_ADVISORIES": 0,
		// one index entry per event (history 1), one key per run
		"integration_events": 10, "integration_processors": 1, "external_mappings": 0,
		// the purge marker the one action's outbox entry leaves for a minute
		"integration_actioned_outbox": 1,
	}
	for name, want := range wantMessages {
		if got, ok := messages[name]; !ok || got != want {
			t.Errorf("%s: %d messages (listed %v), want %d", name, got, ok, want)
		}
	}
	// Counter revisions (history 5) are one per batch that changed a
	// counter: 5 to 8 here, as JetStream itself counts them.
	info, err := js.Stream(ctx, "KV_integration_failures")
	if err != nil {
		t.Fatal(err)
	}
	if got := messages["integration_failures"]; got != info.CachedInfo().State.Msgs || got < 5 || got > 8 {
		t.Errorf("integration_failures: %d messages, JetStream says %d", got, info.CachedInfo().State.Msgs)
	}
	wantMessages["integration_failures"] = messages["integration_failures"]
	if len(st.Streams) != len(wantMessages) {
		t.Errorf("%d streams and buckets, want %d", len(st.Streams), len(wantMessages))
	}

	if len(st.Partitions) != 8 || len(st.Replicas) != 1 {
		t.Fatalf("%d partitions, %d replicas: %+v", len(st.Partitions), len(st.Replicas), st)
	}
	rep := st.Replicas[0]
	if !slices.Equal(rep.Partitions, []int{0, 1, 2, 3, 4, 5, 6, 7}) || time.Since(rep.LastHeartbeat) > time.Minute {
		t.Errorf("replica: %+v", rep)
	}
	for _, p := range st.Partitions {
		if p.Replica != rep.ID || p.Missing || p.Consumer != fmt.Sprintf("integration-events-p%d", p.Partition) {
			t.Errorf("partition %+v, want held by %s", p, rep.ID)
		}
	}
	// The server pins a partition at its first delivery.
	if p := st.Partitions[subjects.PartitionOf("st-auth", 8)]; !p.Pinned {
		t.Errorf("partition %+v delivered st-auth's outcomes, yet is not pinned", p)
	}

	d := st.Disabled
	if d.Total != 1 || len(d.Integrations) != 1 {
		t.Fatalf("disabled: %+v", d)
	}
	di := d.Integrations[0]
	if di.IntegrationID != "st-auth" || di.Destination != "Salesforce" || di.DisabledAt == nil || di.ConsecutiveFailures != 3 ||
		di.FailuresByKind[subjects.KindAuthentication.EventName()] != 3 || !strings.Contains(di.LastError, "authenticate failed for a3") || di.DisabledEventID == "" {
		t.Errorf("disabled integration: %+v", di)
	}

	na := st.NotActioned
	wantLeft := map[string]uint64{
		subjects.KindAuthentication.EventName(): 3, subjects.KindDisabled.EventName(): 1, subjects.KindValidation.EventName(): 1,
		subjects.KindMissingAccountMapping.EventName(): 2, subjects.KindPerform.EventName(): 0,
		subjects.KindWarning.EventName(): 2, subjects.KindRecovered.EventName(): 0,
	}
	if !maps.Equal(na.ByEventName, wantLeft) || na.Total != 9 || !na.Exact || na.ActionedRead != 1 || na.ActionedTotal != 1 ||
		na.Stored[subjects.KindPerform.EventName()] != 1 || na.Stored[subjects.KindWarning.EventName()] != 2 {
		t.Errorf("not actioned: %+v, want by name %v, 9 in all, exact", na, wantLeft)
	}

	// The text shows the same numbers, on one screen, without colour codes
	// (its output is a pipe).
	out, err := exec.Command(Binary(t), "status", "--server", s.URL).Output()
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	text := string(out)
	t.Logf("status:\n%s", text)
	for _, want := range []string{
		`(?m)^Server +` + regexp.QuoteMeta(s.URL) + ` .* rtt [0-9.]+ms$`,
		`(?m)^INTEGRATION_RUNS +8 +[0-9.]+ K?i?B +integration_failures +[5-8] +[0-9.]+ K?i?B$`,
		`(?m)^INTEGRATION_EVENTS +11 `,
		`(?m)^  pending( +0){8}$`,
		`(?m)^  ack pending( +0){8}$`,
		`(?m)^  replica( +a){8}$`,
		`(?m)^Replicas \(1\) +a ` + rep.ID[:8] + `  partitions 0-7  heartbeat `,
		`(?m)^Disabled \(1\)$`,
		`(?m)^  st-auth +Salesforce +since 2026-11-25 12:00  3 failures: authenticate failed for a3`,
		`(?m)^Not actioned  9 \(exact\)$`,
		`(?m)^  integration\.disable\.warning +2 of 2 stored$`,
		`(?m)^  integration\.authentication\.error +3 of 3 stored$`,
		`(?m)^  integration\.perform\.error +0 of 1 stored$`,
	} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("text has no line matching %s", want)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour codes in output that is not a terminal")
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > 24 {
		t.Errorf("%d lines, more than a screen", len(lines))
	}
	for _, l := range lines {
		if len(l) > 100 {
			t.Errorf("line of %d characters: %s", len(l), l)
		}
	}
}

func TestStatusOfAnUnreachableServerFails(t *testing.T) {
	url := "nats://" + FreePort(t) // nothing listens there
	st, printed, err := statusJSON(t, url)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("status --json of %s: %v, want a non-zero exit", url, err)
	}
	if strings.Contains(printed, `"streams"`) || strings.Contains(printed, `"notActioned"`) {
		t.Errorf("status --json of an unreachable server prints counts:\n%s", printed)
	}
	if st.Server.Reachable || st.Server.URL != url || !strings.Contains(st.Server.Error, "connect to "+url) {
		t.Errorf("server: %+v", st.Server)
	}
	out, err := exec.Command(Binary(t), "status", "--server", url).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Server        "+url+"  unreachable: connect to "+url) ||
		!strings.Contains(string(out), "error: NATS server unreachable: connect to "+url) {
		t.Fatalf("status of %s: %v\n%s", url, err, out)
	}
}

func TestStatusWithoutTheServiceFails(t *testing.T) {
	srv := StartServer(t) // a NATS server, no integration-events serve
	url := srv.ClientURL()
	st, _, err := statusJSON(t, url)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("status --json: %v, want a non-zero exit", err)
	}
	if !st.Server.Reachable || st.Server.Version == "" || !strings.Contains(st.Server.Error, "no operator API answers on integrations.api.status") {
		t.Errorf("server: %+v", st.Server)
	}
	out, err := exec.Command(Binary(t), "status", "--server", url).CombinedOutput()
	if err == nil || !regexp.MustCompile(`(?m)^Service +not answering: status: no operator API answers`).Match(out) {
		t.Fatalf("status: %v\n%s", err, out)
	}
}

// TestStatusAsAnOperator runs status with an operator's credentials
// against serve --nats-auth, where the operator is in its own account and
// sees the service only through its imports; a runner's status fails at
// once, naming the violation.
func TestStatusAsAnOperator(t *testing.T) {
	users := WriteAuthUsers(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--nats-auth", users.File, "--disable-after", "1")
	runner, _ := ConnectAs(t, s.URL, users.As(UserRunner)...)
	admin, _ := ConnectAs(t, s.URL, users.As(UserAdmin)...)
	Publish(t, runner, workload.Failed("sta-op", "sta-1", subjects.StagePerform, 502))
	WaitCounter(t, admin, "sta-op", Streak(1, true))

	as := func(user string, args ...string) *exec.Cmd {
		return exec.Command(Binary(t), append([]string{"status", "--server", s.URL, "--user", user, "--password", users.Passwords[user]}, args...)...)
	}
	out, err := as(UserOperator, "--json").Output()
	var st subjects.DeploymentStatus
	if err != nil || json.Unmarshal(out, &st) != nil {
		t.Fatalf("operator's status --json: %v\n%s", err, out)
	}
	runs := -1
	for _, x := range st.Streams {
		if x.Name == "INTEGRATION_RUNS" {
			runs = int(x.Messages)
		}
	}
	if !st.Server.Reachable || st.Server.Error != "" || runs != 1 || st.Disabled.Total != 1 || st.Disabled.Integrations[0].IntegrationID != "sta-op" || len(st.Replicas) != 1 {
		t.Errorf("operator's status: %+v", st)
	}
	text, err := as(UserOperator).Output()
	if err != nil || !regexp.MustCompile(`(?m)^  sta-op +`).Match(text) {
		t.Errorf("operator's status: %v\n%s", err, text)
	}
	start := time.Now()
	out, err = as(UserRunner).CombinedOutput()
	if err == nil || !containsFold(string(out), "permissions violation") || time.Since(start) > 10*time.Second {
		t.Errorf("runner's status: %v after %s\n%s", err, time.Since(start), out)
	}
	// Worded as a refusal, not as a service that does not answer, in
	// status and in the client commands.
	refused := "refused by the NATS server: nats: permissions violation"
	if s := string(out); !strings.Contains(s, refused) || !strings.Contains(s, "check the user's role and --inbox-prefix") || strings.Contains(s, "not answering") {
		t.Errorf("runner's status is not worded as a refusal:\n%s", s)
	}
	show := exec.Command(Binary(t), "integrations", "show", "sta-op", "--server", s.URL, "--user", UserRunner, "--password", users.Passwords[UserRunner])
	if out, err := show.CombinedOutput(); err == nil || !strings.Contains(string(out), "integrations.get: "+refused) {
		t.Errorf("runner's integrations show: %v\n%s", err, out)
	}

	// The user in the server URL names the reply inbox as --user does.
	inURL := strings.Replace(s.URL, "nats://", "nats://"+UserOperator+":"+users.Passwords[UserOperator]+"@", 1)
	for _, args := range [][]string{{"status"}, {"integrations", "show", "sta-op"}} {
		out, err := exec.Command(Binary(t), append(args, "--server", inURL)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "sta-op") {
			t.Errorf("%v with the operator in the URL: %v\n%s", args, err, out)
		}
		if strings.Contains(string(out), users.Passwords[UserOperator]) {
			t.Errorf("%v prints the URL's password:\n%s", args, out)
		}
	}
}
