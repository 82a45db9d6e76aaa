package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/fault"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go/jetstream"
)

// Fault points of actioning, in the order they are passed: after the
// outbox entry is stored, after the event record is marked, after the
// acknowledgement is stored. A crash at any of them is completed by the
// next Actioner.Complete.
const (
	PointActionedIntent    = "actioned.intent"
	PointActionedMarked    = "actioned.marked"
	PointActionedPublished = "actioned.published"
)

// AckEncoder returns the acknowledgement CloudEvent (structured JSON) of
// rec, an event just actioned.
type AckEncoder func(rec subjects.EventRecord) ([]byte, error)

// ActionerConfig configures an Actioner.
type ActionerConfig struct {
	// Encode builds the acknowledgement; required.
	Encode AckEncoder
	// Interval is how often Run completes the outbox. Default 30s.
	Interval time.Duration
	// Acked, when set, is told of every acknowledgement this process
	// stored, once each: fromOutbox is true when it finished an action
	// that its caller did not (a crash, or a caller still in flight). It
	// is the place of the actioned counter.
	Acked func(rec subjects.EventRecord, fromOutbox bool)
}

func (c *ActionerConfig) setDefaults() {
	if c.Interval == 0 {
		c.Interval = 30 * time.Second
	}
}

// Validate reports a setting that cannot work.
func (c ActionerConfig) Validate() error {
	switch {
	case c.Encode == nil:
		return errors.New("actioner: Encode is required")
	case c.Interval < 0:
		return fmt.Errorf("actioner: interval %s is negative", c.Interval)
	}
	return nil
}

// Actioner marks events actioned and stores exactly one acknowledgement
// per event actioned, also across crashes, through the outbox bucket
// BucketActionedOutbox:
//
//  1. store an outbox entry (key: event id; who, when, note, and the ack
//     floor: the last sequence of the integration's acknowledgement
//     subject);
//  2. compare-and-set the event record to actioned, unless it is
//     actioned already (then by another entry: drop this one);
//  3. store the acknowledgement expecting the subject's last sequence to
//     be the ack floor; when it is not, look for it above the floor, and
//     unless it is there try again expecting the last sequence read. Two
//     writers racing cannot both store it, whatever the duplicate window;
//  4. purge the outbox entry.
//
// Action runs the four steps; Complete runs steps 2 to 4 for every entry
// left, as a restart must. Both may run on every replica at once.
type Actioner struct {
	s   *Store
	cfg ActionerConfig
	// crashAt, set by tests only, makes a step return errCrashed at that
	// fault point, leaving what a crash there would.
	crashAt string
}

// errCrashed is what a step returns at the fault point crashAt.
var errCrashed = errors.New("stopped at a fault point")

// outboxMarkerTTL is how long a purged outbox entry leaves its marker.
const outboxMarkerTTL = time.Minute

// Actioner returns the actioner of the store.
func (s *Store) Actioner(cfg ActionerConfig) (*Actioner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Actioner{s: s, cfg: cfg}, nil
}

// outboxEntry is the value of an event's key in BucketActionedOutbox.
type outboxEntry struct {
	EventID       string    `json:"eventId"`
	IntegrationID string    `json:"integrationId"`
	ActionedBy    string    `json:"actionedBy"`
	Note          string    `json:"note,omitempty"`
	DtActioned    time.Time `json:"dtActioned"`
	// AckFloor is the last sequence of the integration's acknowledgement
	// subject before the entry was stored: its acknowledgement, once
	// stored, is above it.
	AckFloor uint64 `json:"ackFloor"`
}

// point passes the fault point name.
func (a *Actioner) point(name string) error {
	fault.Point(name)
	if a.crashAt == name {
		return fmt.Errorf("%s: %w", name, errCrashed)
	}
	return nil
}

// maxActionTries bounds how often Action finds another caller's outbox
// entry for the same event before it gives up.
const maxActionTries = 10

// Action marks event id actioned by by at now, with note, and stores its
// acknowledgement. It returns the record and whether this call actioned it;
// an event already actioned keeps its first actioning. ErrNotFound for an
// unknown id. When another caller is actioning the same event, Action
// finishes that caller's action and reports the event already actioned.
func (a *Actioner) Action(ctx context.Context, id, by, note string, now time.Time) (subjects.EventRecord, bool, error) {
	for range maxActionTries {
		ent, entRev, err := a.s.indexEntry(ctx, id)
		if err != nil {
			return subjects.EventRecord{}, false, err
		}
		if ent.DtActioned != nil {
			return ent.record(nil), false, nil
		}
		floor, err := a.ackFloor(ctx, ent.IntegrationID)
		if err != nil {
			return subjects.EventRecord{}, false, err
		}
		e := outboxEntry{EventID: id, IntegrationID: ent.IntegrationID, ActionedBy: by, Note: note, DtActioned: now.UTC(), AckFloor: floor}
		b, err := json.Marshal(e)
		if err != nil {
			return subjects.EventRecord{}, false, err
		}
		rev, err := a.s.outbox.Create(ctx, id, b)
		if isConflict(err) {
			if _, err := a.completeKey(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
				return subjects.EventRecord{}, false, err
			}
			continue
		}
		if err != nil {
			return subjects.EventRecord{}, false, fmt.Errorf("action event %s: outbox: %w", id, err)
		}
		if err := a.point(PointActionedIntent); err != nil {
			return subjects.EventRecord{}, false, err
		}
		rec, ours, _, err := a.finish(ctx, e, rev, &revised{ent, entRev}, false)
		return rec, ours, err
	}
	return subjects.EventRecord{}, false, fmt.Errorf("action event %s: another caller's outbox entry was still there after %d tries", id, maxActionTries)
}

