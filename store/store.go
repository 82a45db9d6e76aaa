package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Store holds the JetStream handles of one deployment.
type Store struct {
	cfg        Config
	nc         *nats.Conn
	js         jetstream.JetStream
	log        *zap.SugaredLogger
	subj       subjects.Subjects
	runs       jetstream.Stream
	events     jetstream.Stream
	advisories jetstream.Stream
	// counters, index, members, mappings and outbox are the KV buckets.
	counters jetstream.KeyValue
	index    jetstream.KeyValue
	members  jetstream.KeyValue
	mappings jetstream.KeyValue
	outbox   jetstream.KeyValue
	// countersPut and indexPut prefix the subjects Writes puts keys of
	// counters and index on (kvPutPrefix).
	countersPut, indexPut string
	// checkpoints holds each partition's resend guard checkpoint.
	checkpoints jetstream.ObjectStore
	// metrics counts compare-and-set conflicts; nil counts nothing.
	metrics *metrics.Metrics
}

// SetMetrics makes the store count its compare-and-set conflicts in m and
// report its partitions' pending counts at each scrape of m. Call it before
// the store is used.
func (s *Store) SetMetrics(m *metrics.Metrics) {
	s.metrics = m
	m.WatchPending(s.PartitionBacklog)
}

// Open creates or updates the streams and buckets (idempotently, so every
// replica may call it at start) and returns the store.
func Open(ctx context.Context, nc *nats.Conn, cfg Config, logger *zap.Logger) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("store config: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, nc: nc, js: js, log: logger.Sugar(), subj: cfg.Subjects}
	sub := cfg.Subjects
	// Partition by integration id: the server computes the partition, so
	// every replica agrees, and enables join their integration's log.
	partitioned := func(kind string) string {
		return fmt.Sprintf("%s{{partition(%d,1)}}.%s.{{wildcard(1)}}", sub.PartitionedPrefix(), cfg.Partitions, kind)
	}
	streams := []jetstream.StreamConfig{
		{
			Name:        StreamCommands,
			Description: "Disable and enable commands.",
			Subjects:    []string{sub.Commands()},
			MaxAge:      cfg.EventRetention,
			Duplicates:  10 * time.Minute,
		},
		{
			Name:        StreamRuns,
			Description: "Integration run outcomes and enable commands, partitioned by integration.",
			Subjects:    []string{sub.Runs()},
			SubjectTransform: &jetstream.SubjectTransformConfig{
				Source: sub.RunsPrefix() + "*", Destination: partitioned(subjects.StoredRun),
			},
			Sources: []*jetstream.StreamSource{{
				Name: StreamCommands,
				SubjectTransforms: []jetstream.SubjectTransformConfig{
					{Source: sub.EnablePrefix() + "*", Destination: partitioned(subjects.StoredEnable)},
					{Source: sub.EnablePrefix() + "*.>", Destination: sub.Root + ".unpartitioned.enable.{{wildcard(1)}}.>"},
				},
			}},
			MaxAge:     cfg.RunRetention,
			Duplicates: runsDuplicateWindow,
		},
		{
			Name:        StreamEvents,
			Description: "Integration error events, actioned acknowledgements and external mapping announcements.",
			Subjects:    []string{sub.Events(), sub.ActionedAll(), sub.Mappings()},
			MaxAge:      cfg.EventRetention,
			Duplicates:  10 * time.Minute,
		},
		{
			Name:        StreamAdvisories,
			Description: "Max-deliveries advisories of INTEGRATION_RUNS, until dead-lettered.",
			Subjects:    []string{"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + StreamRuns + ".>"},
			MaxAge:      cfg.RunRetention,
		},
		{
			Name:        StreamDeadLetter,
			Description: "Rejected messages with the reason they were rejected.",
			Subjects:    []string{sub.DeadLetter()},
			MaxAge:      cfg.EventRetention,
			Duplicates:  time.Hour,
		},
	}
	for _, sc := range streams {
		sc.Storage = jetstream.FileStorage
		sc.Replicas = cfg.Replicas
		// Direct gets may be answered by a follower that lags the leader.
		// Listing events can live with that; the catch-up that reads
		// INTEGRATION_RUNS cannot, or it would miss an outcome.
		sc.AllowDirect = sc.Name != StreamRuns
		st, err := js.CreateOrUpdateStream(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", sc.Name, err)
		}
		switch sc.Name {
		case StreamRuns:
			s.runs = st
		case StreamEvents:
			s.events = st
		case StreamAdvisories:
			s.advisories = st
		}
	}
	buckets := []struct {
		kv  *jetstream.KeyValue
		cfg jetstream.KeyValueConfig
	}{
		{&s.counters, jetstream.KeyValueConfig{Bucket: BucketCounters, Description: "Failure streak per integration.", History: 5}},
		{&s.index, jetstream.KeyValueConfig{Bucket: BucketEvents, Description: "Events by id, with their actioned state.", TTL: cfg.EventRetention}},
		{&s.members, jetstream.KeyValueConfig{Bucket: BucketMembers, Description: "Heartbeats of live processor replicas.", TTL: cfg.MemberTTL}},
		{&s.mappings, jetstream.KeyValueConfig{Bucket: BucketMappings, Description: "External mappings by <externalSystem>.<m3terEntity>.<m3terId>.", History: 5}},
		{&s.outbox, jetstream.KeyValueConfig{Bucket: BucketActionedOutbox, Description: "Actions whose acknowledgement may not be stored yet, by event id.", LimitMarkerTTL: outboxMarkerTTL}},
	}
	for _, b := range buckets {
		b.cfg.Storage = jetstream.FileStorage
		b.cfg.Replicas = cfg.Replicas
		kv, err := js.CreateOrUpdateKeyValue(ctx, b.cfg)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", b.cfg.Bucket, err)
		}
		*b.kv = kv
	}
	for _, b := range []struct {
		pre *string
		kv  jetstream.KeyValue
	}{{&s.countersPut, s.counters}, {&s.indexPut, s.index}} {
		st, err := b.kv.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", b.kv.Bucket(), err)
		}
		var mirror *jetstream.StreamSource
		if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
			mirror = bs.StreamInfo().Config.Mirror
		}
		*b.pre = kvPutPrefix(js.Options(), b.kv.Bucket(), mirror)
	}
	s.checkpoints, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: BucketResendCheckpoints, Description: "Each partition's resend guard checkpoint.",
		Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", BucketResendCheckpoints, err)
	}
	// Consumers of the layout before partitioning would hold messages forever.
	for stream, name := range map[string]string{StreamRuns: "integration-events-runs", StreamCommands: "integration-events-enables"} {
		if err := js.DeleteConsumer(ctx, stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, fmt.Errorf("remove old consumer %s: %w", name, err)
		}
	}
	return s, nil
}

