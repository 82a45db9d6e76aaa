package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxRunReads bounds the outcomes one Run call reads: the integration's
// newest 50,000. An integration that runs
// every 15 seconds stores 40,320 in 7 days, so it is always searched whole.
const MaxRunReads = 50_000

// Run returns the outcome of run runID of integrationID as INTEGRATION_RUNS
// stored it (stored subject, sequence, receive time, raw data and headers),
// the first copy when the runner sent it more than once: the one the
// processor applied. It returns ErrNotFound when the integration has no such
// run in the stream (never sent, aged out after RunRetention, or an id that
// cannot be one), and ErrGaveUp when the integration's newest MaxRunReads
// outcomes do not hold it (older ones are not searched).
//
// The data is the runner's, unredacted: a caller that shows it decodes it
// with processor.Admit first (which redacts and bounds it, as the processor
// does before storing anything), so no credential leaves through an API.
//
// How it stays fast with 7 days of runs stored: the run is searched among
// its integration's stored outcomes (<root>.partitioned.*.runs.<id>) from
// the newest back, so the server reads only that subject, and the runs an
// operator opens are mostly recent ones. A run id index would make every
// read one get, but would cost every outcome a write and the server memory
// per run (README, Performance) for a page an operator opens now and then.
func (s *Store) Run(ctx context.Context, integrationID, runID string) (Msg, error) {
	if subjects.ValidateIntegrationID(integrationID) != nil || runID == "" || len(runID) > subjects.MaxRunIDBytes {
		return Msg{}, fmt.Errorf("run %q of %q: %w", truncate(runID, 40), truncate(integrationID, 40), ErrNotFound)
	}
	// Every partition, in case --partitions changed within RunRetention.
	filter := s.subj.PartitionedPrefix() + "*." + subjects.StoredRun + "." + integrationID
	m, err := s.searchRun(ctx, filter, runID)
	if err != nil {
		return Msg{}, fmt.Errorf("run %s of %s: %w", runID, integrationID, err)
	}
	return m, nil
}

// searchRun reads the messages on filter from the newest back, in windows
// of sequences each read forwards by an ordered consumer (which the server
// fills in batches), until one carries runID. A resent run's copies are all
// within ResendWindow of the first (a later one is applied as a new run),
// so after a match the search goes on back until ResendWindow before the
// oldest match, and returns that one: the first copy, the one applied.
func (s *Store) searchRun(ctx context.Context, filter, runID string) (Msg, error) {
	last, err := s.runs.GetLastMsgForSubject(ctx, filter)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Msg{}, fmt.Errorf("the integration has no outcome in %s: %w", StreamRuns, ErrNotFound)
	}
	if err != nil {
		return Msg{}, err
	}
	var found *Msg // the oldest match so far
	if carriesRunID(last.Data, runID) {
		m := runMsg(last)
		found = &m
	}
	older := func(t time.Time) bool { return found != nil && t.Before(found.Time.Add(-s.cfg.ResendWindow)) }
	reads, cursor, w := 1, last.Sequence-1, uint64(runSearchFirstWindow)
	// The first window aims at runSearchTarget outcomes by the
	// integration's share of the stream: most need no second one.
	if info, err := s.runs.Info(ctx, jetstream.WithSubjectFilter(filter)); err == nil && info.State.FirstSeq <= last.Sequence {
		var n uint64
		for _, c := range info.State.Subjects {
			n += c
		}
		if span := last.Sequence - info.State.FirstSeq + 1; n > 0 {
			w = max(w, span*runSearchTarget/n+1)
		}
	}
	for cursor > 0 && reads < MaxRunReads {
		lo := uint64(1)
		if cursor >= w {
			lo = cursor - w + 1
		}
		win, err := s.readRunWindow(ctx, filter, lo, cursor, runID)
		if err != nil {
			return Msg{}, err
		}
		// The window's oldest outcomes past the bound do not count.
		skip := max(0, win.n-(MaxRunReads-reads))
		for i := len(win.matches) - 1; i >= 0 && win.matches[i].index >= skip; i-- {
			if older(win.matches[i].msg.Time) {
				return *found, nil
			}
			found = &win.matches[i].msg
		}
		reads += win.n - skip
		if skip > 0 || win.n > 0 && older(win.first) {
			break
		}
		cursor = lo - 1
		// Aim the next window at about runSearchTarget outcomes.
		w = min(16*w, max(w, w*runSearchTarget/uint64(max(win.n, 1))))
	}
	switch {
	case found != nil:
		return *found, nil
	case cursor == 0:
		return Msg{}, fmt.Errorf("not in %s (all %d of the integration's outcomes read): %w", StreamRuns, reads, ErrNotFound)
	}
	return Msg{}, fmt.Errorf("not among the integration's newest %d outcomes in %s, the most one search reads; older ones were not searched: %w", reads, StreamRuns, ErrGaveUp)
}