// Complete finishes every outbox entry: marks the record when no one has,
// stores the acknowledgement unless it is stored already, and purges the
// entry. It returns how many acknowledgements it stored; each is logged
// with its eventId and integrationId. An entry that cannot be read or
// finished is left for the next pass and reported in the error.
func (a *Actioner) Complete(ctx context.Context) (int, error) {
	lctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	lister, err := a.s.outbox.ListKeys(lctx)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", BucketActionedOutbox, err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	// The lister closes its channel when it stops early, too.
	if err := lctx.Err(); err != nil {
		return 0, fmt.Errorf("list %s: %w", BucketActionedOutbox, err)
	}
	stored := 0
	var errs []error
	for _, k := range keys {
		ok, err := a.completeKey(ctx, k)
		switch {
		case err != nil && !errors.Is(err, ErrNotFound):
			errs = append(errs, err)
		case ok:
			stored++
		}
	}
	return stored, errors.Join(errs...)
}

// Run completes the outbox at once and then every Interval, until ctx
// ends. Errors are logged and the entries tried again on the next pass.
func (a *Actioner) Run(ctx context.Context) {
	for {
		if n, err := a.Complete(ctx); err != nil && ctx.Err() == nil {
			a.s.log.Warnw("actioned outbox: entries left for the next pass", "error", err, "acknowledgementsStored", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.cfg.Interval):
		}
	}
}

// completeKey finishes the outbox entry of event id, which another caller
// stored, and reports whether it stored the acknowledgement. ErrNotFound
// when the entry is gone.
func (a *Actioner) completeKey(ctx context.Context, id string) (bool, error) {
	kve, err := a.s.outbox.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("outbox entry %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("outbox entry %s: %w", id, err)
	}
	var e outboxEntry
	if err := json.Unmarshal(kve.Value(), &e); err != nil {
		return false, fmt.Errorf("outbox entry %s at revision %d is not an actioned outbox entry: %w", id, kve.Revision(), err)
	}
	if e.EventID != id || e.IntegrationID == "" || e.DtActioned.IsZero() {
		return false, fmt.Errorf("outbox entry %s at revision %d lacks its event id, integration id or time", id, kve.Revision())
	}
	_, _, stored, err := a.finish(ctx, e, kve.Revision(), nil, true)
	return stored, err
}

// finish runs steps 2 to 4 for outbox entry e stored at revision rev,
// starting from the event's index entry known when the caller read it. It
// returns the record, whether e actioned it, and whether this call stored
// the acknowledgement. fromOutbox says the caller did not store e.
func (a *Actioner) finish(ctx context.Context, e outboxEntry, rev uint64, known *revised, fromOutbox bool) (rec subjects.EventRecord, ours, stored bool, err error) {
	rec, ours, err = a.mark(ctx, e, known)
	switch {
	case errors.Is(err, ErrNotFound):
		// Aged out, or never indexed: there is nothing to acknowledge.
		return rec, false, false, errors.Join(err, a.purge(ctx, e.EventID, rev))
	case err != nil:
		return rec, false, false, err
	case !ours:
		// Actioned by an earlier entry, whose caller stored its
		// acknowledgement before purging it.
		return rec, false, false, a.purge(ctx, e.EventID, rev)
	}
	if err := a.point(PointActionedMarked); err != nil {
		return rec, true, false, err
	}
	if stored, err = a.publishAck(ctx, e, rec); err != nil {
		return rec, true, false, err
	}
	if stored {
		if fromOutbox {
			a.s.log.Infow("actioned acknowledgement completed from the outbox", "eventId", e.EventID, "integrationId", e.IntegrationID)
		}
		if a.cfg.Acked != nil {
			a.cfg.Acked(rec, fromOutbox)
		}
	}
	if err := a.point(PointActionedPublished); err != nil {
		return rec, true, stored, err
	}
	return rec, true, stored, a.purge(ctx, e.EventID, rev)
}

// revised is an event's index entry and its KV revision.
type revised struct {
	ent indexEntry
	rev uint64
}