// Config returns the configuration the store was opened with, defaults set.
func (s *Store) Config() Config { return s.cfg }

// Partitions returns the partition count.
func (s *Store) Partitions() int { return s.cfg.Partitions }

// Subjects returns the subjects the store was opened with.
func (s *Store) Subjects() subjects.Subjects { return s.subj }

// Conn returns the NATS connection.
func (s *Store) Conn() *nats.Conn { return s.nc }

// publish stores data on subject with a de-duplication id and returns its
// stream sequence. A duplicate within the stream's window returns the
// original's sequence.
func (s *Store) publish(ctx context.Context, subject, msgID string, data []byte, hdr nats.Header) (uint64, error) {
	ack, err := s.publishAck(ctx, subject, msgID, data, hdr)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// publishAck is publish returning the whole acknowledgement, whose
// Duplicate says the message was stored before; opts add expectations.
func (s *Store) publishAck(ctx context.Context, subject, msgID string, data []byte, hdr nats.Header, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	m := &nats.Msg{Subject: subject, Data: data, Header: hdr}
	if m.Header == nil {
		m.Header = nats.Header{}
	}
	ack, err := s.js.PublishMsg(ctx, m, append(opts, jetstream.WithMsgID(msgID))...)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", subject, err)
	}
	return ack, nil
}

// casConflict reports whether a compare-and-set write failed because
// another writer got there first, and counts it if so.
func (s *Store) casConflict(err error) bool {
	if isConflict(err) {
		s.metrics.KVConflict()
		return true
	}
	return false
}

func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		isAPIError(err, jetstream.JSErrCodeStreamWrongLastSequence) || isAPIError(err, jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

func isAPIError(err error, code jetstream.ErrorCode) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == code
}

// concurrentReads bounds the reads readAtOnce has in flight.
const concurrentReads = 32

// readAtOnce calls read for every index below n, concurrentReads at a time,
// and returns their errors joined: reads that each wait for a round trip
// take about one round trip together.
func readAtOnce(n int, read func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrentReads)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = read(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
