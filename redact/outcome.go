package redact

import (
	"strings"

	"github.com/integration-events/integration-events/subjects"
)

// Outcome returns a copy of o with every credential redacted, leaving o as
// it was. It is the one place an outcome is redacted: the processor builds
// everything it stores or publishes from the result. A succeeded outcome is
// returned as it is, since nothing of it is stored but its run id.
func Outcome(o subjects.RunOutcome) subjects.RunOutcome {
	if o.Status != subjects.StatusFailed {
		return o
	}
	o.Destination, o.EntityType, o.EntityID = byRules(o.Destination), byRules(o.EntityType), byRules(o.EntityID)
	if f := o.Failure; f != nil {
		c := *f
		c.Message = byRules(c.Message)
		if m := c.Mapping; m != nil {
			c.Mapping = &subjects.Mapping{M3terEntity: byRules(m.M3terEntity), M3terID: byRules(m.M3terID), ExternalSystem: byRules(m.ExternalSystem), ExternalTable: byRules(m.ExternalTable)}
		}
		c.HTTP = exchange(c.HTTP)
		o.Failure = &c
	}
	o.Log = logEntries(o.Log)
	// gitleaks' rules once over all the text: they are the costly part.
	texts := textsOf(&o)
	var all strings.Builder
	for _, t := range texts {
		all.WriteString(*t)
		all.WriteByte('\n')
	}
	if len(detector().find(all.String())) > 0 {
		for _, t := range texts {
			*t = keyFormats(*t)
		}
	}
	return o
}

// Exchange returns a copy of h with its credentials redacted: header
// values outside the allowlist, the URL's, and the bodies'.
func Exchange(h *subjects.HTTPExchange) *subjects.HTTPExchange {
	out := exchange(h)
	for _, t := range exchangeTexts(nil, out) {
		*t = keyFormats(*t)
	}
	return out
}

func exchange(h *subjects.HTTPExchange) *subjects.HTTPExchange {
	if h == nil {
		return nil
	}
	out := &subjects.HTTPExchange{}
	if r := h.Request; r != nil {
		out.Request = &subjects.HTTPRequest{
			Method:  byRules(r.Method),
			URL:     byRules(URL(r.URL)),
			Headers: headers(r.Headers),
			Body:    body(r.Body, r.Headers),
		}
	}
	if r := h.Response; r != nil {
		out.Response = &subjects.HTTPResponse{
			Status:  r.Status,
			Headers: headers(r.Headers),
			Body:    body(r.Body, r.Headers),
		}
	}
	return out
}

func headers(h subjects.Headers) subjects.Headers {
	if h == nil {
		return nil
	}
	out := make(subjects.Headers, len(h))
	for name, vs := range h {
		// A name that holds a credential ("Authorization: Bearer …" as a
		// name) is redacted, and its value with it.
		if shown := byRules(name); shown != name || !ShownHeader(name) {
			out[shown] = []string{Marker}
			continue
		}
		shown := make([]string, len(vs))
		for i, v := range vs {
			shown[i] = headerValue(name, v)
		}
		out[name] = shown
	}
	return out
}

func logEntries(entries []subjects.LogEntry) []subjects.LogEntry {
	if entries == nil {
		return nil
	}
	out := make([]subjects.LogEntry, len(entries))
	for i, e := range entries {
		e.Step, e.Level, e.Message = byRules(e.Step), byRules(e.Level), byRules(e.Message)
		e.HTTP = exchange(e.HTTP)
		out[i] = e
	}
	return out
}

// textsOf points at every string of a redacted outcome that text can stand
// in.
func textsOf(o *subjects.RunOutcome) []*string {
	texts := []*string{&o.Destination, &o.EntityType, &o.EntityID}
	if f := o.Failure; f != nil {
		texts = append(texts, &f.Message)
		if m := f.Mapping; m != nil {
			texts = append(texts, &m.M3terEntity, &m.M3terID, &m.ExternalSystem, &m.ExternalTable)
		}
		texts = exchangeTexts(texts, f.HTTP)
	}
	for i := range o.Log {
		e := &o.Log[i]
		texts = append(texts, &e.Step, &e.Level, &e.Message)
		texts = exchangeTexts(texts, e.HTTP)
	}
	return texts
}

func exchangeTexts(texts []*string, h *subjects.HTTPExchange) []*string {
	if h == nil {
		return texts
	}
	if r := h.Request; r != nil {
		texts = append(texts, &r.Method, &r.URL, (*string)(&r.Body))
		texts = headerTexts(texts, r.Headers)
	}
	if r := h.Response; r != nil {
		texts = append(texts, (*string)(&r.Body))
		texts = headerTexts(texts, r.Headers)
	}
	return texts
}

func headerTexts(texts []*string, h subjects.Headers) []*string {
	for _, vs := range h {
		for i := range vs {
			texts = append(texts, &vs[i])
		}
	}
	return texts
}
