package processor

import (
	"cmp"
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
