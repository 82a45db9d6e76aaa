package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
)

// PageSize is how many events the list shows a page.
const PageSize = 50

// pageBudget is the reply budget of one listing: the rows show a message
// and a few fields, so a record's data never needs the HTTP API's 8 MiB.
const pageBudget = 4 << 20

// filter is the events page's query: what the filter form and the links
// carry.
type filter struct {
	EventName       string
	IntegrationID   string
	IncludeActioned bool
	NextToken       string
	Range           string // the chart's: "24h" or "7d"
}

func readFilter(q url.Values) filter {
	f := filter{EventName: q.Get("eventName"), IntegrationID: q.Get("integrationId"), NextToken: q.Get("nextToken"), Range: q.Get("range")}
	switch q.Get("includeActioned") {
	case "true", "on", "1":
		f.IncludeActioned = true
	}
	if f.Range != "7d" {
		f.Range = "24h"
	}
	return f
}

// query encodes f for a link; page says whether to keep the page token.
func (f filter) query(page bool) url.Values {
	q := url.Values{}
	if f.EventName != "" {
		q.Set("eventName", f.EventName)
	}
	if f.IntegrationID != "" {
		q.Set("integrationId", f.IntegrationID)
	}
	if f.IncludeActioned {
		q.Set("includeActioned", "true")
	}
	if f.Range != "24h" {
		q.Set("range", f.Range)
	}
	if page && f.NextToken != "" {
		q.Set("nextToken", f.NextToken)
	}
	return q
}

func (f filter) request() subjects.ListEventsRequest {
	return subjects.ListEventsRequest{IncludeActioned: f.IncludeActioned, EventName: f.EventName,
		IntegrationID: f.IntegrationID, PageSize: PageSize, NextToken: f.NextToken}
}

type eventsView struct {
	layout
	Filter      filter
	Rows        []row
	NextURL     string // "" on the last page
	FirstURL    string // "" on the first page
	PollURL     string // "" when not polling (a later page)
	PollMillis  int64
	Chart       chart
	ChartError  string
	RangeURLs   map[string]string
	ReturnQuery string
	Empty       string // what an empty list says
}

func (c *Console) eventsPage(w http.ResponseWriter, r *http.Request, who string) {
	f := readFilter(r.URL.Query())
	v := eventsView{layout: c.frame("Integration events", "events", who), Filter: f, PollMillis: c.cfg.PollInterval.Milliseconds()}
	if n, ok := actionedCount(r.URL.Query().Get("actioned")); ok {
		v.Flash = fmt.Sprintf("Marked %s as actioned.", plural(n, "event"))
	}
	status := http.StatusOK
	page, err := c.svc.ListEvents(r.Context(), f.request(), pageBudget)
	var oe *operator.Error
	switch {
	case errors.As(err, &oe) && oe.Status == http.StatusBadRequest:
		status, v.Error = http.StatusBadRequest, oe.Message
	case err != nil:
		c.fail(w, r, err)
		return
	}
	for _, rec := range page.Data {
		rw := toRow(rec)
		rw.Select = true
		v.Rows = append(v.Rows, rw)
	}
	if len(v.Rows) == 0 {
		v.Empty = c.emptyText(r, f)
	}
	if page.NextToken != "" {
		next := f
		next.NextToken = page.NextToken
		v.NextURL = "/?" + next.query(true).Encode()
	}
	if f.NextToken != "" {
		v.FirstURL = "/?" + f.query(false).Encode()
	} else if v.Error == "" {
		v.PollURL = "/events/rows?" + f.query(false).Encode()
	}
	v.ReturnQuery = f.query(false).Encode()
	v.RangeURLs = map[string]string{}
	for _, rg := range []string{"24h", "7d"} {
		o := f
		o.Range = rg
		v.RangeURLs[rg] = "/?" + o.query(false).Encode()
	}
	// The chart is a picture beside the list: without it the page still
	// serves its purpose.
	if v.Chart, err = c.chart(r.Context(), f.Range, time.Now()); err != nil {
		c.log.Warnw("console chart failed", "error", err)
		v.ChartError = "The chart could not be read; reload to try again."
	}
	c.render(w, status, "events", v)
}

