package test

import (
	"encoding/json"
	"os"
	"path/filepath"
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
