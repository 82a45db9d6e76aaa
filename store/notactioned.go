package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// EventCounts counts the events in INTEGRATION_EVENTS by event name, and
// those of them actioned.
type EventCounts struct {
	// Stored is the events stored by event name, every name present.
	Stored map[string]uint64
	// Actioned is, of those, the ones actioned, by event name.
	Actioned map[string]uint64
	// ActionedTotal is the acknowledgements stored since the oldest stored
	// event; ActionedRead how many of them were read. Actioned is exact
	// when they are equal, a lower bound otherwise.
	ActionedTotal uint64
	ActionedRead  int
}

// countingConsumer is the configuration of a short-lived consumer that
// only counts or reads once: no acks, in memory, gone soon if the delete
// that follows its use is lost.
func countingConsumer(filter string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		FilterSubject: filter, AckPolicy: jetstream.AckNonePolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		MemoryStorage: true, Replicas: 1, InactiveThreshold: 30 * time.Second,
	}
}

// countMatching returns how many messages of stream match filter (stored
// at or after since, when not nil): the server counts them from its subject
// index when it creates a consumer, without reading them.
func (s *Store) countMatching(ctx context.Context, stream jetstream.Stream, filter string, since *time.Time) (uint64, error) {
	cfg := countingConsumer(filter)
	if since != nil {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, since
	}
	c, err := stream.CreateConsumer(ctx, cfg)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", filter, err)
	}
	n := c.CachedInfo().NumPending
	s.dropConsumer(stream, c)
	return n, nil
}

// dropConsumer deletes a counting consumer; its inactive threshold removes
// it anyway should this fail.
func (s *Store) dropConsumer(stream jetstream.Stream, c jetstream.Consumer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	name := c.CachedInfo().Name
	if err := stream.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Debugw("counting consumer not deleted; it expires", "consumer", name, "error", err)
	}
}

// CountEvents counts the events stored by event name and those actioned.
//
// Cost: the stored counts are one consumer creation per event name (the
// server counts from its subject index, whatever the number of events).
// Actioned ones cannot be counted by subject (an acknowledgement's subject
// names the integration, not the event name), so CountEvents reads the
// acknowledgements stored since the oldest stored event (older ones are of
// events aged out), at most maxActioned of them, and checks each event in
// the index: it counts the event when the index holds it actioned at a
// sequence still in the stream. That is exact for events of a deployment
// whose operators action up to maxActioned events per retention period.
// BenchmarkCountEvents: 0.73 s with 1,000,000 events of 100,000
// integrations and 10,000 acknowledgements to read, 0.85 s with 100,000
// events (a shared 2-core machine): the acknowledgements cost, not the
// events.
func (s *Store) CountEvents(ctx context.Context, maxActioned int) (EventCounts, error) {
	out := EventCounts{Stored: map[string]uint64{}, Actioned: map[string]uint64{}}
	for _, k := range subjects.Kinds {
		out.Stored[k.EventName()], out.Actioned[k.EventName()] = 0, 0
	}
	first, err := s.events.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(s.subj.Events()))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("oldest event: %w", err)
	}
	for _, k := range subjects.Kinds {
		if out.Stored[k.EventName()], err = s.countMatching(ctx, s.events, s.subj.EventFilter(k, ""), nil); err != nil {
			return out, err
		}
	}
	since := first.Time
	acks, read, total, err := s.readActioned(ctx, since, maxActioned)
	if err != nil {
		return out, err
	}
	out.ActionedTotal, out.ActionedRead = total, read
	ids := make([]string, 0, len(acks))
	seen := map[string]bool{}
	for _, a := range acks {
		if !seen[a.EventID] {
			seen[a.EventID] = true
			ids = append(ids, a.EventID)
		}
	}
	entries := make([]*indexEntry, len(ids))
	err = readAtOnce(len(ids), func(i int) error {
		ent, _, err := s.indexEntry(ctx, ids[i])
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		entries[i] = &ent
		return err
	})
	if err != nil {
		return out, fmt.Errorf("actioned events: %w", err)
	}
	for _, e := range entries {
		if e == nil || e.DtActioned == nil || e.Seq < first.Sequence {
			continue
		}
		if _, ok := out.Actioned[e.EventName]; ok {
			out.Actioned[e.EventName]++
		}
	}
	return out, nil
}

// readActioned reads the actioned acknowledgements stored at or after
// since, at most limit of them, oldest first, and returns them with how
// many it read and how many there were. One that does not decode is read
// and skipped.
func (s *Store) readActioned(ctx context.Context, since time.Time, limit int) ([]subjects.Actioned, int, uint64, error) {
	cfg := countingConsumer(s.subj.ActionedAll())
	cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	c, err := s.events.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read actioned acknowledgements: %w", err)
	}
	defer s.dropConsumer(s.events, c)
	total := c.CachedInfo().NumPending
	want := int(min(total, uint64(max(limit, 0))))
	out := make([]subjects.Actioned, 0, want)
	read := 0
	for read < want {
		batch, err := c.Fetch(min(want-read, 1000), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("read actioned acknowledgements: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var ce struct {
				Data subjects.Actioned `json:"data"`
			}
			if err := json.Unmarshal(m.Data(), &ce); err != nil || ce.Data.EventID == "" {
				s.log.Warnw("unreadable actioned acknowledgement, not counted", "subject", m.Subject(), "error", err)
				continue
			}
			out = append(out, ce.Data)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, 0, 0, fmt.Errorf("read actioned acknowledgements: %w", err)
		}
		if n == 0 { // aged out while read
			break
		}
		read += n
	}
	return out, read, total, nil
}
