// Package metrics owns the service's Prometheus collectors and the registry
// they are served from (Handler, at GET /metrics). Every method is safe on a
// nil *Metrics, which counts nothing, so a component built without metrics
// (a test, the bench) calls them unchanged.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "integration_events"

// Other is the label value of a destination outside Labels.Destinations.
const Other = "other"

// ProcessingBuckets are the bounds, in seconds, of
// integration_events_processing_seconds. The service applies an outcome in
// about 1 ms (p50) and 25 to 50 ms (p99) under load, and a retried step or a
// backlog takes seconds: the buckets are dense from 0.5 ms to 100 ms, so the
// 25 ms latency target is a bound, and reach 60 s, ten default ack waits,
// so a stalled partition shows as such rather than as +Inf.
var ProcessingBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Labels are the label values known in advance. Each of their series is
// made at zero, so that rate() and an alert have a series before the first
// increment; callers pass only these values (a destination outside
// Destinations as Other), which bounds the series.
type Labels struct {
	Statuses          []string
	Destinations      []string
	EventNames        []string
	DeadLetterReasons []string
}

// Metrics are the service's collectors and their registry.
type Metrics struct {
	reg         *prometheus.Registry
	outcomes    *prometheus.CounterVec
	events      *prometheus.CounterVec
	disabled    prometheus.Counter
	enabled     prometheus.Counter
	deadLetters *prometheus.CounterVec
	actioned    prometheus.Counter
	processing  prometheus.Histogram
	conflicts   prometheus.Counter
	pending     *pendingCollector
	// resendRuns reads the resend guards' size at scrape time.
	resendRuns atomic.Pointer[func() int]
}

// New returns the collectors, registered on a registry of their own with
// the Go runtime and process collectors.
func New(l Labels) *Metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	}
	vec := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, []string{label})
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "outcomes_total",
			Help: "Run outcomes applied, once each (resends and redeliveries are not counted again), by status and destination (" + Other + " for a destination the classification does not name)."}, []string{"status", "destination"}),
		events:      vec("events_total", "Integration error events stored, by event name.", "event_name"),
		disabled:    counter("disabled_total", "Integrations disabled: one per disable episode, with its disabled event and disable command."),
		enabled:     counter("enabled_total", "Disabled integrations enabled again by an enable command."),
		deadLetters: vec("deadletter_total", "Messages dead-lettered, by reason class; a redelivered message dead-lettered again is not counted again.", "reason"),
		actioned:    counter("actioned_total", "Events marked actioned, each with its one actioned acknowledgement."),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "processing_seconds",
			Help:    "Seconds from a run outcome stored in INTEGRATION_RUNS to its effects stored (events, disable command, counter), per outcome applied.",
			Buckets: ProcessingBuckets}),
		conflicts: counter("kv_conflicts_total", "Compare-and-set writes to a KV bucket that lost to another writer and were retried from a fresh read."),
		pending:   &pendingCollector{desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "consumer_pending"), "Outcomes and enable commands of a partition not yet acknowledged by the processor (pending delivery plus delivered but unacknowledged), read from its consumer at scrape time.", []string{"partition"}, nil)},
	}
	for _, s := range l.Statuses {
		for _, d := range append(append([]string(nil), l.Destinations...), Other) {
			m.outcomes.WithLabelValues(s, d)
		}
	}
	for _, n := range l.EventNames {
		m.events.WithLabelValues(n)
	}
	for _, r := range l.DeadLetterReasons {
		m.deadLetters.WithLabelValues(r)
	}
	resendRuns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: "resend_window_runs",
		Help: "Distinct run ids the resend guards of this replica's partitions hold for the resend window, as of each partition's last batch (a refused copy read back from the stream counts too); the guards' memory is about 45 to 55 bytes a run."},
		func() float64 {
			if read := m.resendRuns.Load(); read != nil {
				return float64((*read)())
			}
			return 0
		})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.outcomes, m.events, m.disabled, m.enabled, m.deadLetters, m.actioned, m.processing, m.conflicts, m.pending, resendRuns)
	return m
}

// WatchResendWindow makes each scrape report
// integration_events_resend_window_runs from read.
func (m *Metrics) WatchResendWindow(read func() int) {
	if m != nil {
		m.resendRuns.Store(&read)
	}
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError, Timeout: 10 * time.Second})
}

// Outcome counts a run outcome applied with status to destination (a value
// of Labels, or Other), stored at storedAt, whose effects are now stored.
func (m *Metrics) Outcome(status, destination string, storedAt time.Time) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(status, destination).Inc()
	if !storedAt.IsZero() {
		m.processing.Observe(time.Since(storedAt).Seconds())
	}
}

// Event counts an event stored, by its name.
func (m *Metrics) Event(eventName string) {
	if m != nil {
		m.events.WithLabelValues(eventName).Inc()
	}
}

// Disabled counts an integration disabled.
func (m *Metrics) Disabled() {
	if m != nil {
		m.disabled.Inc()
	}
}

// Enabled counts a disabled integration enabled again.
func (m *Metrics) Enabled() {
	if m != nil {
		m.enabled.Inc()
	}
}

// DeadLettered counts a message dead-lettered for reason, a value of
// Labels.DeadLetterReasons.
func (m *Metrics) DeadLettered(reason string) {
	if m != nil {
		m.deadLetters.WithLabelValues(reason).Inc()
	}
}

// Actioned counts n events marked actioned.
func (m *Metrics) Actioned(n int) {
	if m != nil && n > 0 {
		m.actioned.Add(float64(n))
	}
}

// KVConflict counts a compare-and-set that lost to another writer.
func (m *Metrics) KVConflict() {
	if m != nil {
		m.conflicts.Inc()
	}
}

// WatchPending makes each scrape report integration_events_consumer_pending
// from read, which returns the count of every partition, by partition
// number. A scrape whose read fails reports no series for it, and the
// scrape's error says why.
func (m *Metrics) WatchPending(read func(context.Context) ([]uint64, error)) {
	if m != nil {
		m.pending.read.Store(&read)
	}
}

// pendingCollector reads the partition consumers at scrape time: the count
// is the server's, current whichever replica holds a partition, and an
// idle replica costs nothing between scrapes.
type pendingCollector struct {
	desc *prometheus.Desc
	read atomic.Pointer[func(context.Context) ([]uint64, error)]
}

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	read := c.read.Load()
	if read == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := (*read)(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for p, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), strconv.Itoa(p))
	}
}
