package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// Status returns the deployment summary: the server the service is
// connected to, every stream's and bucket's messages and bytes, each
// partition's lag and the replica holding it, the live replicas, the
// integrations disabled now (the first MaxStatusDisabled) and the events
// not actioned by event name. The server is as the service's own
// connection sees it; a client replaces the URL and round trip with its
// own.
//
// Cost: about 40 requests to JetStream whatever the size, plus one watch
// of integration_failures (every counter, as integrations.list:
// BenchmarkDisabledIntegrations 0.8 to 1.25 s for 100,000 integrations),
// and one acknowledgement and one index read per event actioned within
// the retention, at most MaxStatusActionedRead (BenchmarkCountEvents:
// 0.73 s for 1,000,000 events and 10,000 acknowledgements).
func (s *Service) Status(ctx context.Context, _ subjects.StatusRequest, _ int) (subjects.DeploymentStatus, error) {
	var none subjects.DeploymentStatus
	out := subjects.DeploymentStatus{Time: time.Now().UTC(), ServiceVersion: Version}
	out.Server = s.st.ServerInfo()
	var err error
	if out.Streams, err = s.st.StreamStats(ctx); err != nil {
		return none, err
	}
	if out.Partitions, err = s.st.PartitionLag(ctx); err != nil {
		return none, err
	}
	beats, err := s.st.Heartbeats(ctx)
	if err != nil {
		return none, err
	}
	out.Replicas = replicas(beats, out.Partitions)
	if out.Disabled, err = s.disabled(ctx); err != nil {
		return none, err
	}
	counts, err := s.st.CountEvents(ctx, subjects.MaxStatusActionedRead)
	if err != nil {
		return none, err
	}
	out.NotActioned = notActioned(counts)
	return out, nil
}

// replicas pairs the live replicas with the partitions the member list
// gives each (processor.Assign, as every replica computes it), and marks
// each partition with its replica.
func replicas(beats []store.Heartbeat, parts []subjects.PartitionStatus) []subjects.ReplicaStatus {
	ids := make([]string, len(beats))
	for i, b := range beats {
		ids[i] = b.ID
	}
	out := make([]subjects.ReplicaStatus, len(beats))
	for i, b := range beats {
		out[i] = subjects.ReplicaStatus{ID: b.ID, LastHeartbeat: b.At, Partitions: processor.Assign(len(parts), ids, b.ID)}
		if out[i].Partitions == nil {
			out[i].Partitions = []int{}
		}
		for _, p := range out[i].Partitions {
			parts[p].Replica = b.ID
		}
	}
	return out
}

// disabled lists the integrations disabled now, with the destination of
// each one's disabled event.
func (s *Service) disabled(ctx context.Context) (subjects.DisabledStatus, error) {
	cs, total, err := s.st.DisabledIntegrations(ctx, subjects.MaxStatusDisabled)
	if err != nil {
		return subjects.DisabledStatus{}, err
	}
	out := subjects.DisabledStatus{Total: total, Integrations: make([]subjects.DisabledIntegration, len(cs))}
	for i, c := range cs {
		out.Integrations[i] = subjects.DisabledIntegration{
			IntegrationID: c.IntegrationID, DisabledAt: c.DisabledAt, ConsecutiveFailures: c.ConsecutiveFailures,
			FailuresByKind: c.FailuresByKind, LastError: processor.Truncate(c.LastError, subjects.MaxStatusErrorBytes),
			DisabledEventID: c.DisabledEventID, DisabledBy: c.DisabledBy,
		}
		if out.Integrations[i].FailuresByKind == nil {
			out.Integrations[i].FailuresByKind = map[string]int{}
		}
		if c.DisabledEventID == "" {
			continue
		}
		ev, err := s.st.Event(ctx, c.DisabledEventID)
		if errors.Is(err, store.ErrNotFound) {
			continue // aged out: no destination to show
		}
		if err != nil {
			return subjects.DisabledStatus{}, fmt.Errorf("disabled event of %s: %w", c.IntegrationID, err)
		}
		var d struct {
			Destination string `json:"destination"`
		}
		_ = json.Unmarshal(ev.Data, &d) // the processor's own JSON; a bounded one still decodes
		out.Integrations[i].Destination = d.Destination
	}
	return out, nil
}

// notActioned turns the store's counts into the summary's: stored less
// actioned, by event name.
func notActioned(c store.EventCounts) subjects.NotActionedStatus {
	out := subjects.NotActionedStatus{ByEventName: map[string]uint64{}, Stored: c.Stored,
		Exact: uint64(c.ActionedRead) >= c.ActionedTotal, ActionedRead: c.ActionedRead, ActionedTotal: c.ActionedTotal}
	for name, n := range c.Stored {
		left := n - min(n, c.Actioned[name])
		out.ByEventName[name] = left
		out.Total += left
	}
	return out
}
