package subjects_test

import (
	"encoding/json"
	"testing"

	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

// BenchmarkDecodeOutcome decodes and validates the two outcomes the hot
// path sees most: a success, and a perform failure with its HTTP exchange,
// each bare and as the bench command publishes it (with a run log).
func BenchmarkDecodeOutcome(b *testing.B) {
	for name, o := range map[string]subjects.RunOutcome{
		"succeeded":     workload.Succeeded("int-1", "run-1"),
		"perform":       workload.Failed("int-1", "run-1", subjects.StagePerform, 500),
		"succeeded-log": workload.WithRunLog(workload.Succeeded("int-1", "run-1")),
		"perform-log":   workload.WithRunLog(workload.Failed("int-1", "run-1", subjects.StagePerform, 500)),
	} {
		b.Run(name, func(b *testing.B) {
			d, err := json.Marshal(o)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(d)))
			for b.Loop() {
				if _, err := subjects.DecodeOutcome("int-1", d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
