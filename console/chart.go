package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// chartTTL is how long a chart is reused: a page load, or many operators'
// page loads, read the listing at most this often.
const chartTTL = 10 * time.Second

// Geometry of the chart: heights in CSS pixels; across, bars and labels
// are placed in percent of the width, so the text keeps its size at any
// width (no viewBox to scale it) and a narrow screen still shows every
// hour.
const (
	chartH              = 150
	plotTop, plotBottom = 10, 22
)

type cachedChart struct {
	at    time.Time
	chart chart
}

// chart is events per hour by kind, drawn as stacked bars in inline SVG.
type chart struct {
	Range     string
	Hours     int
	H         int
	PlotTop   int
	PlotBot   int
	PlotH     int
	Bars      []bar
	YTicks    []tick
	XLabels   []tick
	Total     int
	Legend    []legendItem
	Coverage  string // what the chart covers when the read bound was hit; "" when it covers the whole range
	Uncovered *box   // the hours before the bound's oldest event, shaded
	Summary   string // the aria-label
}

type bar struct {
	X, W     float64
	Segments []segment
	Title    string
}

type segment struct {
	X, W  float64
	Y, H  float64
	Class string
}

type tick struct {
	Pos   float64
	Label string
}

type legendItem struct {
	Kind  kindInfo
	Count int
}

type box struct{ X, W float64 }

// chart returns the chart of rng ("24h" or "7d") ending at now's hour,
// from the events listing, reading at most ChartMaxEvents events. The
// listing is in the order the stream stored the events, so reading stops
// at the first one stored before the range; each is placed by its
// eventTime (the run's finishedAt), and one whose time is outside the
// range (an outcome resent late, a runner's clock behind) is left out
// without ending the read.
func (c *Console) chart(ctx context.Context, rng string, now time.Time) (chart, error) {
	c.chartMu.Lock()
	if cc, ok := c.chartCache[rng]; ok && now.Sub(cc.at) < chartTTL && now.Sub(cc.at) >= 0 {
		c.chartMu.Unlock()
		return cc.chart, nil
	}
	c.chartMu.Unlock()
	hours := 24
	if rng == "7d" {
		hours = 7 * 24
	}
	end := now.UTC().Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-time.Duration(hours) * time.Hour)
	counts := make([]map[string]int, hours)
	read, oldest, complete := 0, end, false
	req := subjects.ListEventsRequest{IncludeActioned: true, PageSize: subjects.MaxPageSize}
	for !complete && read < c.cfg.ChartMaxEvents {
		page, err := c.svc.ListEvents(ctx, req, pageBudget)
		if err != nil {
			return chart{}, err
		}
		for _, rec := range page.Data {
			received := rec.ReceivedAt
			if received.IsZero() {
				received = rec.EventTime
			}
			if received.Before(start) {
				complete = true
				break
			}
			read++
			if received.Before(oldest) {
				oldest = received
			}
			if i := int(rec.EventTime.Sub(start) / time.Hour); !rec.EventTime.Before(start) && i < hours {
				if counts[i] == nil {
					counts[i] = map[string]int{}
				}
				counts[i][rec.EventName]++
			}
			if read >= c.cfg.ChartMaxEvents {
				break
			}
		}
		if page.NextToken == "" {
			complete = true
		}
		req.NextToken = page.NextToken
	}
	ch := drawChart(rng, start, hours, counts)
	if !complete {
		ch.Coverage = fmt.Sprintf("Counts only the %d events received last (received back to %s); events received before them are not counted.",
			read, oldest.UTC().Format("2006-01-02 15:04 UTC"))
		if i := int(oldest.Sub(start) / time.Hour); i > 0 {
			ch.Uncovered = &box{X: 0, W: float64(i) * ch.barPitch()}
		}
	}
	c.chartMu.Lock()
	c.chartCache[rng] = cachedChart{at: now, chart: ch}
	c.chartMu.Unlock()
	return ch, nil
}

// barPitch is the percent of the width each hour takes.
func (ch chart) barPitch() float64 { return 100 / float64(ch.Hours) }

// drawChart lays out the bars of counts, one map of event name to count
// per hour from start.
func drawChart(rng string, start time.Time, hours int, counts []map[string]int) chart {
	ch := chart{Range: rng, Hours: hours, H: chartH, PlotTop: plotTop, PlotBot: chartH - plotBottom, PlotH: chartH - plotBottom - plotTop}
	byKind := map[string]int{}
	peak := 0
	for _, m := range counts {
		sum := 0
		for name, n := range m {
			sum += n
			byKind[name] += n
		}
		peak = max(peak, sum)
		ch.Total += sum
	}
	top := niceCeil(peak)
	plotH := float64(ch.PlotBot - ch.PlotTop)
	pitch := ch.barPitch()
	gap := pitch / 5
	for i, m := range counts {
		b := bar{X: float64(i)*pitch + gap/2, W: pitch - gap}
		t := start.Add(time.Duration(i) * time.Hour)
		y := float64(ch.PlotBot)
		var parts []string
		for _, k := range kindList {
			n := m[k.Name]
			if n == 0 {
				continue
			}
			h := float64(n) / float64(top) * plotH
			y -= h
			b.Segments = append(b.Segments, segment{X: b.X, W: b.W, Y: y, H: h, Class: k.Class})
			parts = append(parts, fmt.Sprintf("%d %s", n, k.Label))
		}
		if len(parts) == 0 {
			parts = []string{"no events"}
		}
		b.Title = t.Format("Jan 2 15:04") + "–" + t.Add(time.Hour).Format("15:04") + " UTC: " + strings.Join(parts, ", ")
		ch.Bars = append(ch.Bars, b)
	}
	for _, v := range []int{0, top / 2, top} {
		ch.YTicks = append(ch.YTicks, tick{Pos: float64(ch.PlotBot) - float64(v)/float64(top)*plotH, Label: fmt.Sprint(v)})
	}
	every := 3
	format := "15:04"
	if hours > 48 {
		every, format = 24, "Mon 2"
	}
	for i := 0; i < hours; i++ {
		t := start.Add(time.Duration(i) * time.Hour)
		if t.Hour()%every == 0 {
			ch.XLabels = append(ch.XLabels, tick{Pos: float64(i) * pitch, Label: t.Format(format)})
		}
	}
	for _, k := range kindList {
		ch.Legend = append(ch.Legend, legendItem{Kind: k, Count: byKind[k.Name]})
	}
	span := "24 hours"
	if hours > 48 {
		span = "7 days"
	}
	ch.Summary = fmt.Sprintf("Events per hour by type over the last %s: %d in all, at most %d in one hour.", span, ch.Total, peak)
	return ch
}

// niceCeil rounds n up to an even 1, 2, 4, 5, 6 or 8 times a power of
// ten, at least 2, so the half-way tick is a whole number.
func niceCeil(n int) int {
	if n <= 2 {
		return 2
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 4, 5, 6, 8} {
			if m*p >= n && (m*p)%2 == 0 {
				return m * p
			}
		}
	}
}
