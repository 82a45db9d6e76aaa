// Package workload builds reproducible streams of run outcomes and holds a
// reference model of the streak rules, written apart from the processor, to
// check a run's final state against. The end-to-end tests and the benchmark
// share it.
package workload
