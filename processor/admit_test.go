package processor_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// BenchmarkAdmit admits the outcomes the hot path sees most, so the cost of
// redaction and bounding shows beside BenchmarkDecodeOutcome's decoding: a
// success (decoded only), a perform failure with its HTTP exchange and
// credentials, and the same failure with a key format gitleaks' rules find.
func BenchmarkAdmit(b *testing.B) {
	withKey := workload.Failed("int-1", "run-1", subjects.StagePerform, 401)
	withKey.Failure.Message = "invalid api key sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	for name, o := range map[string]subjects.RunOutcome{
		"succeeded":         workload.Succeeded("int-1", "run-1"),
		"perform":           workload.Failed("int-1", "run-1", subjects.StagePerform, 500),
		"perform-keyformat": withKey,
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
