package processor

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/integration-events/integration-events/subjects"
)

// BoundOutcome cuts the free text of an admitted outcome to the limits in
// subjects (MaxErrorBytes, MaxNameBytes, MaxURLBytes, MaxHeaderValues,
// MaxHeaderBytes, MaxBodyBytes, MaxLogEntries, MaxLogMessageBytes,
// MaxLogTagBytes, MaxLogBodyBytes), with Truncate, so every event, counter
// and command built from it is bounded. It keeps the last MaxLogEntries log
// entries. Deterministic: the same outcome is always cut the same way.
func BoundOutcome(o *subjects.RunOutcome) {
	var none subjects.Failure // a succeeded outcome has no failure to cut
	f := cmp.Or(o.Failure, &none)
	boundShared(&o.Destination, &o.EntityType, &o.EntityID, &f.Message, &f.HTTP, &o.Log)
	if m := f.Mapping; m != nil {
		m.M3terEntity = Truncate(m.M3terEntity, subjects.MaxNameBytes)
		m.M3terID = Truncate(m.M3terID, subjects.MaxNameBytes)
		m.ExternalSystem = Truncate(m.ExternalSystem, subjects.MaxNameBytes)
		m.ExternalTable = Truncate(m.ExternalTable, subjects.MaxNameBytes)
	}
}

// boundShared cuts what an outcome and an event's data have in common to
// their limits: destination, entityType and entityID to MaxNameBytes,
// errText to MaxErrorBytes, the failure's exchange *http to its limits and
// the log with boundLog. BoundOutcome and BoundStoredData share it, so an
// old event served is cut as a new one is. Each field has its own pointer
// (not a slice of them) so that the outcome Admit returns stays off the
// heap.
func boundShared(destination, entityType, entityID, errText *string, http **subjects.HTTPExchange, log *[]subjects.LogEntry) {
	*destination = Truncate(*destination, subjects.MaxNameBytes)
	*entityType = Truncate(*entityType, subjects.MaxNameBytes)
	*entityID = Truncate(*entityID, subjects.MaxNameBytes)
	*errText = Truncate(*errText, subjects.MaxErrorBytes)
	*http = boundExchange(*http, exchangeLimits{subjects.MaxURLBytes, subjects.MaxHeaderValues, subjects.MaxHeaderBytes, subjects.MaxBodyBytes})
	*log = boundLog(*log)
}

// boundLog returns the last MaxLogEntries entries of log, each cut to its
// limits, in a new slice.
func boundLog(log []subjects.LogEntry) []subjects.LogEntry {
	if len(log) == 0 {
		return log
	}
	log = slices.Clone(log[max(0, len(log)-subjects.MaxLogEntries):])
	for i := range log {
		e := &log[i]
		e.Step = Truncate(e.Step, subjects.MaxLogTagBytes)
		e.Level = Truncate(e.Level, subjects.MaxLogTagBytes)
		e.Message = Truncate(e.Message, subjects.MaxLogMessageBytes)
		e.HTTP = boundExchange(e.HTTP, exchangeLimits{subjects.MaxURLBytes, subjects.MaxHeaderValues, subjects.MaxHeaderBytes, subjects.MaxLogBodyBytes})
	}
	return log
}

// exchangeLimits are the sizes an HTTP exchange is cut to.
type exchangeLimits struct {
	url, headerValues, headerBytes, body int
}

// boundExchange returns a copy of h cut to lim, or nil for nil.
func boundExchange(h *subjects.HTTPExchange, lim exchangeLimits) *subjects.HTTPExchange {
	if h == nil {
		return nil
	}
	out := &subjects.HTTPExchange{}
	if r := h.Request; r != nil {
		out.Request = &subjects.HTTPRequest{
			Method:  Truncate(r.Method, subjects.MaxLogTagBytes),
			URL:     Truncate(r.URL, lim.url),
			Headers: boundHeaders(r.Headers, lim.headerValues, lim.headerBytes),
			Body:    subjects.Body(Truncate(string(r.Body), lim.body)),
		}
	}
	if r := h.Response; r != nil {
		out.Response = &subjects.HTTPResponse{
			Status:  r.Status,
			Headers: boundHeaders(r.Headers, lim.headerValues, lim.headerBytes),
			Body:    subjects.Body(Truncate(string(r.Body), lim.body)),
		}
	}
	return out
}

