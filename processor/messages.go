package processor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/integration-events/integration-events/subjects"
)

// credentialHints say, per destination, what "fix the credentials" means.
var credentialHints = map[string]string{
	"salesforce": "re-authorize the Salesforce connected app (the OAuth refresh token was revoked or expired, or the integration user's password changed)",
	"chargebee":  "replace the Chargebee API key on the integration with an active full-access key for the right site",
	"netsuite":   "issue a new NetSuite token-based authentication token for the integration role and update the consumer and token credentials",
	"xero":       "reconnect the Xero organisation (Xero asks for consent again after 60 days without a refresh)",
	"quickbooks": "reconnect the QuickBooks company (QuickBooks refresh tokens expire after 100 days)",
	"stripe":     "roll the Stripe restricted key and store the new one on the integration, with write access to the objects it syncs",
}

func credentialHint(dest string) string {
	if h, ok := credentialHints[strings.ToLower(dest)]; ok {
		return h
	}
	return "update the " + dest + " credentials on the integration"
}

// performHint says what an HTTP status from the destination usually means.
func performHint(dest string, status int) string {
	switch {
	case status == 0:
		return fmt.Sprintf("check that %s is reachable from the integration and re-run it", dest)
	case status == 403:
		return fmt.Sprintf("give the %s integration user permission to write this object, then re-run the integration", dest)
	case status == 404:
		return fmt.Sprintf("the target record no longer exists in %s: recreate it or update the external mapping, then re-run", dest)
	case status == 409:
		return fmt.Sprintf("the record was changed in %s at the same time: re-run the integration", dest)
	case status == 400 || status == 422:
		return fmt.Sprintf("%s rejected the data: open the failed request and response, correct the field it names in m3ter or in the field mappings, then re-run", dest)
	case status == 429:
		return fmt.Sprintf("%s is rate limiting the integration: the next run retries; run it less often if this repeats", dest)
	case status >= 500:
		return fmt.Sprintf("%s had a server error: re-run the integration later, and check %s's status page if it persists", dest, dest)
	default:
		return "open the failed request and response in the integration run, correct the cause, then re-run"
	}
}

func entityLabel(o *subjects.RunOutcome) string {
	switch {
	case o.EntityType != "" && o.EntityID != "":
		return o.EntityType + " " + o.EntityID
	case o.EntityType != "":
		return "the " + o.EntityType
	default:
		return "the data"
	}
}

// Message is the text of an event: the cause, then a suggested remedy, written
// for the operator who reads it, specific to the kind and destination.
func Message(kind subjects.Kind, o *subjects.RunOutcome) string {
	f := o.Failure
	cause := strings.TrimSpace(f.Message)
	dest := o.Destination
	switch kind {
	case subjects.KindValidation:
		return fmt.Sprintf("Validation failed for %s before it was sent to %s: %s. Correct the %s data in m3ter or the integration's field mappings, then re-run integration run %s.",
			entityLabel(o), dest, cause, orDefault(o.EntityType, "source"), o.RunID)
	case subjects.KindMissingAccountMapping:
		m := f.Mapping
		if m == nil {
			m = &subjects.Mapping{}
		}
		entity := orDefault(m.M3terEntity, orDefault(o.EntityType, "entity"))
		id := orDefault(m.M3terID, o.EntityID)
		table := orDefault(m.ExternalTable, "record")
		return fmt.Sprintf("%s has no external mapping for m3ter %s %s: %s. Create an external mapping from this %s to its %s %s, then re-run the integration.",
			dest, entity, id, cause, entity, orDefault(m.ExternalSystem, dest), table)
	case subjects.KindAuthentication:
		return fmt.Sprintf("%s rejected the integration's credentials: %s. Go to the integration and %s, then re-run it.", dest, cause, credentialHint(dest))
	case subjects.KindPerform:
		status := 0
		if f.HTTP != nil && f.HTTP.Response != nil {
			status = f.HTTP.Response.Status
		}
		what := "failed"
		if status != 0 {
			what = fmt.Sprintf("returned HTTP %d", status)
		}
		return fmt.Sprintf("%s %s when the integration sent %s: %s. Next: %s.", dest, what, entityLabel(o), cause, performHint(dest, status))
	}
	return cause
}

// DisabledMessage is the text of a disabled event.
func DisabledMessage(c *subjects.FailureCounter, destination string) string {
	since := ""
	if c.FirstFailureAt != nil {
		since = " since " + c.FirstFailureAt.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Sprintf("The %s integration was disabled after %d successive failed runs%s (%s). The last error was: %s. Fix the cause, then re-enable the integration; it will not run until then.",
		destination, c.ConsecutiveFailures, since, summariseKinds(c.FailuresByKind), c.LastError)
}

func summariseKinds(byKind map[string]int) string {
	names := make([]string, 0, len(byKind))
	for k := range byKind {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if byKind[names[i]] != byKind[names[j]] {
			return byKind[names[i]] > byKind[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%d %s", byKind[k], k)
	}
	return strings.Join(parts, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
