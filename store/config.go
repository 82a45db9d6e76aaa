package store

import (
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
	// BucketResendCheckpoints is the object store of each partition's
	// resend guard checkpoint (resend.Guard), so a takeover reads the
	// stream only since the checkpoint.
	BucketResendCheckpoints = "integration_resend_checkpoints"
	// BucketEvents indexes events by id, with their actioned state.
	BucketEvents = "integration_events"

	// BucketMembers holds one heartbeat per live processor replica.
	BucketMembers = "integration_processors"
	// BucketMappings holds external mappings (subjects.ExternalMapping) by
	// subjects.MappingKey, for runners to read with a plain KV get.
	BucketMappings = "external_mappings"
	// BucketActionedOutbox holds, by event id, each action until its
	// acknowledgement is stored (Actioner).
	BucketActionedOutbox = "integration_actioned_outbox"

	// ConsumerPartitionPrefix names the durable consumer of each partition
	// ("integration-events-p3"), and ConsumerUnpartitioned the one that
	// dead-letters messages on malformed subjects.
	ConsumerPartitionPrefix = "integration-events-p"
	ConsumerUnpartitioned   = "integration-events-unpartitioned"
	ConsumerAdvisories      = "integration-events-advisories"

	// StreamAdvisories keeps JetStream's max-deliveries advisories for
	// INTEGRATION_RUNS until the processor has dead-lettered the message
	// each one names.
	StreamAdvisories = "INTEGRATION_ADVISORIES"
	// PriorityGroup is the consumers' pinned-client priority group: the
	// server hands a partition to one replica at a time.
	PriorityGroup = "processors"

	// DefaultPartitions is the partition count of a deployment.
	DefaultPartitions = 8

	// runsDuplicateWindow is how long INTEGRATION_RUNS drops a publish
	// whose Nats-Msg-Id it stored already: a runner's retry. JetStream
	// refuses a window longer than the stream's MaxAge (RunRetention).
	runsDuplicateWindow = 2 * time.Minute
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
	// MaxAckPending bounds the outcomes in flight per partition.
	MaxAckPending int
	// MaxDeliver is how often a message is delivered without being
	// acknowledged before JetStream gives up on it; the processor then
	// dead-letters it from the advisory, so nothing is dropped silently.
	MaxDeliver int
	// Partitions splits INTEGRATION_RUNS by integration. It is fixed for
	// the life of a deployment: changing it re-partitions new messages only.
	Partitions int
	// PinnedTTL is how long a partition stays pinned to a replica that
	// stopped pulling before the server hands it to another.
	PinnedTTL time.Duration
	// MemberTTL is how long a replica counts as live after its last
	// heartbeat.
	MemberTTL time.Duration
}

// WithDefaults returns c with every unset field at its default, as Open
// uses it.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

// DefaultConfig returns the configuration of a single-server deployment.
func DefaultConfig() Config { return Config{}.WithDefaults() }

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
	// What a frozen replica was handed comes back after AckWait: it bounds
	// the fail-over of a stall, so it is short, and MaxAckPending keeps the
	// queue a replica holds short enough to be applied well within it.
	if c.AckWait == 0 {
		c.AckWait = 6 * time.Second
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 256
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 100
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.PinnedTTL == 0 {
		c.PinnedTTL = 5 * time.Second
	}
	if c.MemberTTL == 0 {
		c.MemberTTL = 3 * time.Second
	}
}

// Validate reports the first setting that cannot work, by the name of its
// flag (event-retention, ack-wait, ...).
func (c *Config) Validate() error {
	switch {
	case c.EventRetention < time.Hour:
		return fmt.Errorf("event-retention %s is under an hour", c.EventRetention)
	case c.ResendWindow < time.Minute:
		return fmt.Errorf("resend-window %s is under a minute", c.ResendWindow)
	case c.RunRetention < c.ResendWindow:
		return fmt.Errorf("run-retention %s must cover resend-window %s: a resend of an outcome no longer kept could not be recognised", c.RunRetention, c.ResendWindow)
	case c.RunRetention < runsDuplicateWindow:
		return fmt.Errorf("run-retention %s must cover the %s in which %s drops a runner's retried publish (same Nats-Msg-Id): JetStream refuses a stream that forgets messages sooner", c.RunRetention, runsDuplicateWindow, StreamRuns)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("replicas %d must be 1 to 5", c.Replicas)
	case c.AckWait < time.Second:
		return fmt.Errorf("ack-wait %s is under a second", c.AckWait)
	case c.MaxAckPending < 1:
		return fmt.Errorf("max-ack-pending %d must be positive", c.MaxAckPending)
	case c.MaxDeliver < 2:
		return fmt.Errorf("max-deliver %d must be at least 2", c.MaxDeliver)
	case c.Partitions < 1 || c.Partitions > 1024:
		return fmt.Errorf("partitions %d must be 1 to 1024", c.Partitions)
	case c.PinnedTTL < 2*time.Second:
		// A replica's pulls, which keep its pin, expire after a second.
		return fmt.Errorf("pinned-ttl %s is under 2s: an idle partition would lose its pin between two pulls", c.PinnedTTL)
	case c.MemberTTL < time.Second:
		return fmt.Errorf("member-ttl %s is under a second", c.MemberTTL)
	}
	return nil
}