// boundHeaders returns a copy of h with at most maxValues values, the first
// by header name in sorted order, each name and value cut to maxBytes. The
// values left out are counted under subjects.HeaderOmitted.
func boundHeaders(h subjects.Headers, maxValues, maxBytes int) subjects.Headers {
	if h == nil {
		return nil
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(subjects.Headers, min(len(h), maxValues+1))
	kept, omitted := 0, 0
	for _, name := range names {
		vals := h[name]
		take := min(len(vals), maxValues-kept)
		omitted += len(vals) - take
		if take == 0 && len(vals) > 0 {
			continue
		}
		cut := make([]string, take)
		for i, v := range vals[:take] {
			cut[i] = Truncate(v, maxBytes)
		}
		// Two names cut to the same text share one entry.
		key := Truncate(name, maxBytes)
		out[key] = append(out[key], cut...)
		kept += take
	}
	if omitted > 0 {
		out[subjects.HeaderOmitted] = []string{strconv.Itoa(omitted) + " more header values"}
	}
	return out
}

// minTruncate is the smallest limit Truncate keeps text within: room for
// the marker and a few words.
const minTruncate = 64

// Truncate returns s cut to at most limit bytes on a UTF-8 boundary, ending
// in a visible marker with s's original size, such as
// "… [truncated: 307200 bytes in all]". Text within limit is returned as
// is; a limit under 64 is taken as 64. Text Truncate has cut before is cut
// again under its first marker, so the size stays the original one.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	if limit = max(limit, minTruncate); len(s) <= limit {
		return s
	}
	text, size := s, len(s)
	if i := strings.LastIndex(s, markerStart); i >= 0 && strings.HasSuffix(s, markerEnd) {
		if n, err := strconv.Atoi(s[i+len(markerStart) : len(s)-len(markerEnd)]); err == nil && n > len(s) {
			text, size = s[:i], n
		}
	}
	marker := markerStart + strconv.Itoa(size) + markerEnd
	cut := min(len(text), limit-len(marker))
	for cut > 0 && cut < len(text) && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + marker
}

// The marker Truncate ends cut text with.
const (
	markerStart = " … [truncated: "
	markerEnd   = " bytes in all]"
)

// FitOutcome returns an admitted outcome whose JSON encoding takes at most
// limit bytes, for a reply, and whether it had to cut anything. An outcome
// within limit is returned as it is. One over it is shrunk a step at a
// time, as FitEventData shrinks an event, each step cutting more of what a
// reader needs least: the oldest log entries (the last kept); the HTTP
// exchanges to a 512-byte URL, 10 header values of 256 bytes and 2 KiB
// bodies; the rest of the log; the exchanges to a 256-byte URL, no headers
// and 256-byte bodies; the failure's message to 1 KiB; and last the
// failure's exchange. The ids, status, stage and times are always kept. o
// is not changed; the result shares nothing o's caller could see change.
func FitOutcome(o subjects.RunOutcome, limit int) (subjects.RunOutcome, bool) {
	size := func() int {
		b, err := json.Marshal(o)
		if err != nil {
			return 0 // the reply's own encoding reports it
		}
		return len(b)
	}
	n := size()
	if n <= limit {
		return o, false
	}
	if o.Failure != nil {
		f := *o.Failure
		o.Failure = &f
	}
	for _, step := range outcomeShrinkSteps {
		if !step(&o, n-limit) {
			continue
		}
		if n = size(); n <= limit {
			break
		}
	}
	return o, true
}

// outcomeShrinkSteps are FitOutcome's steps, in order. Each replaces what
// it changes (slices, exchanges) rather than writing into them, and reports
// whether it changed anything.
var outcomeShrinkSteps = []func(o *subjects.RunOutcome, excess int) bool{
	func(o *subjects.RunOutcome, excess int) bool { return dropOldestRunLog(o, excess, 1) },
	func(o *subjects.RunOutcome, _ int) bool {
		return tightenRunHTTP(o, exchangeLimits{url: 512, headerValues: 10, headerBytes: 256, body: 2 << 10})
	},
	func(o *subjects.RunOutcome, excess int) bool { return dropOldestRunLog(o, excess, 0) },
	func(o *subjects.RunOutcome, _ int) bool {
		return tightenRunHTTP(o, exchangeLimits{url: 256, headerValues: 0, headerBytes: 64, body: 256})
	},
	func(o *subjects.RunOutcome, _ int) bool {
		if o.Failure == nil || len(o.Failure.Message) <= 1<<10 {
			return false
		}
		o.Failure.Message = Truncate(o.Failure.Message, 1<<10)
		return true
	},
	func(o *subjects.RunOutcome, _ int) bool {
		if o.Failure == nil || o.Failure.HTTP == nil {
			return false
		}
		o.Failure.HTTP = nil
		return true
	},
}

// dropOldestRunLog drops o's oldest log entries, about excess bytes of
// them, keeping at least keep.
func dropOldestRunLog(o *subjects.RunOutcome, excess, keep int) bool {
	d := subjects.EventData{Log: o.Log}
	changed := dropOldestLog(&d, excess, keep)
	o.Log = d.Log
	return changed
}

// tightenRunHTTP cuts o's failure exchange and its log entries' exchanges
// to lim.
func tightenRunHTTP(o *subjects.RunOutcome, lim exchangeLimits) bool {
	d := subjects.EventData{Log: o.Log}
	if o.Failure != nil {
		d.HTTP = o.Failure.HTTP
	}
	changed := tightenHTTP(&d, lim)
	o.Log = d.Log
	if o.Failure != nil {
		o.Failure.HTTP = d.HTTP
	}
	return changed
}
