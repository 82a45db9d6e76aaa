package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// TestServeReadsItsConfigurationFile starts serve with its file named by
// INTEGRATION_EVENTS_CONFIG: the file's disable-after and the environment's,
// which wins over it, must be what the running processor applies.
func TestServeReadsItsConfigurationFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "integration-events.yaml")
	if err := os.WriteFile(cfg, []byte("disable-after: 3\nevent-retention: 48h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"INTEGRATION_EVENTS_CONFIG=" + cfg, "INTEGRATION_EVENTS_DISABLE_AFTER=2"}
	s := StartServeEnv(t, env, filepath.Join(dir, "data"), FreePort(t))
	if !strings.Contains(s.Output(), `"disableAfter":2,"eventRetention":"48h0m0s"`) || !strings.Contains(s.Output(), `"config":"`+cfg+`"`) {
		t.Fatalf("the ready line does not show the environment's disable-after and the file's retention:\n%s", s.Output())
	}
	nc := Connect(t, s.URL)
	Publish(t, nc, workload.Failed("cfg-int", "r1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed("cfg-int", "r2", subjects.StagePerform, 500))
	WaitCounter(t, nc, "cfg-int", Streak(2, true))
}