const (
	// runSearchFirstWindow is the fewest sequences a window spans.
	runSearchFirstWindow = 4096
	// runSearchTarget is the outcomes searchRun aims a later window at.
	runSearchTarget = 4096
	// runSearchBatch is how many outcomes a window asks the server for at
	// once.
	runSearchBatch = 512
)

// runWindow is what readRunWindow found: n outcomes of the integration,
// the oldest received at first, and those carrying the run id, oldest first.
type runWindow struct {
	n       int
	first   time.Time
	matches []windowMatch
}

type windowMatch struct {
	index int // in the window, from its oldest
	msg   Msg
}

// readRunWindow reads the messages on filter with sequences lo to hi.
func (s *Store) readRunWindow(ctx context.Context, filter string, lo, hi uint64, runID string) (runWindow, error) {
	var win runWindow
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := s.runs.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: lo,
	})
	if err != nil {
		return win, err
	}
	it, err := c.Messages(jetstream.PullMaxMessages(runSearchBatch))
	if err != nil {
		return win, err
	}
	defer func() {
		it.Stop()
		// Each search makes consumers: delete them now rather than let
		// them reach the server's limit before they time out.
		if ci := c.CachedInfo(); ci != nil {
			_ = s.runs.DeleteConsumer(context.WithoutCancel(ctx), ci.Name)
		}
	}()
	for next := lo; next <= hi; {
		m, err := it.Next(jetstream.NextMaxWait(rangeQuiet))
		if errors.Is(err, nats.ErrTimeout) {
			// Nothing came: either nothing is left in the window (aged
			// out while we read) or the server is slow.
			g, err := s.runs.GetMsg(ctx, next, jetstream.WithGetMsgSubject(filter))
			if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && g.Sequence > hi {
				return win, nil
			}
			if err := ctx.Err(); err != nil {
				return win, fmt.Errorf("outcomes from sequence %d were not delivered: %w", next, err)
			}
			continue
		}
		if err != nil {
			return win, err
		}
		md, err := m.Metadata()
		if err != nil {
			return win, err
		}
		if md.Sequence.Stream > hi {
			break
		}
		if win.n == 0 {
			win.first = md.Timestamp
		}
		if carriesRunID(m.Data(), runID) {
			win.matches = append(win.matches, windowMatch{index: win.n, msg: Msg{Stream: StreamRuns, Subject: m.Subject(), Seq: md.Sequence.Stream, Time: md.Timestamp, Data: m.Data(), Header: m.Headers()}})
		}
		win.n++
		if md.NumPending == 0 {
			break
		}
		next = md.Sequence.Stream + 1
	}
	return win, nil
}

// carriesRunID reports whether outcome data has runId runID. A run id of
// characters no JSON encoder escapes must appear as it is, so data without
// it is passed over without decoding.
func carriesRunID(data []byte, runID string) bool {
	if plainRunID(runID) && !bytes.Contains(data, []byte(runID)) {
		return false
	}
	return subjects.RunIDOf(data) == runID
}

func plainRunID(id string) bool {
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func runMsg(raw *jetstream.RawStreamMsg) Msg {
	return Msg{Stream: StreamRuns, Subject: raw.Subject, Seq: raw.Sequence, Time: raw.Time, Data: raw.Data, Header: raw.Header}
}
