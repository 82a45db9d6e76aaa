package bench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
)

// Config sizes a benchmark run. The defaults finish in about two minutes on
// a 2-core machine.
type Config struct {
	// DataDir holds the embedded server's files; empty means a temporary
	// directory, removed afterwards.
	DataDir string
	// Baseline is how many messages the raw JetStream baseline publishes
	// and consumes.
	Baseline int
	// Healthy and HealthyIntegrations size the healthy workload: 95%
	// succeeded, 5% failed.
	Healthy, HealthyIntegrations int
	// Outage and OutageIntegrations size the outage workload: every run
	// fails, with an enable command after each disable.
	Outage, OutageIntegrations int
	// Scale is how many outcomes of the healthy mix run at each count of
	// integrations in ScaleIntegrations; the last count is the one whose
	// peak memory is reported.
	Scale             int
	ScaleIntegrations []int
	// RunsInWindow is how many distinct run ids the resend window should
	// hold when the peak memory is read: the last scale point applies
	// enough untimed outcomes first (at least one per integration) to get
	// there.
	RunsInWindow int
	// Rate is the offered load of the latency phase, in outcomes per
	// second, for LatencyFor.
	Rate       int
	LatencyFor time.Duration
	// EventsStored is how many events are stored before timing the queries.
	EventsStored int
	// NATSURL, when set, runs the benchmark on that server instead of an
	// embedded one: the process then holds the processor alone.
	NATSURL string
	// LoopbackTCP connects over TCP on 127.0.0.1 instead of the in-process
	// connection serve uses with its embedded server.
	LoopbackTCP bool
	// HeapProfile, when set, receives a heap profile taken where the peak
	// memory is read.
	HeapProfile io.Writer
	// Progress receives a line per phase and a running count; nil is quiet.
	Progress io.Writer
	// Pipeline and Store configure the processor under test.
	Pipeline processor.Config
	Store    store.Config
}

// DefaultConfig returns the sizes of a run with no flags.
func DefaultConfig() Config {
	c := Config{}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Baseline == 0 {
		c.Baseline = 200_000
	}
	if c.Healthy == 0 {
		c.Healthy = 200_000
	}
	if c.HealthyIntegrations == 0 {
		c.HealthyIntegrations = 10_000
	}
	if c.Outage == 0 {
		c.Outage = 100_000
	}
	if c.OutageIntegrations == 0 {
		c.OutageIntegrations = 1_000
	}
	if c.Scale == 0 {
		c.Scale = 150_000
	}
	if len(c.ScaleIntegrations) == 0 {
		c.ScaleIntegrations = []int{1_000, 100_000}
	}
	if c.RunsInWindow == 0 {
		c.RunsInWindow = 1_000_000
	}
	if c.Rate == 0 {
		c.Rate = 5_000
	}
	if c.LatencyFor == 0 {
		c.LatencyFor = 5 * time.Second
	}
	if c.EventsStored == 0 {
		c.EventsStored = 1_000_000
	}
	c.Pipeline = c.Pipeline.WithDefaults()
}

// Validate reports the first size that cannot work, then the first setting
// of Store or Pipeline that cannot work or contradicts another, as serve
// checks them: before the baseline, not at the first processor run.
func (c *Config) Validate() error {
	switch {
	case c.Baseline < 1 || c.Healthy < 1 || c.Outage < 1 || c.Scale < 1:
		return errors.New("baseline, healthy, outage and scale need at least 1 outcome each")
	case c.HealthyIntegrations < 1 || c.OutageIntegrations < 1:
		return errors.New("healthy and outage workloads need at least 1 integration each")
	case c.Rate < 1 || c.LatencyFor <= 0:
		return fmt.Errorf("latency phase needs a positive rate and duration, got %d/s for %s", c.Rate, c.LatencyFor)
	case c.EventsStored < 200:
		return fmt.Errorf("events stored %d must be at least 200: the query phase actions 100 of them", c.EventsStored)
	}
	for _, n := range c.ScaleIntegrations {
		if n < 1 {
			return fmt.Errorf("scale integrations %d must be positive", n)
		}
	}
	st, p := c.Store.WithDefaults(), c.Pipeline.WithDefaults()
	if err := st.Validate(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return p.CheckLimits(st)
}