// emptyText is what an empty list says: that the filters match nothing,
// that every event is actioned (with the switch off), or that there are no
// events at all.
func (c *Console) emptyText(r *http.Request, f filter) string {
	switch {
	case f.EventName != "" || f.IntegrationID != "":
		return "No events match these filters."
	case f.NextToken != "":
		return "No more events."
	case f.IncludeActioned:
		return "No events yet."
	}
	all, err := c.svc.ListEvents(r.Context(), subjects.ListEventsRequest{IncludeActioned: true, PageSize: 1}, pageBudget)
	if err == nil && len(all.Data) > 0 {
		return "No events to action. Switch on “Include actioned events?” to see the ones already actioned."
	}
	return "No events yet."
}

// eventRows serves the newest page's rows alone, for the page's polling.
func (c *Console) eventRows(w http.ResponseWriter, r *http.Request, _ string) {
	f := readFilter(r.URL.Query())
	f.NextToken = ""
	page, err := c.svc.ListEvents(r.Context(), f.request(), pageBudget)
	if err != nil {
		var oe *operator.Error
		status := http.StatusServiceUnavailable
		if errors.As(err, &oe) {
			status = oe.Status
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	rows := make([]row, 0, len(page.Data))
	for _, rec := range page.Data {
		rw := toRow(rec)
		rw.Select = true
		rows = append(rows, rw)
	}
	c.render(w, http.StatusOK, "rows", rows)
}

// actionEvents marks the selected events as actioned by the caller, then
// shows the list again.
func (c *Console) actionEvents(w http.ResponseWriter, r *http.Request, who string) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, &operator.Error{Status: http.StatusBadRequest, Message: "the form could not be read"})
		return
	}
	ids := slices.Compact(slices.Sorted(slices.Values(r.PostForm["id"])))
	if len(ids) == 0 {
		c.fail(w, r, &operator.Error{Status: http.StatusBadRequest, Message: "select at least one event to mark as actioned"})
		return
	}
	if !confirmed(r) {
		back := "/?" + readFilter(mustQuery(r.PostForm.Get("return"))).query(false).Encode()
		v := confirmView{layout: c.frame("Mark as actioned", "events", who), Action: "/events/actioned",
			Question: fmt.Sprintf("Mark %s as actioned?", plural(len(ids), "event")),
			Detail:   "They will be marked as actioned" + by(c, who) + ". This cannot be undone.",
			TextName: "note", TextLabel: "Note (optional)", Cancel: back,
			Hidden: []field{{"return", r.PostForm.Get("return")}}}
		for _, id := range ids {
			v.Hidden = append(v.Hidden, field{"id", id})
		}
		c.render(w, http.StatusOK, "confirm", v)
		return
	}
	resp, err := c.svc.ActionEvents(r.Context(), subjects.ActionEventsRequest{IDs: ids, ActionedBy: who, Note: r.PostForm.Get("note")}, pageBudget)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q := readFilter(mustQuery(r.PostForm.Get("return"))).query(false)
	q.Set("actioned", fmt.Sprint(len(resp.Actioned)))
	http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
}

// actionedCount reads the actioned= of the redirect after actioning: a
// count in digits, as the redirect writes it, else nothing to show; so a
// link cannot put its own words in the banner.
func actionedCount(s string) (int, bool) {
	if s == "" || len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// mustQuery parses a query, keeping what parses.
func mustQuery(s string) url.Values {
	q, _ := url.ParseQuery(s)
	return q
}

// by names who acts, when someone signs in.
func by(c *Console, who string) string {
	if len(c.tokens) == 0 {
		return ""
	}
	return " by " + who
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
