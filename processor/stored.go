package processor

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
)

// StoredEvents renders the events of eff as the processor stores and
// publishes them: CloudEvents in structured JSON mode, under their ids, each
// at most subjects.MaxEventBytes (see EncodeEvent).
func StoredEvents(integrationID string, eff Effects) ([]store.StoredEvent, error) {
	out := make([]store.StoredEvent, 0, len(eff.Events))
	for _, ev := range eff.Events {
		ce, err := EncodeEvent(integrationID, ev)
		if err != nil {
			return nil, err
		}
		out = append(out, store.StoredEvent{ID: ev.ID, Kind: ev.Kind, IntegrationID: integrationID, Time: ev.Time, CloudEvent: ce})
	}
	return out, nil
}

// EncodeEvent renders ev, an event of integrationID, as the CloudEvent the
// processor stores: at most subjects.MaxEventBytes. An event still over it
// after BoundOutcome (many log entries with exchanges, a long streak) is
// shrunk by FitEventData, deterministically, so a replayed outcome gives a
// byte-identical event.
func EncodeEvent(integrationID string, ev Emit) ([]byte, error) {
	name := ev.Kind.EventName()
	if ev.ID == "" || ev.Kind == "" {
		return nil, fmt.Errorf("event %q of kind %q: an event needs an id and a kind", ev.ID, ev.Kind)
	}
	d, err := json.Marshal(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("event %s data: %w", ev.ID, err)
	}
	ce := encodeCloudEvent(ev.ID, name, integrationID, ev.Time, d)
	if len(ce) <= subjects.MaxEventBytes {
		return ce, nil
	}
	d, err = FitEventData(ev.Data, subjects.MaxEventBytes-(len(ce)-len(d)))
	if err != nil {
		return nil, fmt.Errorf("event %s data: %w", ev.ID, err)
	}
	return encodeCloudEvent(ev.ID, name, integrationID, ev.Time, d), nil
}

// FitEventData encodes d in at most limit bytes. Data within limit is
// encoded as it is; data over it is shrunk one step at a time until it fits,
// each step cutting more of what a reader needs least: the oldest log
// entries; then the HTTP exchanges' bodies, headers and URLs to tighter
// limits; the rest of the log; the exchanges further; error and
// lastErrorMessage to 1 KiB and the last of streakRunIds; the HTTP exchange;
// and last the message (its end, the remedy, kept). message, followUp and the
// ids are always kept. d is not changed. It returns the smallest encoding it
// reached when even the last step does not fit; the error is JSON's.
func FitEventData(d subjects.EventData, limit int) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil || len(b) <= limit {
		return b, err
	}
	for _, step := range shrinkSteps {
		if !step(&d, len(b)-limit) {
			continue
		}
		if b, err = json.Marshal(d); err != nil || len(b) <= limit {
			return b, err
		}
	}
	return b, nil
}

// shrinkSteps are FitEventData's steps, in order. Each gets the data and how
// many bytes it is over, changes nothing d shares with others (it replaces
// slices and exchanges instead), and reports whether it changed anything.
var shrinkSteps = []func(d *subjects.EventData, excess int) bool{
	func(d *subjects.EventData, excess int) bool { return dropOldestLog(d, excess, 1) },
	func(d *subjects.EventData, _ int) bool {
		return tightenHTTP(d, exchangeLimits{url: 512, headerValues: 10, headerBytes: 256, body: 2 << 10})
	},
	func(d *subjects.EventData, excess int) bool { return dropOldestLog(d, excess, 0) },
	func(d *subjects.EventData, _ int) bool {
		return tightenHTTP(d, exchangeLimits{url: 256, headerValues: 0, headerBytes: 64, body: 256})
	},
	func(d *subjects.EventData, excess int) bool {
		before := len(d.Error) + len(d.LastErrorMessage) + len(d.StreakRunIDs)
		d.Error = Truncate(d.Error, 1<<10)
		d.LastErrorMessage = Truncate(d.LastErrorMessage, 1<<10)
		// Each id costs its quoted text and a comma; the first ids, the
		// ones that started the streak, are kept.
		n := len(d.StreakRunIDs)
		for cut := 0; n > 1 && cut < excess; n-- {
			cut += len(d.StreakRunIDs[n-1]) + 3
		}
		d.StreakRunIDs = d.StreakRunIDs[:n]
		return len(d.Error)+len(d.LastErrorMessage)+len(d.StreakRunIDs) != before
	},
	func(d *subjects.EventData, _ int) bool {
		changed := d.HTTP != nil
		d.HTTP = nil
		return changed
	},
	func(d *subjects.EventData, _ int) bool {
		before := d.Message
		d.Message = truncateKeepingEnd(d.Message, 2<<10)
		d.Destination = Truncate(d.Destination, minTruncate)
		d.EntityType = Truncate(d.EntityType, minTruncate)
		d.EntityID = Truncate(d.EntityID, minTruncate)
		return d.Message != before
	},
}

