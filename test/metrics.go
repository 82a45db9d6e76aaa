package test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics are the metric families of one scrape, by name.
type Metrics map[string]*dto.MetricFamily

// Scrape reads GET /metrics from base (an HTTP API's base URL), with token
// as the bearer when it is not empty, and parses it with the Prometheus
// text parser.
func Scrape(t testing.TB, base, token string) Metrics {
	t.Helper()
	m, err := scrape(base, token)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func scrape(base, token string) (Metrics, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET /metrics: %s: %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	return Metrics(fams), err
}

// Value is the value of the series of family name whose labels include
// labels: a counter's or gauge's value, a histogram's count. ok is false
// when there is no such series.
func (m Metrics) Value(name string, labels ...string) (v float64, ok bool) {
	for _, s := range m.Series(name) {
		if hasLabels(s, labels) {
			return seriesValue(s), true
		}
	}
	return 0, false
}

// Sum is the sum of every series of family name.
func (m Metrics) Sum(name string) float64 {
	var n float64
	for _, s := range m.Series(name) {
		n += seriesValue(s)
	}
	return n
}

// Series are the series of family name.
func (m Metrics) Series(name string) []*dto.Metric {
	if f, ok := m[name]; ok {
		return f.GetMetric()
	}
	return nil
}

func seriesValue(s *dto.Metric) float64 {
	switch {
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Histogram != nil:
		return float64(s.Histogram.GetSampleCount())
	}
	return 0
}

// hasLabels reports whether s has every name=value pair of labels, given
// as name, value, name, value...
func hasLabels(s *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range s.GetLabel() {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
