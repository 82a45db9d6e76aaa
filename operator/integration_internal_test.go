package operator

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/subjects"
)

func TestIntegrationReplyKeepsTheCounterShapeAndFitsWithItsPolicy(t *testing.T) {
	p, err := policy.Parse([]byte("warnAt: [50, 75]\nkinds:\n  authentication: {disableAfter: 3}\ndestinations:\n  Stripe: {disableAfter: 150, minStreakAge: 1h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := subjects.FailureCounter{IntegrationID: "i", Destination: "Stripe", ConsecutiveFailures: 150, DisableAfter: 150, FirstFailureAt: &first,
		FailuresByKind: map[string]int{"integration.perform.error": 149, "integration.authentication.error": 1}, LastError: strings.Repeat("<", subjects.MaxErrorBytes)}
	for i := range subjects.MaxStreakRunIDs {
		c.StreakRunIDs = append(c.StreakRunIDs, fmt.Sprintf("%03d", i)+strings.Repeat("<", 253))
	}
	applied := policy.MustResolve(p).For(c.Destination).Applied(c)
	reply := subjects.IntegrationReply{FailureCounter: c, Policy: &applied}
	whole, _ := json.Marshal(reply)

	// The counter's fields stay at the top level, as integrations.get
	// always served them; the policy is one more field.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(whole, &top); err != nil {
		t.Fatal(err)
	}
	var back subjects.FailureCounter
	if err := json.Unmarshal(whole, &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("the reply does not decode as the counter it holds: %v", err)
	}
	if _, ok := top["policy"]; !ok || top["integrationId"] == nil || top["consecutiveFailures"] == nil {
		t.Fatalf("reply's fields: %s", whole[:200])
	}

	for _, budget := range []int{len(whole), 60 << 10, 4 << 10} {
		got := fitIntegrationReply(reply, budget)
		b, _ := json.Marshal(got)
		if len(b) > budget || !reflect.DeepEqual(got.Policy, &applied) || got.ConsecutiveFailures != 150 || got.StreakRunIDs[0] != c.StreakRunIDs[0] {
			t.Errorf("budget %d: %d bytes, %d run ids, policy %+v", budget, len(b), len(got.StreakRunIDs), got.Policy)
		}
		if (budget == len(whole)) != (len(got.StreakRunIDs) == 100 && got.LastError == c.LastError) {
			t.Errorf("budget %d: cut %d run ids, lastError to %d bytes", budget, 100-len(got.StreakRunIDs), len(got.LastError))
		}
	}
}
