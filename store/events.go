package store

import (
	"context"
	"encoding/base64"
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

// indexEntry is the value of an event's key in BucketEvents.
type indexEntry struct {
	ID            string     `json:"id"`
	EventName     string     `json:"eventName"`
	IntegrationID string     `json:"integrationId"`
	EventTime     time.Time  `json:"eventTime"`
	Seq           uint64     `json:"seq"`
	DtActioned    *time.Time `json:"dtActioned"`
	ActionedBy    string     `json:"actionedBy,omitempty"`
	Note          string     `json:"note,omitempty"`
}

// newIndexEntry is the index entry of ev, stored at sequence seq of the
// events stream.
func newIndexEntry(ev StoredEvent, seq uint64) indexEntry {
	return indexEntry{ID: ev.ID, EventName: ev.Kind.EventName(), IntegrationID: ev.IntegrationID, EventTime: ev.Time, Seq: seq}
}

// cloudEventHeader marks a message as a structured-mode CloudEvent.
func cloudEventHeader() nats.Header {
	return nats.Header{"Content-Type": []string{subjects.CloudEventsContentType}}
}

func (e *indexEntry) record(data json.RawMessage) subjects.EventRecord {
	return subjects.EventRecord{
		ID: e.ID, EventName: e.EventName, EventTime: e.EventTime, IntegrationID: e.IntegrationID,
		DtActioned: e.DtActioned, ActionedBy: e.ActionedBy, Note: e.Note, Data: data,
	}
}

// StoredEvent describes an event for PublishEvent.
type StoredEvent struct {
	ID            string
	Kind          subjects.Kind
	IntegrationID string
	Time          time.Time
	// CloudEvent is the event in structured JSON mode.
	CloudEvent []byte
}

// PublishEvent stores an event on its subject, de-duplicated by id, and
// indexes it by id, as Writes.PublishEvent and IndexEvent do, one after the
// other. Publishing the same event again is harmless.
func (s *Store) PublishEvent(ctx context.Context, ev StoredEvent) (uint64, error) {
	seq, err := s.writeOne(ctx, func(w *Writes, done func(uint64, error)) { w.PublishEvent(ev, done) })
	if err != nil {
		return 0, err
	}
	_, err = s.writeOne(ctx, func(w *Writes, done func(uint64, error)) {
		w.IndexEvent(ev, seq, func(err error) { done(0, err) })
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// PublishCommand stores a command, de-duplicated by msgID, as
// Writes.PublishCommand does, and returns its stream sequence.
func (s *Store) PublishCommand(ctx context.Context, subject, msgID string, data []byte) (uint64, error) {
	return s.writeOne(ctx, func(w *Writes, done func(uint64, error)) { w.PublishCommand(subject, msgID, data, done) })
}

// Event returns the event with id, or ErrNotFound.
func (s *Store) Event(ctx context.Context, id string) (subjects.EventRecord, error) {
	ent, _, err := s.indexEntry(ctx, id)
	if err != nil {
		return subjects.EventRecord{}, err
	}
	raw, err := s.events.GetMsg(ctx, ent.Seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return subjects.EventRecord{}, fmt.Errorf("event %s has aged out of %s: %w", id, StreamEvents, ErrNotFound)
	}
	if err != nil {
		return subjects.EventRecord{}, fmt.Errorf("event %s: %w", id, err)
	}
	ce, err := parseCloudEvent(raw.Data)
	if err != nil {
		return subjects.EventRecord{}, fmt.Errorf("event %s at sequence %d: %w", id, ent.Seq, err)
	}
	rec := ent.record(ce.Data)
	rec.ReceivedAt = raw.Time.UTC()
	return rec, nil
}

func (s *Store) indexEntry(ctx context.Context, id string) (indexEntry, uint64, error) {
	var ent indexEntry
	if !validKey(id) {
		return ent, 0, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	e, err := s.index.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ent, 0, fmt.Errorf("event %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return ent, 0, fmt.Errorf("event %s: %w", id, err)
	}
	if err := json.Unmarshal(e.Value(), &ent); err != nil {
		return ent, 0, fmt.Errorf("event %s index: %w", id, err)
	}
	return ent, e.Revision(), nil
}

// validKey reports whether id can be a KV key, so a malformed id is a clean
// not-found rather than a client error.
func validKey(id string) bool {
	if id == "" || len(id) > 256 || strings.HasPrefix(id, ".") || strings.HasSuffix(id, ".") {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// ListQuery selects events for ListEvents.
type ListQuery struct {
	Kind            subjects.Kind
	IntegrationID   string
	IncludeActioned bool
	PageSize        int
	Token           string
	// MaxBytes bounds the page as encoded in a subjects.ListEventsResponse,
	// nextToken included: records are added while they fit, and the token
	// continues right after the last one. A page holds at least one record
	// when one matches, however large. 0 means no bound.
	MaxBytes int
	// Fit, when set, is applied to each record before it is measured, with
	// room: the most bytes the record may take, encoded, to be alone on a
	// page of MaxBytes (0 when MaxBytes is 0). It bounds the data of a
	// record that would not fit, so a page always has room for one.
	Fit func(rec *subjects.EventRecord, room int)
}

// pageOverhead is what a page costs in bytes besides its records:
// {"data":[],"nextToken":""} and the longest token.
const pageOverhead = 26 + 32

// maxLookups bounds the stream reads one ListEvents call makes, so a page never
// scans the whole history: when it runs out, the page may be short and
// NextToken continues where it stopped.
const maxLookups = 2000

// ListEvents returns events newest first. It walks the events stream
// backwards in windows from the newest matching message, reading only
// messages on the filtered subjects, and checks each one's actioned state in
// the index. The returned token, when not empty, continues the listing.
func (s *Store) ListEvents(ctx context.Context, q ListQuery) ([]subjects.EventRecord, string, error) {
	filter := s.subj.EventFilter(q.Kind, q.IntegrationID)
	var cursor uint64 // inclusive upper bound of what is left to examine
	if q.Token != "" {
		c, err := decodeToken(q.Token)
		if err != nil {
			return nil, "", err
		}
		cursor = c
	} else {
		last, err := s.events.GetLastMsgForSubject(ctx, filter)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return []subjects.EventRecord{}, "", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("list events: %w", err)
		}
		cursor = last.Sequence
	}
	out := make([]subjects.EventRecord, 0, q.PageSize)
	reads, used, full := 0, pageOverhead, false
	window := uint64(q.PageSize) + 1
	for cursor > 0 && len(out) < q.PageSize && !full {
		// A window of w sequences holds at most w matches, so it is read
		// whole within the budget, never cut short above its bottom.
		w := min(window, uint64(maxLookups-reads-1))
		if reads+2 > maxLookups || w == 0 {
			break
		}
		lo := uint64(1)
		if cursor > w {
			lo = cursor - w + 1
		}
		var msgs []*jetstream.RawStreamMsg
		for seq := lo; seq <= cursor; {
			reads++
			m, err := s.events.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				break
			}
			if err != nil {
				return nil, "", fmt.Errorf("list events: %w", err)
			}
			if m.Sequence > cursor {
				break
			}
			msgs = append(msgs, m)
			seq = m.Sequence + 1
		}
		recs, err := s.listedAll(ctx, msgs, q.IncludeActioned, q.Fit, max(q.MaxBytes-pageOverhead-1, 0))
		if err != nil {
			return nil, "", err
		}
		for i := len(msgs) - 1; i >= 0 && len(out) < q.PageSize; i-- {
			if recs[i] != nil {
				if q.MaxBytes > 0 {
					b, err := json.Marshal(recs[i])
					if err != nil {
						return nil, "", fmt.Errorf("list events: %w", err)
					}
					// The cursor stays on this record: the next page starts with it.
					if len(out) > 0 && used+len(b)+1 > q.MaxBytes {
						full = true
						break
					}
					used += len(b) + 1
				}
				out = append(out, *recs[i])
			}
			cursor = msgs[i].Sequence - 1
		}
		if len(out) < q.PageSize && !full {
			cursor = lo - 1
		}
		window = min(window*2, 4096)
	}
	if cursor == 0 {
		return out, "", nil
	}
	return out, encodeToken(cursor), nil
}

// listedAll resolves the records of msgs at once, nil for those filtered
// out: each needs its own index read, and reading them one after the other
// made a page that skips many actioned events slow.
func (s *Store) listedAll(ctx context.Context, msgs []*jetstream.RawStreamMsg, includeActioned bool, fit func(*subjects.EventRecord, int), room int) ([]*subjects.EventRecord, error) {
	recs := make([]*subjects.EventRecord, len(msgs))
	err := readAtOnce(len(msgs), func(i int) error {
		rec, ok, err := s.listed(ctx, msgs[i], includeActioned)
		if ok {
			if fit != nil {
				fit(&rec, room)
			}
			recs[i] = &rec
		}
		return err
	})
	return recs, err
}

// listed turns a stored event into a record, or says it is filtered out.
func (s *Store) listed(ctx context.Context, m *jetstream.RawStreamMsg, includeActioned bool) (subjects.EventRecord, bool, error) {
	ce, err := parseCloudEvent(m.Data)
	if err != nil {
		s.log.Warnw("unreadable event in stream, skipped", "seq", m.Sequence, "error", err)
		return subjects.EventRecord{}, false, nil
	}
	ent, _, err := s.indexEntry(ctx, ce.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		// Published but not indexed yet: it is not actioned.
		ent = indexEntry{ID: ce.ID, EventName: ce.Type, EventTime: ce.Time, Seq: m.Sequence}
		if i := strings.LastIndexByte(m.Subject, '.'); i >= 0 {
			ent.IntegrationID = m.Subject[i+1:]
		}
	case err != nil:
		return subjects.EventRecord{}, false, err
	}
	if ent.DtActioned != nil && !includeActioned {
		return subjects.EventRecord{}, false, nil
	}
	rec := ent.record(ce.Data)
	rec.ReceivedAt = m.Time.UTC()
	return rec, true, nil
}

type cloudEvent struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

func parseCloudEvent(b []byte) (cloudEvent, error) {
	var ce cloudEvent
	if err := json.Unmarshal(b, &ce); err != nil {
		return ce, fmt.Errorf("not a structured CloudEvent: %w", err)
	}
	if ce.ID == "" {
		return ce, errors.New("CloudEvent has no id")
	}
	return ce, nil
}

const tokenPrefix = "ev1:"

func encodeToken(cursor uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatUint(cursor, 10)))
}

func decodeToken(tok string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), tokenPrefix) {
		return 0, fmt.Errorf("%w: %q was not issued by events.list", ErrBadToken, truncate(tok, 40))
	}
	c, err := strconv.ParseUint(strings.TrimPrefix(string(b), tokenPrefix), 10, 64)
	if err != nil || c == 0 {
		return 0, fmt.Errorf("%w: %q was not issued by events.list", ErrBadToken, truncate(tok, 40))
	}
	return c, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
