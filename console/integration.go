package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
)

// recentEvents is how many of an integration's events its page lists;
// enough to hold the errors of a default streak of 20 and its disable.
const recentEvents = 50

// maxStreakLinks bounds the links to the errors of a streak.
const maxStreakLinks = 100

type integrationView struct {
	layout
	ID          string
	Destination string
	Counter     subjects.FailureCounter
	Policy      *policyView
	Streak      string
	Kinds       []legendItem
	OtherKinds  []kindCount
	DisabledAt  time.Time
	Why         string
	StreakRuns  []streakRun
	MoreRuns    int
	Rows        []row
	MoreURL     string
	EnabledAt   time.Time
	NotFound    bool
}

type kindCount struct {
	Name  string
	Count int
}

// streakRun is one failed run of the streak that disabled an integration,
// with the kind of its event when the page's recent events hold it.
type streakRun struct {
	RunID string
	URL   string
	Kind  *kindInfo
}

func (c *Console) integrationPage(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	v := integrationView{layout: c.frame("Integration "+id, "integrations", who), ID: id}
	if r.URL.Query().Get("enabled") != "" {
		v.Flash = "Re-enabled: the streak starts again from 0."
	}
	reply, err := c.svc.Integration(r.Context(), subjects.IntegrationRequest{IntegrationID: id}, pageBudget)
	if errors.Is(err, operator.ErrNotFound) {
		v.NotFound = true
		c.render(w, http.StatusNotFound, "integration", v)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	counter := reply.FailureCounter
	v.Counter = counter
	v.Policy = toPolicyView(reply.Policy, counter)
	v.Streak = fmt.Sprintf("%d / %d", counter.ConsecutiveFailures, counter.DisableAfter)
	// Failures are counted by the kind of event each raised: the disabled,
	// warning and recovered events are no failure kinds.
	for _, k := range subjects.FailureKinds {
		ki := kindOf(k.EventName())
		v.Kinds = append(v.Kinds, legendItem{Kind: ki, Count: counter.FailuresByKind[ki.Name]})
	}
	for name, n := range counter.FailuresByKind {
		if _, known := kinds[name]; !known {
			v.OtherKinds = append(v.OtherKinds, kindCount{Name: name, Count: n})
		}
	}
	slices.SortFunc(v.OtherKinds, func(a, b kindCount) int { return strings.Compare(a.Name, b.Name) })
	if counter.EnabledAt != nil {
		v.EnabledAt = counter.EnabledAt.UTC()
	}

	page, err := c.svc.ListEvents(r.Context(), subjects.ListEventsRequest{IntegrationID: id, IncludeActioned: true, PageSize: recentEvents}, pageBudget)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	byRun := map[string]kindInfo{}
	for _, rec := range page.Data {
		rw := toRow(rec)
		v.Rows = append(v.Rows, rw)
		if v.Destination == "" {
			v.Destination = rw.Destination
		}
		// A run's own error: its warning or the disable it caused share
		// its run id.
		if k, err := subjects.KindOf(rec.EventName); err == nil && slices.Contains(subjects.FailureKinds, k) {
			if _, seen := byRun[rw.RunID]; !seen {
				byRun[rw.RunID] = rw.Kind
			}
		}
	}
	if page.NextToken != "" {
		v.MoreURL = "/?" + filter{IntegrationID: id, IncludeActioned: true, Range: "24h"}.query(false).Encode()
	}

	if counter.Disabled {
		if counter.DisabledAt != nil {
			v.DisabledAt = counter.DisabledAt.UTC()
		}
		v.Why = counter.LastError
		if counter.DisabledEventID != "" {
			rec, err := c.svc.Event(r.Context(), subjects.GetEventRequest{ID: counter.DisabledEventID}, pageBudget)
			switch {
			case err == nil:
				var d subjects.EventData
				if json.Unmarshal(rec.Data, &d) == nil && d.Message != "" {
					v.Why = d.Message
				}
			case !errors.Is(err, operator.ErrNotFound):
				c.fail(w, r, err)
				return
			}
		}
		for i, run := range counter.StreakRunIDs {
			if i == maxStreakLinks {
				v.MoreRuns = len(counter.StreakRunIDs) - i
				break
			}
			sr := streakRun{RunID: run, URL: runURL(id, run)}
			if k, ok := byRun[run]; ok {
				sr.Kind = &k
			}
			v.StreakRuns = append(v.StreakRuns, sr)
		}
		if n := counter.ConsecutiveFailures - len(counter.StreakRunIDs); n > 0 {
			v.MoreRuns += n
		}
	}
	c.render(w, http.StatusOK, "integration", v)
}

// enableIntegration re-enables an integration as the caller, waits until
// it is applied, and shows the integration again.
func (c *Console) enableIntegration(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, &operator.Error{Status: http.StatusBadRequest, Message: "the form could not be read"})
		return
	}
	if !confirmed(r) {
		c.render(w, http.StatusOK, "confirm", confirmView{layout: c.frame("Re-enable "+id, "integrations", who),
			Action: integrationURL(id) + "/enable", Question: "Re-enable " + id + "?",
			Detail:   "The streak resets to 0 and the integration runs again" + by(c, who) + ".",
			TextName: "reason", TextLabel: "Reason (optional)", Cancel: integrationURL(id)})
		return
	}
	_, err := c.svc.EnableIntegration(r.Context(), subjects.EnableIntegrationRequest{IntegrationID: id, EnabledBy: who, Reason: r.PostForm.Get("reason")}, pageBudget)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, integrationURL(id)+"?enabled=1", http.StatusSeeOther)
}
