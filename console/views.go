package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// navItem is one link of the header.
type navItem struct {
	Path, Label, Key string
}

var nav = []navItem{
	{Path: "/", Label: "Integration events", Key: "events"},
	{Path: "/integrations", Label: "Integrations", Key: "integrations"},
	{Path: "/external-mappings", Label: "External mappings", Key: "mappings"},
}

// layout is what every page's frame needs.
type layout struct {
	Title   string
	Active  string // the navItem.Key of the page
	Who     string // "" when no one signs in (loopback without tokens)
	Nav     []navItem
	Version string
	Flash   string
	Error   string
}

type loginView struct {
	layout
	Next string
}

// confirmView asks before a change, as the page's dialog does, for a
// browser without JavaScript: Yes posts the form again with confirm=yes.
type confirmView struct {
	layout
	Question, Detail    string
	Action              string
	Hidden              []field
	TextName, TextLabel string
	Cancel              string
}

type field struct{ Name, Value string }

// confirmed reports whether a posted change was confirmed: the dialog's
// and the confirmation page's Yes send confirm=yes.
func confirmed(r *http.Request) bool { return r.PostForm.Get("confirm") == "yes" }

type errorView struct {
	layout
	Status  int
	Message string
}

// kindInfo is how an event kind is shown: a badge label and class.
type kindInfo struct {
	Name, Label, Class string
}

var kinds = map[string]kindInfo{}

// kindList is the kinds in the order of subjects.Kinds, for selects and
// legends.
var kindList []kindInfo

func init() {
	labels := map[subjects.Kind]string{
		subjects.KindValidation:            "Validation",
		subjects.KindMissingAccountMapping: "Missing account mapping",
		subjects.KindAuthentication:        "Authentication",
		subjects.KindPerform:               "Perform",
		subjects.KindDisabled:              "Disabled",
		subjects.KindWarning:               "Disable warning",
		subjects.KindRecovered:             "Recovered",
	}
	for _, k := range subjects.Kinds {
		ki := kindInfo{Name: k.EventName(), Label: labels[k], Class: "k-" + string(k)}
		kinds[ki.Name] = ki
		kindList = append(kindList, ki)
	}
}

func kindOf(eventName string) kindInfo {
	if k, ok := kinds[eventName]; ok {
		return k
	}
	return kindInfo{Name: eventName, Label: eventName, Class: "k-other"}
}

// row is one event as the list shows it.
type row struct {
	ID            string
	Kind          kindInfo
	Time          time.Time
	Cause         string
	CauseShort    string // Cause cut for the row when it is long; "" when not
	Remedy        string
	IntegrationID string
	Destination   string
	Entity        string
	Actioned      bool
	DtActioned    time.Time
	ActionedBy    string
	Note          string
	FollowUp      link
	RunID         string
	// Facts are the streak figures of a warning, recovery or disabled
	// event: the rule, the level, what is left, the streak's span.
	Facts []fact
	// Select shows the row's checkbox: on the events page, where rows can
	// be marked as actioned.
	Select bool
}

// fact is one labelled figure of an event; Key names it for the page.
type fact struct {
	Key, Label, Value string
}

type link struct {
	Label string
	URL   string
}

// longCause is the length past which a row shows its cause cut, with the
// whole text behind a disclosure.
const longCause = 420

func toRow(rec subjects.EventRecord) row {
	var d subjects.EventData
	_ = json.Unmarshal(rec.Data, &d) // a record's data is the processor's own JSON; a bounded one still decodes
	r := row{ID: rec.ID, Kind: kindOf(rec.EventName), Time: rec.EventTime.UTC(), IntegrationID: rec.IntegrationID,
		Destination: d.Destination, RunID: d.RunID, Actioned: rec.DtActioned != nil, ActionedBy: rec.ActionedBy, Note: rec.Note}
	if rec.DtActioned != nil {
		r.DtActioned = rec.DtActioned.UTC()
	}
	r.Cause, r.Remedy = splitMessage(d.Message, d.Remedy)
	if len(r.Cause) > longCause {
		r.CauseShort = processor.Truncate(r.Cause, longCause-100)
	}
	if d.EntityType != "" || d.EntityID != "" {
		r.Entity = strings.TrimSpace(d.EntityType + " " + d.EntityID)
	}
	fu := d.FollowUp
	if fu.IntegrationID == "" {
		fu.IntegrationID = rec.IntegrationID
	}
	if fu.Action == "" {
		fu.Action = defaultFollowUp(rec.EventName)
		fu.RunID = d.RunID
	}
	r.FollowUp = followUpLink(fu)
	r.Facts = streakFacts(rec.EventName, &d)
	return r
}

