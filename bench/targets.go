package bench

import "fmt"

// Target is one goal of issue 11 and this run's result against it.
type Target struct {
	Goal   string `json:"goal"`
	Result string `json:"result"`
	Met    bool   `json:"met"`
}

// Goals of issue 11, measured in one default run.
const (
	goalHealthyRatio = 0.50    // of baseline consume
	goalOutageRatio  = 0.30    // of baseline publish
	goalP99Ms        = 25.0    // at 5,000 outcomes/s, new and loaded
	goalListMs       = 50.0    // newest page, 1,000,000 events
	goalPeakRSS      = 300e6   // bytes, 100,000 integrations
	goalRunsInWindow = 1000000 // distinct run ids at the peak
)

// targets returns each goal with the result of r.
func targets(r *Result) []Target {
	ratio := func(v, base float64) float64 {
		if base == 0 {
			return 0
		}
		return v / base
	}
	h, o := ratio(r.HealthyPerSec, r.BaselineConsumePerSec), ratio(r.OutagePerSec, r.BaselinePublishPerSec)
	return []Target{
		{"healthy at least 0.50 of baseline consume", fmt.Sprintf("%.2f", h), h >= goalHealthyRatio},
		{"outage at least 0.30 of baseline publish", fmt.Sprintf("%.2f", o), o >= goalOutageRatio},
		{fmt.Sprintf("p99 under 25 ms at %s/s, new server", thousands(r.LatencyRate)), ms(r.LatencyP99Ms), r.LatencyP99Ms > 0 && r.LatencyP99Ms < goalP99Ms},
		{"p99 under 25 ms after the workloads", ms(r.LatencyLoaded.P99Ms), r.LatencyLoaded.P99Ms > 0 && r.LatencyLoaded.P99Ms < goalP99Ms},
		{"list newest under 50 ms at 1,000,000 events", fmt.Sprintf("%s at %s events", ms(r.ListNewestOpenMs), thousands(int(r.EventsStored))), r.ListNewestOpenMs < goalListMs && r.EventsStored >= 1_000_000},
		{"peak RSS under 300 MB, 100,000 integrations, 1,000,000 runs in the window",
			fmt.Sprintf("%.0f MB, %s integrations, %s runs", float64(r.PeakRSSBytes)/1e6, thousands(r.Integrations), thousands(r.RunsInResendWindow)),
			r.PeakRSSBytes > 0 && r.PeakRSSBytes < goalPeakRSS && r.Integrations >= 100_000 && r.RunsInResendWindow >= goalRunsInWindow},
		{"exactly once verified after every run", fmt.Sprint(r.Verified), r.Verified},
	}
}