// mark compare-and-sets the record of e's event to actioned as e says,
// unless it is actioned already, starting from known when not nil. ours
// reports whether the record is actioned by e, by this call or an earlier
// one.
func (a *Actioner) mark(ctx context.Context, e outboxEntry, known *revised) (subjects.EventRecord, bool, error) {
	for {
		var (
			ent indexEntry
			rev uint64
			err error
		)
		if known != nil {
			ent, rev, known = known.ent, known.rev, nil
		} else if ent, rev, err = a.s.indexEntry(ctx, e.EventID); err != nil {
			return subjects.EventRecord{}, false, err
		}
		if ent.DtActioned != nil {
			ours := ent.DtActioned.Equal(e.DtActioned) && ent.ActionedBy == e.ActionedBy && ent.Note == e.Note
			return ent.record(nil), ours, nil
		}
		t := e.DtActioned
		ent.DtActioned, ent.ActionedBy, ent.Note = &t, e.ActionedBy, e.Note
		b, err := json.Marshal(ent)
		if err != nil {
			return subjects.EventRecord{}, false, err
		}
		_, err = a.s.index.Update(ctx, e.EventID, b, rev)
		if a.s.casConflict(err) {
			continue
		}
		if err != nil {
			return subjects.EventRecord{}, false, fmt.Errorf("action event %s: %w", e.EventID, err)
		}
		return ent.record(nil), true, nil
	}
}

// ackFloor returns the last sequence of integrationID's acknowledgement
// subject, 0 when it has none.
func (a *Actioner) ackFloor(ctx context.Context, integrationID string) (uint64, error) {
	m, err := a.s.events.GetLastMsgForSubject(ctx, a.s.subj.Actioned(integrationID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("acknowledgements of %s: %w", integrationID, err)
	}
	return m.Sequence, nil
}

// maxAckTries bounds how often publishAck loses the race for the
// acknowledgement subject before it gives up (the entry stays, for the
// next pass).
const maxAckTries = 20

// publishAck stores the acknowledgement of e unless the stream holds it
// above e.AckFloor, and reports whether this call stored it. It does not
// rely on the duplicate window, which a restart may come after: it reads
// the subject's messages above the floor, and stores the acknowledgement
// expecting the subject's last sequence to be the last one it read, so a
// writer that stored one in between makes it read again. When the floor
// has left the stream and nothing is above it, the subject ends below the
// floor and that is what it expects: the server then stores the
// acknowledgement only while no message of the subject is above the
// floor, so it is stored once. A second is stored only if the first has
// itself left the stream (MaxAge, a purge) before its entry was completed.
func (a *Actioner) publishAck(ctx context.Context, e outboxEntry, rec subjects.EventRecord) (bool, error) {
	ce, err := a.cfg.Encode(rec)
	if err != nil {
		return false, fmt.Errorf("acknowledgement of %s: %w", e.EventID, err)
	}
	subject, msgID := a.s.subj.Actioned(e.IntegrationID), ActionedMsgID(e.EventID)
	last := e.AckFloor
	for try := range maxAckTries {
		ack, err := a.s.publishAck(ctx, subject, msgID, ce, cloudEventHeader(), jetstream.WithExpectLastSequencePerSubject(last))
		if err == nil {
			return !ack.Duplicate, nil
		}
		if !isConflict(err) {
			return false, err
		}
		// Stored above last since: perhaps this very acknowledgement.
		var found bool
		if found, last, err = a.findAck(ctx, subject, msgID, last); err != nil || found {
			return false, err
		}
		// Nothing above last, yet the subject's last sequence is not last:
		// the floor left the stream (MaxAge, a purge) and the subject now
		// ends below it. Our acknowledgement, newer than the floor, would
		// end it above: expect where it ends.
		end, err := a.ackFloor(ctx, e.IntegrationID)
		if err != nil {
			return false, err
		}
		last = min(last, end)
		if try > 0 { // a direct get may lag the leader
			select {
			case <-time.After(time.Duration(try) * 10 * time.Millisecond):
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
	}
	return false, fmt.Errorf("acknowledgement of %s: %s changed under %d tries", e.EventID, subject, maxAckTries)
}

// findAck reads subject's messages above sequence after, looking for the
// one with Nats-Msg-Id msgID. It returns whether it is there and the
// last sequence it read (after when none).
func (a *Actioner) findAck(ctx context.Context, subject, msgID string, after uint64) (bool, uint64, error) {
	for {
		m, err := a.s.events.GetMsg(ctx, after+1, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return false, after, nil
		}
		if err != nil {
			return false, after, fmt.Errorf("acknowledgements on %s after %d: %w", subject, after, err)
		}
		if m.Header.Get(jetstream.MsgIDHeader) == msgID {
			return true, m.Sequence, nil
		}
		after = m.Sequence
	}
}

// purge removes outbox entry id if it is still at revision rev: a later
// entry for the same event is its caller's to finish.
func (a *Actioner) purge(ctx context.Context, id string, rev uint64) error {
	err := a.s.outbox.Purge(ctx, id, jetstream.LastRevision(rev), jetstream.PurgeTTL(outboxMarkerTTL))
	if err != nil && !isConflict(err) {
		return fmt.Errorf("purge outbox entry %s: %w", id, err)
	}
	return nil
}

// ActionedMsgID is the Nats-Msg-Id of event eventID's acknowledgement.
func ActionedMsgID(eventID string) string { return "actioned-" + eventID }
