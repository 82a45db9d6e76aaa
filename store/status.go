package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// statusStreams are the streams StreamStats reports, in its order.
var statusStreams = []string{StreamRuns, StreamEvents, StreamCommands, StreamDeadLetter, StreamAdvisories}

// statusBuckets are the buckets StreamStats reports, in its order.
var statusBuckets = []string{BucketCounters, BucketEvents, BucketActionedOutbox, BucketMembers, BucketMappings}

// ServerInfo returns the NATS server the store is connected to, as its
// connection sees it: URL (user, password or token redacted: redact.URL), name, version and
// round trip (one PING; Reachable is false and Error says why when it
// fails).
func (s *Store) ServerInfo() subjects.StatusServer {
	out := subjects.StatusServer{URL: redact.URL(s.nc.ConnectedUrl()), Name: s.nc.ConnectedServerName(), Version: s.nc.ConnectedServerVersion()}
	rtt, err := s.nc.RTT()
	if err != nil {
		out.Error = "round trip: " + err.Error()
		return out
	}
	out.Reachable, out.RTTMillis = true, float64(rtt.Microseconds())/1000
	return out
}

// StreamStats returns the messages, bytes and consumers of the service's
// streams, then of its KV buckets: one stream info request each, at once.
func (s *Store) StreamStats(ctx context.Context) ([]subjects.StreamStatus, error) {
	out := make([]subjects.StreamStatus, 0, len(statusStreams)+len(statusBuckets))
	for _, n := range statusStreams {
		out = append(out, subjects.StreamStatus{Name: n, Kind: subjects.StreamKindStream})
	}
	for _, n := range statusBuckets {
		out = append(out, subjects.StreamStatus{Name: n, Kind: subjects.StreamKindBucket})
	}
	err := readAtOnce(len(out), func(i int) error {
		name := out[i].Name
		if out[i].Kind == subjects.StreamKindBucket {
			name = KVStream(name)
		}
		st, err := s.js.Stream(ctx, name)
		if err != nil {
			return fmt.Errorf("stream %s: %w", name, err)
		}
		info := st.CachedInfo()
		out[i].Messages, out[i].Bytes, out[i].Consumers = info.State.Msgs, info.State.Bytes, info.State.Consumers
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PartitionLag returns the lag of each partition's durable consumer on
// INTEGRATION_RUNS (ConsumerPartitionPrefix and the partition number):
// one consumer info request each, at once. A consumer not created yet is
// reported Missing, with the partition's messages as its pending.
func (s *Store) PartitionLag(ctx context.Context) ([]subjects.PartitionStatus, error) {
	out := make([]subjects.PartitionStatus, s.cfg.Partitions)
	err := readAtOnce(len(out), func(p int) error {
		name := ConsumerPartitionPrefix + strconv.Itoa(p)
		out[p] = subjects.PartitionStatus{Partition: p, Consumer: name}
		c, err := s.runs.Consumer(ctx, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			out[p].Missing = true
			out[p].Pending, err = s.countMatching(ctx, s.runs, s.subj.Partition(p), nil)
			return err
		}
		if err != nil {
			return fmt.Errorf("consumer %s: %w", name, err)
		}
		info := c.CachedInfo()
		out[p].Pending, out[p].AckPending = info.NumPending, info.NumAckPending
		for _, g := range info.PriorityGroups {
			out[p].Pinned = out[p].Pinned || g.PinnedClientID != ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PartitionBacklog is how many outcomes and enables each partition's
// consumer has not yet had acknowledged, by partition number:
// PartitionLag's pending plus ack pending.
func (s *Store) PartitionBacklog(ctx context.Context) ([]uint64, error) {
	parts, err := s.PartitionLag(ctx)
	if err != nil {
		return nil, fmt.Errorf("backlog: %w", err)
	}
	counts := make([]uint64, len(parts))
	for i, p := range parts {
		counts[i] = p.Pending + uint64(p.AckPending)
	}
	return counts, nil
}

// Heartbeat is a live replica's last heartbeat in BucketMembers.
type Heartbeat struct {
	ID string
	At time.Time
}

// Heartbeats returns the live replicas with the time of their last
// heartbeat, sorted by id: one watch of the bucket.
func (s *Store) Heartbeats(ctx context.Context) ([]Heartbeat, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	w, err := s.members.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("heartbeats: %w", err)
	}
	defer func() { _ = w.Stop() }()
	out := []Heartbeat{}
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // every current value has been delivered
				slices.SortFunc(out, func(a, b Heartbeat) int { return strings.Compare(a.ID, b.ID) })
				return out, nil
			}
			out = append(out, Heartbeat{ID: e.Key(), At: e.Created().UTC()})
		case <-ctx.Done():
			return nil, fmt.Errorf("heartbeats: %w", ctx.Err())
		}
	}
}

// DisabledIntegrations returns the first limit disabled integrations in
// ListIntegrations' order (most failures first, then by id) and how many
// are disabled. It reads every counter, as ListIntegrations does (one KV
// watch; ErrTooMany past MaxIntegrationsListed).
func (s *Store) DisabledIntegrations(ctx context.Context, limit int) ([]subjects.FailureCounter, int, error) {
	all, err := s.integrationPlaces(ctx)
	if err != nil {
		return nil, 0, err
	}
	all = slices.DeleteFunc(all, func(p integrationPlace) bool { return p.rank != 0 })
	slices.SortFunc(all, integrationPlace.compare)
	out := make([]subjects.FailureCounter, 0, min(limit, len(all)))
	for _, p := range all[:min(limit, len(all))] {
		var c subjects.FailureCounter
		if err := json.Unmarshal(p.raw, &c); err != nil {
			return nil, 0, fmt.Errorf("counter %s is not a FailureCounter: %w", p.id, err)
		}
		out = append(out, c)
	}
	return out, len(all), nil
}
