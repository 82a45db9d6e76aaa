package resend_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/integration-events/integration-events/resend"
)

// BenchmarkGuardRecord records b.N runs and reports the heap each costs
// (bytes/run, measured after a collection) with the guard still alive:
// the resend guard's memory model in the README.
func BenchmarkGuardRecord(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g := resend.New(25 * time.Hour)
	at := time.Now()
	b.ResetTimer()
	for i := range b.N {
		g.Record(resend.Key("integration-000042", "run-"+strconv.Itoa(i)), uint64(i+1), at)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "bytes/run")
	runtime.KeepAlive(g)
}

// BenchmarkGuardFirst decides a first outcome against a guard holding
// 1,000,000 runs: the check every admitted outcome makes.
func BenchmarkGuardFirst(b *testing.B) {
	g := resend.New(25 * time.Hour)
	at := time.Now()
	for i := range 1_000_000 {
		g.Record(uint64(i)*0x9E3779B97F4A7C15, uint64(i+1), at)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := resend.Key("integration-000042", "new-run-"+strconv.Itoa(i))
		if len(g.Earlier(k, uint64(2_000_000+i), at)) != 0 {
			b.Fatal("a new run has a candidate")
		}
		g.Record(k, uint64(2_000_000+i), at)
	}
}
