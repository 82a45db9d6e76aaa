package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
)

// runBudget bounds a run read back for its page: an admitted outcome is at
// most about 1 MiB, so it is never cut to fit.
const runBudget = 4 << 20

type runView struct {
	layout
	IntegrationID string
	RunID         string
	// Problem is the service's answer when the run cannot be shown (404,
	// 503, 400); the rest is then empty.
	Problem  string
	Status   int
	Rec      subjects.RunRecord
	Outcome  subjects.RunOutcome
	Entity   string
	Started  time.Time
	Reported time.Time
	Request  *requestView
	Response *responseView
	Log      []logView
	Mapping  *link
}

type header struct{ Name, Value string }

type requestView struct {
	Method, URL string
	Headers     []header
	Body        body
}

type responseView struct {
	Status     int
	StatusText string
	Headers    []header
	Body       body
}

// body is an HTTP body as shown: pretty-printed when it is JSON.
type body struct {
	Text string
	JSON bool
}

type logView struct {
	Time                 time.Time
	Step, Level, Message string
	LevelClass           string
	Request              *requestView
	Response             *responseView
}

func (c *Console) runPage(w http.ResponseWriter, r *http.Request, who string) {
	iid, rid := r.PathValue("integrationId"), r.PathValue("runId")
	v := runView{layout: c.frame("Run "+rid, "integrations", who), IntegrationID: iid, RunID: rid}
	rec, err := c.svc.Run(r.Context(), subjects.RunRequest{IntegrationID: iid, RunID: rid}, runBudget)
	var oe *operator.Error
	if errors.As(err, &oe) {
		v.Title = http.StatusText(oe.Status)
		v.Status, v.Problem = oe.Status, oe.Message
		c.render(w, oe.Status, "run", v)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v.Rec, v.Outcome = rec, rec.Outcome
	o := rec.Outcome
	v.Entity = strings.TrimSpace(o.EntityType + " " + o.EntityID)
	if o.StartedAt != nil {
		v.Started = o.StartedAt.UTC()
	}
	if rec.ReportedFinishedAt != nil {
		v.Reported = rec.ReportedFinishedAt.UTC()
	}
	if f := o.Failure; f != nil {
		if f.HTTP != nil {
			v.Request, v.Response = exchangeViews(f.HTTP)
		}
		if m := f.Mapping; m != nil {
			l := followUpLink(subjects.FollowUp{Action: subjects.FollowUpCreateExternalMapping, IntegrationID: iid,
				M3terEntity: m.M3terEntity, M3terID: m.M3terID, ExternalSystem: m.ExternalSystem, ExternalTable: m.ExternalTable})
			v.Mapping = &l
		}
	}
	for _, e := range o.Log {
		lv := logView{Step: strings.ToUpper(e.Step), Level: strings.ToUpper(e.Level), Message: e.Message, LevelClass: levelClass(e.Level)}
		if e.Time != nil {
			lv.Time = e.Time.UTC()
		}
		if e.HTTP != nil {
			lv.Request, lv.Response = exchangeViews(e.HTTP)
		}
		v.Log = append(v.Log, lv)
	}
	c.render(w, http.StatusOK, "run", v)
}

func exchangeViews(x *subjects.HTTPExchange) (*requestView, *responseView) {
	var req *requestView
	var resp *responseView
	if q := x.Request; q != nil {
		req = &requestView{Method: q.Method, URL: q.URL, Headers: headerList(q.Headers), Body: prettyBody(string(q.Body))}
	}
	if p := x.Response; p != nil {
		resp = &responseView{Status: p.Status, StatusText: http.StatusText(p.Status), Headers: headerList(p.Headers), Body: prettyBody(string(p.Body))}
	}
	return req, resp
}

// headerList is h sorted by name, one line per value, as it went over
// the wire.
func headerList(h subjects.Headers) []header {
	var out []header
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[name] {
			out = append(out, header{Name: name, Value: v})
		}
	}
	return out
}

// prettyBody indents a JSON body; any other body is shown as it is.
func prettyBody(s string) body {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') || !json.Valid([]byte(t)) {
		return body{Text: s}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(t), "", "  "); err != nil {
		return body{Text: s}
	}
	return body{Text: buf.String(), JSON: true}
}

func levelClass(level string) string {
	switch strings.ToLower(level) {
	case "error", "fatal", "critical":
		return "l-error"
	case "warn", "warning":
		return "l-warn"
	case "debug", "trace":
		return "l-debug"
	}
	return "l-info"
}

// shortText is s cut to at most n bytes on a rune boundary, with an
// ellipsis when cut: a table cell holds the start, the page the rest.
func shortText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n]) + "…"
}
