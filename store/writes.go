package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Writes collects writes that are sent at once, without waiting for each
// acknowledgement, and awaited together by Flush: a partition's pipeline
// makes one round trip per step of a whole batch of outcomes instead of one
// per outcome. The Store's synchronous writes of the same names are one
// write on a Writes of their own (writeOne).
//
// A Writes has its own reply subscription and is used by one goroutine;
// Close releases it. Acknowledgements come back by the write's index in its
// reply subject, so matching them takes no lock and no map, and a late one
// from a flush that gave up is told apart by its generation.
type Writes struct {
	s      *Store
	sub    *nats.Subscription
	prefix string
	gen    int
	ops    []pendingWrite
}

// pendingWrite is one write in flight and what to do with its outcome.
type pendingWrite struct {
	done    func(seq uint64, err error)
	settled bool
}

// Writes returns an empty set of writes with its reply subscription.
func (s *Store) Writes() (*Writes, error) {
	prefix := nats.NewInbox() + "."
	sub, err := s.nc.SubscribeSync(prefix + "*.*")
	if err != nil {
		return nil, fmt.Errorf("writes: %w", err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	return &Writes{s: s, sub: sub, prefix: prefix}, nil
}

// Close releases the reply subscription.
func (w *Writes) Close() { _ = w.sub.Unsubscribe() }

func (w *Writes) send(m *nats.Msg, msgID string, done func(seq uint64, err error)) {
	if msgID != "" {
		m.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	m.Reply = w.prefix + strconv.Itoa(w.gen) + "." + strconv.Itoa(len(w.ops))
	if err := w.s.nc.PublishMsg(m); err != nil {
		done(0, fmt.Errorf("publish %s: %w", m.Subject, err))
		return
	}
	w.ops = append(w.ops, pendingWrite{done: done})
}

// Discard forgets the writes not yet flushed: a late acknowledgement of one
// is ignored like one from a flush that gave up.
func (w *Writes) Discard() {
	if len(w.ops) > 0 {
		w.ops, w.gen = w.ops[:0], w.gen+1
	}
}

// Flush waits until every write sent is acknowledged or failed, and tells
// each its outcome. It returns early only when ctx ends; the writes not
// acknowledged then are told ctx's error.
func (w *Writes) Flush(ctx context.Context) {
	defer func() { w.ops, w.gen = w.ops[:0], w.gen+1 }()
	gen := strconv.Itoa(w.gen) + "."
	for left := len(w.ops); left > 0; {
		m, err := w.sub.NextMsgWithContext(ctx)
		if err != nil {
			for i := range w.ops {
				if !w.ops[i].settled {
					w.ops[i].done(0, err)
				}
			}
			return
		}
		rest, ok := strings.CutPrefix(m.Subject[len(w.prefix):], gen)
		if !ok {
			continue // from a flush that gave up
		}
		i, err := strconv.Atoi(rest)
		if err != nil || i >= len(w.ops) || w.ops[i].settled {
			continue
		}
		w.ops[i].settled = true
		left--
		seq, err := parsePubAck(m)
		w.ops[i].done(seq, err)
	}
}

// parsePubAck reads a JetStream publish acknowledgement: the stored
// sequence, or the error the server answered with.
func parsePubAck(m *nats.Msg) (uint64, error) {
	if len(m.Data) == 0 {
		if m.Header.Get("Status") == "503" {
			return 0, jetstream.ErrNoStreamResponse
		}
		return 0, fmt.Errorf("empty publish acknowledgement (status %q)", m.Header.Get("Status"))
	}
	if bytes.Contains(m.Data, []byte(`"error":`)) {
		var resp struct {
			Error *jetstream.APIError `json:"error"`
		}
		if err := json.Unmarshal(m.Data, &resp); err != nil || resp.Error == nil {
			return 0, fmt.Errorf("unreadable publish acknowledgement %q", m.Data)
		}
		return 0, resp.Error
	}
	i := bytes.Index(m.Data, []byte(`"seq":`))
	if i < 0 {
		return 0, fmt.Errorf("publish acknowledgement without a sequence: %q", m.Data)
	}
	var seq uint64
	for _, c := range m.Data[i+len(`"seq":`):] {
		if c < '0' || c > '9' {
			break
		}
		seq = seq*10 + uint64(c-'0')
	}
	return seq, nil
}

// kvPutPrefix is the prefix of the subjects a KV put to bucket is sent on,
// as nats.go's KV composes it: "$KV.<bucket>.", behind the JetStream API
// prefix of a domain (or of a custom API prefix), or the external API
// prefix of a bucket mirrored from another domain. mirror is the bucket's
// stream's, nil when it mirrors nothing.
func kvPutPrefix(opts jetstream.JetStreamOptions, bucket string, mirror *jetstream.StreamSource) string {
	api := jetstream.DefaultAPIPrefix
	switch {
	case opts.Domain != "":
		api = "$JS." + opts.Domain + ".API."
	case opts.APIPrefix != "":
		api = strings.TrimSuffix(opts.APIPrefix, ".") + "."
	}
	pre := "$KV." + bucket + "."
	if mirror != nil {
		origin := strings.TrimPrefix(mirror.Name, "KV_")
		if mirror.External != nil && mirror.External.APIPrefix != "" {
			return mirror.External.APIPrefix + ".$KV." + origin + "."
		}
		pre = "$KV." + origin + "."
	}
	if api != jetstream.DefaultAPIPrefix {
		return api + pre
	}
	return pre
}

// KVStream is the name of the stream behind KV bucket bucket, as JetStream
// names it: KV_integration_failures.
func KVStream(bucket string) string { return "KV_" + bucket }

// expectLast asks the stream to store a message only if its subject's last
// sequence is rev (0: no message yet), as KV Create and Update do.
func expectLast(rev uint64) nats.Header {
	return nats.Header{"Nats-Expected-Last-Subject-Sequence": []string{strconv.FormatUint(rev, 10)}}
}

// PublishEvent stores an event on its subject, de-duplicated by id, and
// tells done its stream sequence. The event
// is not indexed until IndexEvent is flushed.
func (w *Writes) PublishEvent(ev StoredEvent, done func(seq uint64, err error)) {
	subject := w.s.subj.Event(ev.Kind, ev.IntegrationID)
	w.send(&nats.Msg{Subject: subject, Data: ev.CloudEvent, Header: cloudEventHeader()}, ev.ID, func(seq uint64, err error) {
		if err != nil {
			err = fmt.Errorf("publish %s: %w", subject, err)
		}
		done(seq, err)
	})
}

// IndexEvent indexes an event stored at seq; indexing it again is harmless.
func (w *Writes) IndexEvent(ev StoredEvent, seq uint64, done func(err error)) {
	b, err := json.Marshal(newIndexEntry(ev, seq))
	if err != nil {
		done(err)
		return
	}
	w.send(&nats.Msg{Subject: w.s.indexPut + ev.ID, Data: b, Header: expectLast(0)}, "", func(_ uint64, err error) {
		if err != nil && !isConflict(err) {
			done(fmt.Errorf("index event %s: %w", ev.ID, err))
			return
		}
		done(nil)
	})
}

// PublishCommand stores a command, de-duplicated by msgID, and tells done
// its stream sequence.
func (w *Writes) PublishCommand(subject, msgID string, data []byte, done func(seq uint64, err error)) {
	hdr := nats.Header{"Content-Type": []string{"application/json"}}
	w.send(&nats.Msg{Subject: subject, Data: data, Header: hdr}, msgID, func(seq uint64, err error) {
		if err != nil {
			err = fmt.Errorf("publish %s: %w", subject, err)
		}
		done(seq, err)
	})
}

// PutCounter stores c if its stored revision is still rev (0: not stored
// yet), and tells done the new revision, or ErrConflict when another
// writer got there first.
func (w *Writes) PutCounter(c *subjects.FailureCounter, rev uint64, done func(rev uint64, err error)) {
	b, err := json.Marshal(c)
	if err != nil {
		done(0, err)
		return
	}
	w.send(&nats.Msg{Subject: w.s.countersPut + c.IntegrationID, Data: b, Header: expectLast(rev)}, "", func(next uint64, err error) {
		switch {
		case w.s.casConflict(err):
			err = fmt.Errorf("counter %s at revision %d: %w", c.IntegrationID, rev, ErrConflict)
		case err != nil:
			err = fmt.Errorf("counter %s: %w", c.IntegrationID, err)
		}
		done(next, err)
	})
}

// pubRetries and pubRetryWait are nats.go's PublishMsg retries of a write
// no stream answered (a stream leader being elected), which writeOne makes
// too.
const (
	pubRetries   = jetstream.DefaultPubRetryAttempts
	pubRetryWait = jetstream.DefaultPubRetryWait
)

// writeOne sends one write on a Writes of its own and waits for it,
// returning what the write's done was told. A write no stream answered is
// sent again, up to pubRetries times, pubRetryWait apart.
func (s *Store) writeOne(ctx context.Context, send func(w *Writes, done func(seq uint64, err error))) (uint64, error) {
	w, err := s.Writes()
	if err != nil {
		return 0, err
	}
	defer w.Close()
	for retry := 0; ; retry++ {
		var seq uint64
		send(w, func(q uint64, e error) { seq, err = q, e })
		w.Flush(ctx)
		if !errors.Is(err, jetstream.ErrNoStreamResponse) || retry == pubRetries {
			return seq, err
		}
		select {
		case <-time.After(pubRetryWait):
		case <-ctx.Done():
			return 0, err
		}
	}
}
