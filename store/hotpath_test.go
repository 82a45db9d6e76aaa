package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkClaimRun measures the run-id claim every outcome makes, from
// many goroutines at once as the pipeline does.
func BenchmarkClaimRun(b *testing.B) {
	st := openStore(b)
	var n atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := st.ClaimRun(context.Background(), fmt.Sprintf("int-%d", i%1000), fmt.Sprintf("run-%d", i), uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
