package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxRunReads bounds the outcomes one Run call reads when the run's claim
// has expired (50,000; BenchmarkRunSearchBound: 130 to 185 ms for them
// all). An integration with fewer outcomes in
// INTEGRATION_RUNS is always searched whole: one that runs every 15 seconds
// stores 40,320 in 7 days.
const MaxRunReads = 50_000

// Run returns the outcome of run runID of integrationID as INTEGRATION_RUNS
// stored it (stored subject, sequence, receive time, raw data and headers),
// the first copy when the runner sent it more than once: the one the
// processor applied. It returns ErrNotFound when the integration has no such
// run in the stream (never sent, aged out after RunRetention, or an id that
// cannot be one), and ErrGaveUp when it read MaxRunReads of the
// integration's messages without finding it.
//
// The data is the runner's, unredacted: a caller that shows it decodes it
// with processor.Admit first (which redacts and bounds it, as the processor
// does before storing anything), so no credential leaves through an API.
//
// How it stays fast with 7 days of runs stored: within ResendWindow (25
// hours) the run's claim in integration_runs_seen names the sequence that
// first carried it, so a read is one KV get and one stream get (0.1 to 0.2
// ms, BenchmarkRunReadBack). Past it the claim has expired, and the run is
// searched among its integration's stored outcomes
// (<root>.partitioned.*.runs.<id>) from the oldest: the server reads only
// that subject, so a search costs the integration's outcomes older than the
// run, never the stream's. With 20,000 runs of 200 integrations stored that
// is 2.5 to 3.5 ms; MaxRunReads bounds it. Forwards suits the runs that need a
// search, which are the older ones, and makes the first match the first
// copy. A run id index kept 7 days would make every read one get, but would
// cost every outcome one more write and the server 7 times the claims'
// memory (README, Performance) for a page an operator opens now and then.
func (s *Store) Run(ctx context.Context, integrationID, runID string) (Msg, error) {
	if subjects.ValidateIntegrationID(integrationID) != nil || runID == "" || len(runID) > subjects.MaxRunIDBytes {
		return Msg{}, fmt.Errorf("run %q of %q: %w", truncate(runID, 40), truncate(integrationID, 40), ErrNotFound)
	}
	if m, ok, err := s.claimedRun(ctx, integrationID, runID); err != nil || ok {
		return m, err
	}
	// Every partition, in case --partitions changed within RunRetention.
	filter := s.subj.PartitionedPrefix() + "*." + subjects.StoredRun + "." + integrationID
	m, err := s.searchRun(ctx, filter, runID)
	if err != nil {
		return Msg{}, fmt.Errorf("run %s of %s: %w", runID, integrationID, err)
	}
	return m, nil
}

// searchRun reads the messages on filter from the oldest until one carries
// runID. The first costs one get, which also proves an integration with no
// outcomes stored has none; the rest stream through an ordered consumer,
// which the server fills in batches instead of a round trip a message.
func (s *Store) searchRun(ctx context.Context, filter, runID string) (Msg, error) {
	first, err := s.runs.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(filter))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Msg{}, fmt.Errorf("the integration has no outcome in %s: %w", StreamRuns, ErrNotFound)
	}
	if err != nil {
		return Msg{}, err
	}
	if carriesRunID(first.Data, runID) {
		return runMsg(first), nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := s.runs.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: first.Sequence + 1,
	})
	if err != nil {
		return Msg{}, err
	}
	it, err := c.Messages(jetstream.PullMaxMessages(runSearchBatch))
	if err != nil {
		return Msg{}, err
	}
	defer it.Stop()
	next := first.Sequence + 1
	for reads := 1; reads < MaxRunReads; reads++ {
		m, err := it.Next(jetstream.NextMaxWait(rangeQuiet))
		if errors.Is(err, nats.ErrTimeout) {
			// Nothing came: either nothing is left (the last message
			// aged out while we read) or the server is slow.
			if _, err := s.runs.GetMsg(ctx, next, jetstream.WithGetMsgSubject(filter)); errors.Is(err, jetstream.ErrMsgNotFound) {
				return Msg{}, fmt.Errorf("not in %s (%d of the integration's outcomes read): %w", StreamRuns, reads, ErrNotFound)
			}
			if err := ctx.Err(); err != nil {
				return Msg{}, fmt.Errorf("outcomes from sequence %d were not delivered: %w", next, err)
			}
			reads--
			continue
		}
		if err != nil {
			return Msg{}, err
		}
		md, err := m.Metadata()
		if err != nil {
			return Msg{}, err
		}
		if carriesRunID(m.Data(), runID) {
			return Msg{Stream: StreamRuns, Subject: m.Subject(), Seq: md.Sequence.Stream, Time: md.Timestamp, Data: m.Data(), Header: m.Headers()}, nil
		}
		if md.NumPending == 0 {
			return Msg{}, fmt.Errorf("not in %s (%d of the integration's outcomes read): %w", StreamRuns, reads+1, ErrNotFound)
		}
		next = md.Sequence.Stream + 1
	}
	return Msg{}, fmt.Errorf("read %d of the integration's outcomes, up to sequence %d of %s, without finding it: %w", MaxRunReads, next-1, StreamRuns, ErrGaveUp)
}

// runSearchBatch is how many outcomes searchRun asks the server for at once.
const runSearchBatch = 512

// claimedRun reads the run the claim names, if the claim is still there and
// names a message of this integration carrying this run id. Anything else
// (no claim, a message aged out or removed) leaves the search to Run.
func (s *Store) claimedRun(ctx context.Context, integrationID, runID string) (Msg, bool, error) {
	e, err := s.seen.Get(ctx, seenKey(integrationID, runID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Msg{}, false, nil
	}
	if err != nil {
		return Msg{}, false, fmt.Errorf("run %s of %s: claim: %w", runID, integrationID, err)
	}
	seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return Msg{}, false, nil
	}
	raw, err := s.runs.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Msg{}, false, nil
	}
	if err != nil {
		return Msg{}, false, fmt.Errorf("run %s of %s at sequence %d: %w", runID, integrationID, seq, err)
	}
	p, err := s.subj.ParsePartitioned(raw.Subject)
	if err != nil || p.Kind != subjects.StoredRun || p.IntegrationID != integrationID || runIDOf(raw.Data) != runID {
		return Msg{}, false, nil
	}
	return runMsg(raw), true, nil
}

// carriesRunID reports whether outcome data has runId runID. A run id of
// characters no JSON encoder escapes must appear as it is, so data without
// it is passed over without decoding.
func carriesRunID(data []byte, runID string) bool {
	if plainRunID(runID) && !bytes.Contains(data, []byte(runID)) {
		return false
	}
	return runIDOf(data) == runID
}

func plainRunID(id string) bool {
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// runIDOf is the runId an outcome carries, or "" when it is not JSON.
func runIDOf(data []byte) string {
	var o struct {
		RunID string `json:"runId"`
	}
	if json.Unmarshal(data, &o) != nil {
		return ""
	}
	return o.RunID
}

func runMsg(raw *jetstream.RawStreamMsg) Msg {
	return Msg{Stream: StreamRuns, Subject: raw.Subject, Seq: raw.Sequence, Time: raw.Time, Data: raw.Data, Header: raw.Header}
}
