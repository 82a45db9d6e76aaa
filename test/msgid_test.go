package test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRunnerMsgIDsMustBeUniqueAcrossIntegrations holds the README's advice
// to runners that set Nats-Msg-Id: JetStream de-duplicates by it across the
// whole INTEGRATION_RUNS stream, so a bare run id shared by two
// integrations loses the second outcome, and <integrationId>/<runId> keeps
// both.
func TestRunnerMsgIDsMustBeUniqueAcrossIntegrations(t *testing.T) {
	_, nc := startServe(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	publish := func(o subjects.RunOutcome, msgID string) *jetstream.PubAck {
		b, _ := json.Marshal(o)
		m := nats.NewMsg(subjects.Default().Run(o.IntegrationID))
		m.Data = b
		m.Header.Set(jetstream.MsgIDHeader, msgID)
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	// A bare run id: the second integration's outcome is dropped as a duplicate.
	publish(workload.Failed("bare-a", "run-1", subjects.StageValidate, 0), "run-1")
	if ack := publish(workload.Failed("bare-b", "run-1", subjects.StageValidate, 0), "run-1"); !ack.Duplicate {
		t.Fatalf("a bare run id shared by two integrations was stored twice: %+v", ack)
	}
	// <integrationId>/<runId>: both are stored and counted.
	publish(workload.Failed("pair-a", "run-1", subjects.StageValidate, 0), "pair-a/run-1")
	if ack := publish(workload.Failed("pair-b", "run-1", subjects.StageValidate, 0), "pair-b/run-1"); ack.Duplicate {
		t.Fatalf("<integrationId>/<runId> was dropped: %+v", ack)
	}
	for _, id := range []string{"bare-a", "pair-a", "pair-b"} {
		WaitCounter(t, nc, id, Streak(1, false))
	}
	if _, ok := Counter(t, nc, "bare-b"); ok {
		t.Error("bare-b has a counter: its outcome was not dropped")
	}
}
