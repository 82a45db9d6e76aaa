package test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// cli runs the integration-events binary and returns its output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(Binary(t), args...).CombinedOutput()
	return string(out), err
}

func TestClientCommandsAndEnvironmentFlags(t *testing.T) {
	s := StartServeEnv(t, []string{"INTEGRATION_EVENTS_DISABLE_AFTER=3"}, t.TempDir(), FreePort(t))
	nc := Connect(t, s.URL)
	const id = "cli-int"
	for _, run := range []string{"c1", "c2", "c3"} {
		Publish(t, nc, workload.Failed(id, run, subjects.StageAuthenticate, 0))
	}
	WaitCounter(t, nc, id, Streak(3, true))

	// Three failures, the warning at 50% of 3 (the 2nd) and the disable:
	// a row each.
	out, err := cli(t, "events", "list", "--server", s.URL)
	rows := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, id) {
			rows++
		}
	}
	if err != nil || !strings.Contains(out, "integration.disabled.error") || !strings.Contains(out, "integration.disable.warning") || rows != 5 {
		t.Fatalf("events list: %v, %d rows of %s, want 5\n%s", err, rows, id, out)
	}
	out, err = cli(t, "events", "list", "--server", s.URL, "--json", "--event-name", "integration.disabled.error", "--integration", id)
	var page subjects.ListEventsResponse
	if err != nil || json.Unmarshal([]byte(out), &page) != nil || len(page.Data) != 1 {
		t.Fatalf("events list --json: %v\n%s", err, out)
	}
	disabledID := page.Data[0].ID
	out, err = cli(t, "events", "action", disabledID, "--by", "ops", "--note", "token rotated", "--server", s.URL)
	var acted subjects.ActionEventsResponse
	if err != nil || json.Unmarshal([]byte(out), &acted) != nil || len(acted.Actioned) != 1 || acted.Actioned[0].ActionedBy != "ops" {
		t.Fatalf("events action: %v\n%s", err, out)
	}
	out, err = cli(t, "events", "get", disabledID, "--server", s.URL)
	if err != nil || !strings.Contains(out, `"actionedBy": "ops"`) || !strings.Contains(out, `"streakRunIds"`) {
		t.Fatalf("events get: %v\n%s", err, out)
	}
	out, err = cli(t, "integrations", "show", id, "--server", s.URL)
	if err != nil || !strings.Contains(out, `"disabled": true`) || !strings.Contains(out, `"disableAfter": 3`) {
		t.Fatalf("integrations show: %v\n%s", err, out)
	}
	out, err = cli(t, "integrations", "enable", id, "--by", "ops", "--server", s.URL)
	if err != nil || !strings.Contains(out, `"disabled": false`) || !strings.Contains(out, `"episode": 1`) {
		t.Fatalf("integrations enable: %v\n%s", err, out)
	}
	// A page size the API would refuse is refused before any request, as
	// the command's own error, not worded like a reply.
	for _, args := range [][]string{{"events", "list", "--page-size", "500"}, {"events", "list", "--page-size", "0"}, {"integrations", "list", "--page-size", "101"}, {"mappings", "list", "--page-size", "-1"}} {
		out, err = cli(t, append(args, "--server", s.URL)...)
		if want := "error: --page-size " + args[3] + ": must be 1 to 100"; err == nil || !strings.Contains(out, want) || strings.Contains(out, "400") || strings.Contains(out, ".list") {
			t.Fatalf("%v: %v, want %q\n%s", args, err, want, out)
		}
	}
	out, err = cli(t, "integrations", "show", "nobody", "--server", s.URL)
	if err == nil || !strings.Contains(out, "404") {
		t.Fatalf("unknown integration should fail with 404: %v\n%s", err, out)
	}
	if err := s.Terminate(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if !strings.Contains(s.Output(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", s.Output())
	}
}

func TestDemoRunsToTheEnd(t *testing.T) {
	out, err := cli(t, "demo", "--pace", "2ms", "--exit", "--http-listen", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"integration.validation.error", "integration.missingaccountmapping.error", "integration.authentication.error",
		"integration.perform.error", "integration.disabled.error", "CREATE_EXTERNAL_MAPPING",
		"disable command for netsuite-initech", "disable command for xero-umbrella", "re-enabled netsuite-initech: disabled=false consecutiveFailures=0 episode=1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if secret := demoSecret.FindString(out); secret != "" {
		t.Errorf("demo printed a secret: %s", secret)
	}
	if strings.Contains(out, DemoScriptDone) {
		t.Error("demo --exit says it runs until Ctrl-C")
	}
}
