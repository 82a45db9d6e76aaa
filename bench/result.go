package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Result holds the figures of one run. The JSON keys are the contract of
// `integration-events bench --json`.
type Result struct {
	Machine               string  `json:"machine"`
	Connection            string  `json:"connection"`
	BaselinePublishPerSec float64 `json:"baselinePublishPerSec"`
	BaselineConsumePerSec float64 `json:"baselineConsumePerSec"`
	HealthyPerSec         float64 `json:"healthyPerSec"`
	OutagePerSec          float64 `json:"outagePerSec"`
	// ScalePerSec is the healthy mix's throughput by integration count.
	ScalePerSec   []ScalePoint `json:"scalePerSec"`
	LatencyRate   int          `json:"latencyOfferedPerSec"`
	LatencyP50Ms  float64      `json:"latencyP50Ms"`
	LatencyP99Ms  float64      `json:"latencyP99Ms"`
	LatencyMaxMs  float64      `json:"latencyMaxMs"`
	LatencyEvents int          `json:"latencyEvents"`
	// LatencyLoaded is the same measure after the workloads, when the
	// embedded server holds their streams and per-key indexes in the same
	// heap as the processor.
	LatencyLoaded Latency `json:"latencyLoaded"`
	// ListNewestOpenMs is the median time to list the newest page of
	// not-actioned events; Action100Ms to action 100 events in one call.
	ListNewestOpenMs float64 `json:"listNewestOpenMs"`
	// HTTPListNewestMs is the same listing through GET /api/events on a
	// loopback port (issue 9's target: a median under 50 ms).
	HTTPListNewestMs float64 `json:"httpListNewestMs"`
	Action100Ms      float64 `json:"action100Ms"`
	// ListAfterActionMs is ListNewestOpenMs once the newest 500 events are
	// actioned, so a page must skip them.
	ListAfterActionMs float64 `json:"listAfterActionMs"`
	// PeakRSSBytes is the peak resident set of the process (embedded
	// server and processor) while Integrations were tracked.
	PeakRSSBytes int64 `json:"peakRssBytes"`
	Integrations int   `json:"integrations"`
	// RunsInResendWindow is how many distinct run ids the processor's
	// resend guard held when the peak memory was read.
	RunsInResendWindow int    `json:"runsInResendWindow"`
	EventsStored       uint64 `json:"eventsStored"`
	// Verified is true when every processor run's counters, events and
	// disable commands matched the reference model of what it stored.
	Verified bool    `json:"verified"`
	Seconds  float64 `json:"seconds"`
	// Targets are issue 11's goals with this run's result for each.
	Targets []Target `json:"targets"`
}

// ScalePoint is the throughput of the healthy mix at one integration count.
type ScalePoint struct {
	Integrations int     `json:"integrations"`
	PerSec       float64 `json:"perSec"`
}

// WriteTable prints the figures, with their ratio to the baseline where one
// applies.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(figure, value, ratio string) { fmt.Fprintf(tw, "%s\t%s\t%s\t\n", figure, value, ratio) }
	pct := func(v, base float64) string {
		if base == 0 {
			return ""
		}
		return fmt.Sprintf("%.0f%%", 100*v/base)
	}
	row("figure", "value", "ratio")
	row("baseline publish (JetStream async, file)", perSec(r.BaselinePublishPerSec), "")
	row("baseline consume (pull, ack each)", perSec(r.BaselineConsumePerSec), "")
	row("processor, healthy (95% ok, 5% failed)", perSec(r.HealthyPerSec), pct(r.HealthyPerSec, r.BaselineConsumePerSec)+" of consume")
	row("processor, outage (100% failed)", perSec(r.OutagePerSec), pct(r.OutagePerSec, r.BaselinePublishPerSec)+" of publish")
	for _, p := range r.ScalePerSec {
		row(fmt.Sprintf("processor, healthy mix, %s integrations", thousands(p.Integrations)), perSec(p.PerSec), pct(p.PerSec, r.BaselineConsumePerSec)+" of consume")
	}
	row(fmt.Sprintf("latency p50 at %s outcomes/s, new server", thousands(r.LatencyRate)), ms(r.LatencyP50Ms), "")
	row("latency p99, new server", ms(r.LatencyP99Ms), "")
	row("latency max, new server", ms(r.LatencyMaxMs), "")
	row("latency p50, after the workloads", ms(r.LatencyLoaded.P50Ms), "")
	row("latency p99, after the workloads", ms(r.LatencyLoaded.P99Ms), "")
	row(fmt.Sprintf("list newest not-actioned page, %s events", thousands(int(r.EventsStored))), ms(r.ListNewestOpenMs), "")
	row("the same through GET /api/events (HTTP, loopback)", ms(r.HTTPListNewestMs), "")
	row("action 100 events in one call", ms(r.Action100Ms), "")
	row("list newest not-actioned page, newest 500 actioned", ms(r.ListAfterActionMs), "")
	row(fmt.Sprintf("peak RSS, %s integrations", thousands(r.Integrations)), fmt.Sprintf("%.0f MB", float64(r.PeakRSSBytes)/1e6), "")
	row("runs in the resend window at the peak", thousands(r.RunsInResendWindow), "")
	row("exactly-once verified", fmt.Sprint(r.Verified), "")
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "target\tresult\t\n")
	for _, t := range r.Targets {
		met := "met"
		if !t.Met {
			met = "NOT MET"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Goal, t.Result, met)
	}
	return tw.Flush()
}

func perSec(v float64) string { return thousands(int(v+0.5)) + "/s" }

func ms(v float64) string { return fmt.Sprintf("%.2f ms", v) }

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
