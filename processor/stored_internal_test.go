package processor

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/subjects"
)

func TestBoundStoredDataServesOldLargeEvents(t *testing.T) {
	// As stored before events were bounded: a 1 MB cause in the message, the
	// remedy at its very end, and a 1 MB error.
	cause := strings.Repeat("c", 1_000_000)
	old := subjects.EventData{
		EventName: "integration.perform.error", IntegrationID: "i", RunID: "r", Destination: "Salesforce",
		Message:  "Salesforce returned HTTP 500 when the integration sent the data: " + cause + ". Next: Salesforce had a server error: re-run the integration later.",
		FollowUp: subjects.FollowUp{Action: subjects.FollowUpGoToIntegrationRun, IntegrationID: "i", RunID: "r"},
		Error:    cause,
		HTTP:     &subjects.HTTPExchange{Response: &subjects.HTTPResponse{Status: 500, Body: subjects.Body(cause)}},
	}
	raw, _ := json.Marshal(old)
	for _, limit := range []int{64 << 10, 8 << 10} {
		b := BoundStoredData(raw, limit)
		var d subjects.EventData
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if len(b) > limit || !strings.HasSuffix(d.Message, "Next: Salesforce had a server error: re-run the integration later.") ||
			!strings.Contains(d.Message, "[truncated: ") || d.FollowUp != old.FollowUp || !strings.HasSuffix(d.Error, " bytes in all]") {
			t.Errorf("limit %d: %d bytes, message %d bytes ending %q", limit, len(b), len(d.Message), d.Message[max(0, len(d.Message)-80):])
		}
	}
	if small := json.RawMessage(`{"message":"ok"}`); string(BoundStoredData(small, 100)) != string(small) {
		t.Error("small data changed")
	}
	b := BoundStoredData(json.RawMessage(`["`+cause+`"]`), 4096)
	if len(b) > 4096 || !strings.Contains(string(b), "INTEGRATION_EVENTS") {
		t.Errorf("data that is not EventData: %s", b)
	}
}
