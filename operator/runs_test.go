package operator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// TestRunPastTheSearchBoundIsNotFound: a run older than the newest outcomes
// a search reads is a 404 saying how many were searched, not a 503 that
// asks to try again.
func TestRunPastTheSearchBoundIsNotFound(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 50,010 outcomes")
	}
	srv := test.StartServer(t)
	ctx := context.Background()
	st, err := store.Open(ctx, test.Connect(t, srv.ClientURL()), store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	n := store.MaxRunReads + 10
	err = workload.Publish(ctx, st.Conn(), n, func(i int) *nats.Msg {
		b, err := json.Marshal(workload.Failed("busy", fmt.Sprintf("busy-%d", i), subjects.StagePerform, 400))
		if err != nil {
			t.Fatal(err)
		}
		return &nats.Msg{Subject: subjects.Default().Run("busy"), Data: b}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := operator.New(operator.DefaultConfig(), st, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Run(ctx, subjects.RunRequest{IntegrationID: "busy", RunID: "busy-0"}, 1<<20)
	var oe *operator.Error
	if !errors.As(err, &oe) || oe.Status != 404 || !strings.Contains(oe.Message, fmt.Sprintf("newest %d outcomes", store.MaxRunReads)) {
		t.Fatalf("a run past the bound: %v", err)
	}
	if rec, err := svc.Run(ctx, subjects.RunRequest{IntegrationID: "busy", RunID: fmt.Sprintf("busy-%d", n-1)}, 1<<20); err != nil || rec.RunID != fmt.Sprintf("busy-%d", n-1) {
		t.Fatalf("the newest run: %+v %v", rec, err)
	}
}
