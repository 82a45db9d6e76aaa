package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
)

// ListPageSize is how many integrations or external mappings a list page
// shows.
const ListPageSize = 50

// lastErrorChars is how much of an integration's last error its row shows.
const lastErrorChars = 160

type integrationsView struct {
	layout
	Rows     []integrationRow
	NextURL  string
	FirstURL string
}

type integrationRow struct {
	ID            string
	Disabled      bool
	Failing       bool
	Streak        string
	LastError     string
	LastErrorFull string
	LastFailure   time.Time
	LastRunURL    string
}

func (c *Console) integrationsPage(w http.ResponseWriter, r *http.Request, who string) {
	token := r.URL.Query().Get("nextToken")
	v := integrationsView{layout: c.frame("Integrations", "integrations", who)}
	page, err := c.svc.ListIntegrations(r.Context(), subjects.ListIntegrationsRequest{PageSize: ListPageSize, NextToken: token}, pageBudget)
	if status, ok := c.listError(w, r, err, &v.layout); !ok {
		c.render(w, status, "integrations", v)
		return
	} else if err != nil {
		return
	}
	for _, ct := range page.Data {
		row := integrationRow{ID: ct.IntegrationID, Disabled: ct.Disabled, Failing: ct.ConsecutiveFailures > 0,
			Streak: fmt.Sprintf("%d / %d", ct.ConsecutiveFailures, ct.DisableAfter)}
		if row.Failing || row.Disabled {
			row.LastError, row.LastErrorFull = shortText(ct.LastError, lastErrorChars), ct.LastError
			if ct.LastFailureAt != nil {
				row.LastFailure = ct.LastFailureAt.UTC()
			}
		}
		v.Rows = append(v.Rows, row)
	}
	v.NextURL, v.FirstURL = pagerURLs("/integrations", token, page.NextToken)
	c.render(w, http.StatusOK, "integrations", v)
}

// listError handles a listing's error: a bad token (400) is shown on the
// page itself, which the caller renders with the status returned (ok
// false); any other error is answered here (ok true, err not nil).
func (c *Console) listError(w http.ResponseWriter, r *http.Request, err error, l *layout) (int, bool) {
	if err == nil {
		return http.StatusOK, true
	}
	var oe *operator.Error
	if errors.As(err, &oe) && oe.Status == http.StatusBadRequest {
		l.Error = oe.Message
		return oe.Status, false
	}
	c.fail(w, r, err)
	return 0, true
}

// pagerURLs are the links to the next page and back to the first.
func pagerURLs(path, token, next string) (nextURL, firstURL string) {
	if next != "" {
		nextURL = path + "?" + url.Values{"nextToken": {next}}.Encode()
	}
	if token != "" {
		firstURL = path
	}
	return nextURL, firstURL
}