// streakFacts are the figures a warning, recovery or disabled event
// carries beside its message; nil for an error event.
func streakFacts(eventName string, d *subjects.EventData) []fact {
	var out []fact
	add := func(key, label, value string) { out = append(out, fact{Key: key, Label: label, Value: value}) }
	at := func(t *time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
	switch eventName {
	case subjects.KindWarning.EventName():
		add("percent", "Level", fmt.Sprintf("%d%% of %d", d.Percent, d.DisableAfter))
		add("rule", "Rule", d.Rule)
		if d.FailuresUntilDisable != nil {
			add("failuresUntilDisable", "Failures until disable", fmt.Sprint(*d.FailuresUntilDisable))
		}
		if d.DisableNotBefore != nil {
			add("disableNotBefore", "Not before", at(d.DisableNotBefore))
		}
	case subjects.KindRecovered.EventName():
		add("failedRuns", "Failed runs", fmt.Sprint(d.FailedRuns))
		if d.FirstFailureAt != nil {
			add("firstFailureAt", "First failure", at(d.FirstFailureAt))
		}
		if d.RecoveredAt != nil {
			add("recoveredAt", "Recovered", at(d.RecoveredAt))
		}
		if d.AutoAction {
			add("autoAction", "Streak's events", "marked actioned")
		}
	case subjects.KindDisabled.EventName():
		if d.Rule != "" {
			add("rule", "Rule", fmt.Sprintf("%s: %d", d.Rule, d.DisableAfter))
		}
	}
	return out
}

func defaultFollowUp(eventName string) string {
	switch eventName {
	case subjects.KindValidation.EventName(), subjects.KindPerform.EventName():
		return subjects.FollowUpGoToIntegrationRun
	case subjects.KindMissingAccountMapping.EventName():
		return subjects.FollowUpCreateExternalMapping
	case subjects.KindRecovered.EventName():
		return subjects.FollowUpReviewStreak
	}
	return subjects.FollowUpGoToIntegration
}

// followUpLink is where an event's follow-up leads: its run, the mapping
// form prefilled, the integration's events not actioned (a recovery's
// review of the streak), or its integration.
func followUpLink(fu subjects.FollowUp) link {
	switch fu.Action {
	case subjects.FollowUpReviewStreak:
		return link{Label: "Review the streak's events", URL: "/?" + filter{IntegrationID: fu.IntegrationID, Range: "24h"}.query(false).Encode()}
	case subjects.FollowUpGoToIntegrationRun:
		return link{Label: "Go to integration run", URL: runURL(fu.IntegrationID, fu.RunID)}
	case subjects.FollowUpCreateExternalMapping:
		q := url.Values{}
		for _, kv := range [][2]string{{"m3terEntity", fu.M3terEntity}, {"m3terId", fu.M3terID},
			{"externalSystem", fu.ExternalSystem}, {"externalTable", fu.ExternalTable}, {"integrationConfigId", fu.IntegrationID}} {
			if kv[1] != "" {
				q.Set(kv[0], kv[1])
			}
		}
		return link{Label: "Create external mapping", URL: "/external-mappings/new?" + q.Encode()}
	default:
		return link{Label: "Go to integration", URL: integrationURL(fu.IntegrationID)}
	}
}

func runURL(integrationID, runID string) string {
	return "/runs/" + url.PathEscape(integrationID) + "/" + url.PathEscape(runID)
}

func integrationURL(id string) string { return "/integrations/" + url.PathEscape(id) }

// splitMessage returns a message's cause and its remedy: the message is
// the cause, then the remedy (after "Next:" for a perform error).
func splitMessage(message, remedy string) (cause, rem string) {
	if remedy == "" {
		return message, ""
	}
	c, ok := strings.CutSuffix(message, remedy)
	if !ok {
		return message, remedy
	}
	c = strings.TrimSpace(c)
	c = strings.TrimSpace(strings.TrimSuffix(c, "Next:"))
	return c, remedy
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"iso":            func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"integrationURL": integrationURL,
	"kinds":          func() []kindInfo { return kindList },
	"upper":          func(v any) string { return strings.ToUpper(fmt.Sprint(v)) },
	"statusText":     http.StatusText,
	"eventsURL": func(integrationID string) string {
		return "/?" + url.Values{"integrationId": {integrationID}, "includeActioned": {"true"}}.Encode()
	},
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
}

// parsePages parses each page with the shared layout and partials.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, p := range []string{"events", "rows", "integration", "integrations", "run", "mappings", "mapping-new", "login", "error", "confirm"} {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", p, err)
		}
		out[p] = t
	}
	return out, nil
}

// render executes a page into a buffer first, so that a template error
// is a clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, status int, page string, v any) {
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, page, v); err != nil {
		c.log.Errorw("console template failed", "page", page, "error", err)
		http.Error(w, "internal error: the page does not render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) frame(title, active, who string) layout {
	l := layout{Title: title, Active: active, Nav: nav, Version: c.assetVersion}
	if len(c.tokens) > 0 {
		l.Who = who
	}
	return l
}
