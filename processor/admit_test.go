package processor_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

func TestAdmitRefusesACredentialInAnID(t *testing.T) {
	for _, tt := range []struct{ integration, run, reason string }{
		{"int-1", "run token=Q7xLEAK12345", "runId holds what looks like a credential"},
		{"sk_live_Q7xLEAK12345", "run-1", "integrationId holds what looks like a credential"},
	} {
		o := workload.Failed(tt.integration, tt.run, subjects.StagePerform, 500)
		d, _ := json.Marshal(o)
		_, err := processor.Admit(tt.integration, d, time.Now())
		if !errors.Is(err, subjects.ErrBadInput) || !strings.Contains(err.Error(), tt.reason) || strings.Contains(err.Error(), "LEAK") {
			t.Errorf("%s/%s: error %v, want bad input saying %q without the credential", tt.integration, tt.run, err, tt.reason)
		}
	}
	// A success's run id is stored too, when it ends a streak.
	d, _ := json.Marshal(workload.Succeeded("int-1", "run token=Q7xLEAK12345"))
	if _, err := processor.Admit("int-1", d, time.Now()); !errors.Is(err, subjects.ErrBadInput) {
		t.Errorf("a success with a credential in its run id: %v", err)
	}
}

// BenchmarkAdmit admits the outcomes the hot path sees most, so the cost of
// redaction and bounding shows beside BenchmarkDecodeOutcome's decoding: a
// success (decoded only), a perform failure with its HTTP exchange and
// credentials, and the same failure with a key format gitleaks' rules find;
// the -log cases are outcomes as the bench command publishes them, with a
// run log (three in four of its failures are of a stage without HTTP).
func BenchmarkAdmit(b *testing.B) {
	withKey := workload.Failed("int-1", "run-1", subjects.StagePerform, 401)
	withKey.Failure.Message = "invalid api key sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	for name, o := range map[string]subjects.RunOutcome{
		"succeeded":         workload.Succeeded("int-1", "run-1"),
		"perform":           workload.Failed("int-1", "run-1", subjects.StagePerform, 500),
		"perform-keyformat": withKey,
		"succeeded-log":     workload.WithRunLog(workload.Succeeded("int-1", "run-1")),
		"perform-log":       workload.WithRunLog(workload.Failed("int-1", "run-1", subjects.StagePerform, 500)),
		"authenticate-log":  workload.WithRunLog(workload.Failed("int-1", "run-1", subjects.StageAuthenticate, 0)),
	} {
		b.Run(name, func(b *testing.B) {
			d, err := json.Marshal(o)
			if err != nil {
				b.Fatal(err)
			}
			at := time.Now()
			b.SetBytes(int64(len(d)))
			for b.Loop() {
				if _, err := processor.Admit("int-1", d, at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