// dropOldestLog drops d's oldest log entries, about excess bytes of them,
// keeping at least keep.
func dropOldestLog(d *subjects.EventData, excess, keep int) bool {
	drop, cut := 0, 0
	for drop < len(d.Log)-keep && cut < excess {
		b, _ := json.Marshal(d.Log[drop]) // a log entry always encodes
		cut += len(b) + 1
		drop++
	}
	d.Log = d.Log[drop:]
	if len(d.Log) == 0 {
		d.Log = nil
	}
	return drop > 0
}

// tightenHTTP cuts d's exchange and its log entries' exchanges to lim.
func tightenHTTP(d *subjects.EventData, lim exchangeLimits) bool {
	changed := false
	if d.HTTP != nil {
		d.HTTP, changed = boundExchange(d.HTTP, lim), true
	}
	if slices.ContainsFunc(d.Log, func(e subjects.LogEntry) bool { return e.HTTP != nil }) {
		d.Log = slices.Clone(d.Log)
		for i := range d.Log {
			d.Log[i].HTTP = boundExchange(d.Log[i].HTTP, lim)
		}
		changed = true
	}
	return changed
}

// truncateKeepingEnd cuts s to at most limit bytes as Truncate does, but
// keeps its last sentences (up to a quarter of limit, from the first ". "
// in that window): a message ends with its remedy, which a reader must
// still see.
func truncateKeepingEnd(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	limit = max(limit, 4*minTruncate)
	start := len(s) - limit/4
	if i := strings.Index(s[start:], ". "); i >= 0 {
		start += i + 2
	}
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	end := s[start:]
	return Truncate(s, limit-len(end)-1) + " " + end
}

// maxStoredMessageBytes bounds the message of an event stored before events
// were bounded, when it is served: its end, the remedy, is kept.
const maxStoredMessageBytes = 4 << 10

// BoundStoredData returns the data of a stored event in at most limit bytes,
// for a reply. Data within limit (every event stored since events were
// bounded, on a connection that carries 64 KiB) is returned as it is. Larger
// data, from before, is read as EventData, cut to the limits BoundOutcome
// applies (its message to 4 KiB, keeping the remedy at its end), and shrunk
// with FitEventData; data that is not EventData is replaced by a message
// saying where to read it whole.
func BoundStoredData(data json.RawMessage, limit int) json.RawMessage {
	if len(data) <= limit {
		return data
	}
	var d subjects.EventData
	if err := json.Unmarshal(data, &d); err == nil {
		d.Message = truncateKeepingEnd(d.Message, maxStoredMessageBytes)
		boundShared(&d.Destination, &d.EntityType, &d.EntityID, &d.Error, &d.HTTP, &d.Log)
		d.LastErrorMessage = Truncate(d.LastErrorMessage, subjects.MaxErrorBytes)
		if b, err := FitEventData(d, limit); err == nil && len(b) <= limit {
			return b
		}
	}
	b, _ := json.Marshal(map[string]string{"message": fmt.Sprintf("this event's data is %d bytes, over the %d a reply can carry; read it from the %s stream", len(data), limit, store.StreamEvents)})
	return b
}

// disableCommand is the disable command of eff as stored: its subject, its
// de-duplication id (one per disabled event, so one per episode) and its
// payload; nil when eff disables nothing.
func disableCommand(subj subjects.Subjects, integrationID string, eff Effects) (*command, error) {
	if eff.Disable == nil {
		return nil, nil
	}
	data, err := json.Marshal(eff.Disable)
	if err != nil {
		return nil, err
	}
	return &command{subject: subj.Disable(integrationID), msgID: "disable-" + eff.Disable.DisabledEventID, data: data}, nil
}
