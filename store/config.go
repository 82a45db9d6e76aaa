package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// Names of the streams and buckets.
const (
	StreamRuns       = "INTEGRATION_RUNS"
	StreamEvents     = "INTEGRATION_EVENTS"
	StreamCommands   = "INTEGRATION_COMMANDS"
	StreamDeadLetter = "INTEGRATION_DEADLETTER"

	// BucketCounters holds one FailureCounter per integration id.
	BucketCounters = "integration_failures"
	// BucketSeenRuns remembers which stream sequence first carried a run id,
	// so a resent outcome is counted once.
	BucketSeenRuns = "integration_runs_seen"
	// BucketEvents indexes events by id, with their actioned state.
	BucketEvents = "integration_events"

	// ConsumerRuns and ConsumerEnables are the durable consumers the
	// pipeline reads from.
	ConsumerRuns    = "integration-events-runs"
	ConsumerEnables = "integration-events-enables"
)

// Config configures the streams and buckets.
type Config struct {
	Subjects subjects.Subjects
	// EventRetention is how long events and their index are kept.
	EventRetention time.Duration
	// RunRetention is how long outcomes are kept in INTEGRATION_RUNS. It
	// must cover ResendWindow.
	RunRetention time.Duration
	// ResendWindow is how long a run id is remembered: a resend within it is
	// ignored.
	ResendWindow time.Duration
	// Replicas of every stream and bucket (1 on a single server).
	Replicas int
	// AckWait is how long a delivered message may stay unacknowledged before
	// JetStream redelivers it.
	AckWait time.Duration
	// MaxAckPending bounds the outcomes in flight in the pipeline.
	MaxAckPending int
}

// DefaultConfig returns the configuration of a single-server deployment.
func DefaultConfig() Config {
	c := Config{}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.Subjects.Root == "" {
		c.Subjects = subjects.Default()
	}
	if c.EventRetention == 0 {
		c.EventRetention = 28 * 24 * time.Hour
	}
	if c.ResendWindow == 0 {
		c.ResendWindow = 25 * time.Hour
	}
	if c.RunRetention == 0 {
		c.RunRetention = 7 * 24 * time.Hour
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 4096
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.EventRetention < time.Hour:
		return fmt.Errorf("event retention %s is under an hour", c.EventRetention)
	case c.ResendWindow < time.Minute:
		return fmt.Errorf("resend window %s is under a minute", c.ResendWindow)
	case c.RunRetention < c.ResendWindow:
		return fmt.Errorf("run retention %s must cover the resend window %s", c.RunRetention, c.ResendWindow)
	case c.Replicas < 1 || c.Replicas > 5:
		return errors.New("replicas must be 1 to 5")
	case c.AckWait < time.Second:
		return fmt.Errorf("ack wait %s is under a second", c.AckWait)
	case c.MaxAckPending < 1:
		return errors.New("max ack pending must be positive")
	}
	return nil
}
