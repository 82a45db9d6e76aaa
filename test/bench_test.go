package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchCommand keeps `integration-events bench` working: a tiny run
// of every phase, its table, and its JSON with the keys the issue names.
func TestBenchCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	stdout, err := cli(t, "bench", "--json", out,
		"--baseline", "2000", "--healthy", "2000", "--healthy-integrations", "200",
		"--outage", "1000", "--outage-integrations", "20", "--scale", "1000", "--scale-integrations", "100,1000",
		"--rate", "1000", "--latency-for", "1s", "--events-stored", "3000")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stdout)
	}
	for _, row := range []string{"baseline publish", "processor, outage", "latency p99", "action 100 events", "exactly-once verified"} {
		if !strings.Contains(stdout, row) {
			t.Fatalf("table has no %q row:\n%s", row, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	for _, key := range []string{"baselinePublishPerSec", "baselineConsumePerSec", "healthyPerSec", "outagePerSec",
		"latencyP50Ms", "latencyP99Ms", "listNewestOpenMs", "httpListNewestMs", "action100Ms", "peakRssBytes", "integrations", "eventsStored"} {
		if v, ok := res[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", key, res[key])
		}
	}
	if res["verified"] != true {
		t.Errorf("verified = %v", res["verified"])
	}
	if res["integrations"] != 1000.0 || res["eventsStored"].(float64) < 3000 {
		t.Errorf("integrations %v, eventsStored %v", res["integrations"], res["eventsStored"])
	}
}

// TestBenchCommandUnderAPolicy: bench --policy runs the processor and its
// exactly-once verification under the policy file. The outage (20
// integrations, 50 failures each) sends an enable after every 4th failure,
// the policy's disableAfter: 240 enables. Enables reach INTEGRATION_RUNS
// through a source, so where they land among the failures, and with it how
// many disables there are, varies from run to run; the model replays the
// stored order. Each integration's first failures come before any enable:
// the 1st warns (25% of 4), the 2nd warns (50%) and the 4th disables. A
// policy that cannot work stops bench before it runs.
func TestBenchCommandUnderAPolicy(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	good := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(bad, []byte("kinds:\n  perfom:\n    disableAfter: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("disableAfter: 4\nwarnAt: [25, 50]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sizes := []string{"--baseline", "500", "--healthy", "500", "--healthy-integrations", "50",
		"--outage", "1000", "--outage-integrations", "20", "--scale", "200", "--scale-integrations", "100", "--runs-in-window", "1000",
		"--rate", "200", "--latency-for", "1s", "--events-stored", "500"}
	if out, err := cli(t, append([]string{"bench", "--policy", bad}, sizes...)...); err == nil || !strings.Contains(out, "kinds.perfom") || strings.Contains(out, "baseline") {
		t.Fatalf("bench with a bad policy: %v, want it to stop naming kinds.perfom before the baseline\n%s", err, out)
	}
	out := filepath.Join(dir, "bench.json")
	stdout, err := cli(t, append([]string{"bench", "--policy", good, "--json", out}, sizes...)...)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stdout)
	}
	if !regexp.MustCompile(`(?m)^outage: 1,240 messages over 20 integrations`).MatchString(stdout) {
		t.Fatalf("the outage is not 1,000 failures and 240 enables:\n%s", stdout)
	}
	m := regexp.MustCompile(`(?m)^outage: verified: 20 integrations, ([0-9,]+) events, ([0-9]+) disables as the model says$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no outage verification:\n%s", stdout)
	}
	events, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	disables, _ := strconv.Atoi(m[2])
	// Besides the 1,000 failure events: one disabled event per disable,
	// and the rest warnings.
	if warnings := events - 1000 - disables; disables < 20 || warnings < 40 {
		t.Fatalf("outage: %d disables and %d warnings, want at least 20 and 40:\n%s", disables, warnings, stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil || res["verified"] != true {
		t.Fatalf("verified = %v (%v)", res["verified"], err)
	}
}
