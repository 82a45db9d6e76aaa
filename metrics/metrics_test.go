package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/metrics"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestNilMetricsCountNothing: a component built without metrics calls them
// unchanged.
func TestNilMetricsCountNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Outcome("failed", "Xero", time.Now())
	m.Event("integration.perform.error")
	m.Disabled()
	m.Enabled()
	m.DeadLettered("too_large")
	m.Actioned(3)
	m.KVConflict()
	m.WatchPending(func(context.Context) ([]uint64, error) { return nil, nil })
}

// TestScrapeServesTheRestWhenPendingCannotBeRead: a consumer info read that
// fails leaves the pending series out, with the error in the reply's log,
// and the counters are served as counted.
func TestScrapeServesTheRestWhenPendingCannotBeRead(t *testing.T) {
	m := metrics.New(metrics.Labels{Statuses: []string{"succeeded", "failed"}, Destinations: []string{"Xero"}, DeadLetterReasons: []string{"too_large", "other"}})
	m.Outcome("failed", "Xero", time.Now().Add(-30*time.Millisecond))
	m.Outcome("failed", metrics.Other, time.Time{})
	m.DeadLettered("too_large")
	m.Actioned(2)
	fail := true
	m.WatchPending(func(context.Context) ([]uint64, error) {
		if fail {
			return nil, errors.New("consumer info: timeout")
		}
		return []uint64{0, 7}, nil
	})
	scrape := func() map[string]float64 {
		t.Helper()
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for name, f := range fams {
			for _, s := range f.GetMetric() {
				key := name
				for _, l := range s.GetLabel() {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				switch {
				case s.Counter != nil:
					out[key] = s.Counter.GetValue()
				case s.Gauge != nil:
					out[key] = s.Gauge.GetValue()
				case s.Histogram != nil:
					out[key] = float64(s.Histogram.GetSampleCount())
				}
			}
		}
		return out
	}
	got := scrape()
	for key, want := range map[string]float64{
		"integration_events_outcomes_total,destination=Xero,status=failed":     1,
		"integration_events_outcomes_total,destination=other,status=failed":    1,
		"integration_events_outcomes_total,destination=Xero,status=succeeded":  0,
		"integration_events_outcomes_total,destination=other,status=succeeded": 0,
		"integration_events_deadletter_total,reason=too_large":                 1,
		"integration_events_deadletter_total,reason=other":                     0,
		"integration_events_actioned_total":                                    2,
		"integration_events_processing_seconds":                                1,
		"integration_events_kv_conflicts_total":                                0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	for key := range got {
		if strings.HasPrefix(key, "integration_events_consumer_pending") {
			t.Errorf("%s served though the read failed", key)
		}
	}
	fail = false
	got = scrape()
	if got["integration_events_consumer_pending,partition=1"] != 7 || got["integration_events_consumer_pending,partition=0"] != 0 {
		t.Errorf("pending %v", got)
	}
}
