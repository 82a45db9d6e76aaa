package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/test"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// TestValidateChecksRunRetentionAgainstWhatItMustCover: run-retention must
// cover resend-window and INTEGRATION_RUNS' de-duplication window; each
// refusal names the flags and why, and the boundary passes.
func TestValidateChecksRunRetentionAgainstWhatItMustCover(t *testing.T) {
	for _, c := range []struct {
		resend, retention time.Duration
		want              string // "" for none
	}{
		{25 * time.Hour, 25 * time.Hour, ""},
		{25 * time.Hour, 24 * time.Hour, "run-retention 24h0m0s must cover resend-window 25h0m0s: a resend of an outcome no longer kept could not be recognised"},
		{2 * time.Minute, 2 * time.Minute, ""},
		{time.Minute, 2*time.Minute - time.Second, "run-retention 1m59s must cover the 2m0s in which INTEGRATION_RUNS drops a runner's retried publish (same Nats-Msg-Id)"},
		{time.Minute, time.Minute, "run-retention 1m0s must cover the 2m0s"},
	} {
		cfg := store.DefaultConfig()
		cfg.ResendWindow, cfg.RunRetention = c.resend, c.retention
		test.CheckError(t, fmt.Sprintf("resend-window %s, run-retention %s", c.resend, c.retention), cfg.Validate(), c.want)
	}
}

// TestTheShortestRunRetentionOpens opens the store on a server with the
// shortest run-retention Validate takes, which JetStream accepts, and with
// one second less, which Open refuses before it makes any stream.
func TestTheShortestRunRetentionOpens(t *testing.T) {
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	ctx := context.Background()
	cfg := store.DefaultConfig()
	cfg.ResendWindow, cfg.RunRetention = time.Minute, 2*time.Minute-time.Second
	if _, err := store.Open(ctx, nc, cfg, zap.NewNop()); err == nil || !strings.Contains(err.Error(), "run-retention 1m59s must cover") {
		t.Fatalf("run-retention 1m59s: %v, want the configuration refused", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(ctx, store.StreamRuns); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("after the refusal, stream %s: %v, want none made", store.StreamRuns, err)
	}
	cfg.RunRetention = 2 * time.Minute
	if _, err := store.Open(ctx, nc, cfg, zap.NewNop()); err != nil {
		t.Fatalf("run-retention 2m: %v", err)
	}
}
