package processor

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/integration-events/integration-events/policy"
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

// MaxCauseInMessage bounds the provider's text quoted in a message, so the
// remedy that follows it is within the first 1.5 KB however long the
// provider's message is. The event's error field keeps the text itself.
const MaxCauseInMessage = 1000

// Message is the text of a failure's event and its suggested remedy: the
// message is the cause (what failed, then the provider's own words, cut to
// MaxCauseInMessage) followed by the remedy, and the remedy is also returned
// alone for the event's remedy field. The row of Classification the failure
// matched gives the kind and, when it has them, the opening and the advice;
// otherwise they are the kind's own, specific to the destination and status.
// A failure without a message is described from its stage and status.
func Message(r Rule, o *subjects.RunOutcome) (message, remedy string) {
	f := o.Failure
	dest := o.Destination
	status := FailureStatus(f)
	var lead string
	switch r.Kind {
	case subjects.KindValidation:
		lead = fmt.Sprintf("Validation failed for %s before it was sent to %s", entityLabel(o), dest)
		remedy = fmt.Sprintf("Correct the %s data in m3ter or the integration's field mappings, then re-run integration run %s.",
			orDefault(o.EntityType, "source"), o.RunID)
	case subjects.KindMissingAccountMapping:
		m := f.Mapping
		if m == nil {
			m = &subjects.Mapping{}
		}
		entity := orDefault(m.M3terEntity, orDefault(o.EntityType, "entity"))
		lead = strings.TrimSpace(fmt.Sprintf("%s has no external mapping for m3ter %s %s", dest, entity, orDefault(m.M3terID, o.EntityID)))
		remedy = fmt.Sprintf("Create an external mapping from this %s to its %s %s, then re-run the integration.",
			entity, orDefault(m.ExternalSystem, dest), orDefault(m.ExternalTable, "record"))
	case subjects.KindAuthentication:
		lead = dest + " rejected the integration's credentials"
		if f.Stage == subjects.StageAuthenticate {
			lead += " when it signed in"
		}
		if status != 0 {
			lead += fmt.Sprintf(" (HTTP %d)", status)
		}
		remedy = "Go to the integration and " + credentialHint(dest) + ", then re-run it."
	case subjects.KindPerform:
		what := "failed"
		if status != 0 {
			what = fmt.Sprintf("returned HTTP %d", status)
		}
		lead = fmt.Sprintf("%s %s when the integration sent %s", dest, what, entityLabel(o))
		remedy = sentence(performHint(dest, status))
	default:
		lead = fmt.Sprintf("The %s stage failed", f.Stage)
		remedy = "Open the integration run, correct the cause, then re-run it."
	}
	if r.Cause != "" {
		lead = expand(r.Cause, dest, status)
	}
	if r.Advice != "" {
		remedy = expand(r.Advice, dest, status)
	}
	var b strings.Builder
	b.WriteString(lead)
	if cause := strings.TrimSpace(f.Message); cause != "" {
		cause = Truncate(cause, MaxCauseInMessage)
		b.WriteString(": ")
		b.WriteString(cause)
		if !endsSentence(cause) {
			b.WriteByte('.')
		}
	} else {
		b.WriteString(", with no error message.")
	}
	if t := o.ReportedFinishedAt; t != nil {
		fmt.Fprintf(&b, " (The runner reported finishedAt %s, more than %d minutes after the run was received at %s; the receive time is used.)",
			t.UTC().Format(time.RFC3339), int(MaxClockSkew/time.Minute), o.FinishedAt.UTC().Format(time.RFC3339))
	}
	b.WriteByte(' ')
	if r.Kind == subjects.KindPerform {
		b.WriteString("Next: ")
	}
	b.WriteString(remedy)
	return b.String(), remedy
}

// DisabledRemedy is the remedy of a disabled event.
const DisabledRemedy = "Fix the cause, then re-enable the integration; it will not run until then."

// DisabledMessage is the text of a disabled event: the streak, the policy
// rule that fired, and the last error; it ends with DisabledRemedy.
func DisabledMessage(c *subjects.FailureCounter, destination string, fired policy.Threshold) string {
	since := ""
	if c.FirstFailureAt != nil {
		since = " since " + c.FirstFailureAt.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	after := fmt.Sprintf("%s%s (%s)", failedRuns(c.ConsecutiveFailures), since, summariseKinds(c.FailuresByKind))
	if fired.Kind != "" {
		after = fmt.Sprintf("%d %s failures in a streak of %s", fired.Failures(c), fired.Kind, after)
	}
	return fmt.Sprintf("The %s integration was disabled after %s, by the policy rule %s: %d. %s %s",
		destination, after, fired.Key, fired.DisableAfter, lastErrorSentence(c.LastError), DisabledRemedy)
}

// failedRuns is a streak's length in words: "1 failed run", "20
// successive failed runs".
func failedRuns(n int) string {
	if n == 1 {
		return "1 failed run"
	}
	return fmt.Sprintf("%d successive failed runs", n)
}

// lastErrorSentence quotes a streak's last error, cut to MaxCauseInMessage.
func lastErrorSentence(lastError string) string {
	e := strings.TrimSpace(lastError)
	if e == "" {
		return "The last failure had no error message."
	}
	e = Truncate(e, MaxCauseInMessage)
	if !endsSentence(e) {
		e += "."
	}
	return "The last error was: " + e
}

// WarningMessage is the text of warning w, raised by failure o on the
// counter next, whose own remedy is remedy: the integration, what is
// failing, the level, how far the disable is and by which rule, and what
// to do before it. It returns the message and the warning's remedy, which
// the message ends with.
func WarningMessage(next *subjects.FailureCounter, o *subjects.RunOutcome, w *Warning, remedy string) (message, wremedy string) {
	th := w.Threshold
	failure := "failure"
	if th.Kind != "" {
		failure = string(th.Kind) + " failure"
	}
	when := fmt.Sprintf("after %d more %ss", w.Until(), failure)
	if w.Until() <= 1 {
		when = "by the next " + failure
	}
	if w.NotBefore != nil {
		when += ", not before " + w.NotBefore.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	wremedy = "Fix the cause before the integration is disabled."
	if r := strings.TrimSpace(remedy); r != "" {
		wremedy = sentence(r) + " Act before the integration is disabled."
	}
	message = fmt.Sprintf("The %s integration %s has had %s (%s) and reached the %d%% warning level. It will be disabled %s (policy rule %s: %d). %s %s",
		o.Destination, o.IntegrationID, failedRuns(next.ConsecutiveFailures), summariseKinds(next.FailuresByKind), w.Percent, when, th.Key, th.DisableAfter, lastErrorSentence(next.LastError), wremedy)
	return message, wremedy
}

// RecoveredMessage is the text of the recovery rec that success o raised.
func RecoveredMessage(o *subjects.RunOutcome, rec *Recovery) string {
	return fmt.Sprintf("The %s integration %s recovered: run %s succeeded after %s since %s (%s). %s",
		o.Destination, o.IntegrationID, o.RunID, failedRuns(rec.FailedRuns), rec.FirstFailureAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		summariseKinds(rec.FailuresByKind), RecoveredRemedy(rec))
}

// RecoveredRemedy is the remedy of a recovery: none is needed, but the
// streak's events may be.
func RecoveredRemedy(rec *Recovery) string {
	if rec.AutoAction {
		return "No action is needed: the streak's error and warning events are marked actioned."
	}
	return "No action is needed to keep it running; review the streak's events and mark them actioned."
}

// endsSentence reports whether text already ends a sentence, so a full stop
// after it would double it.
// A closing quote or bracket after the stop still ends it: 'Quoted
// "Invalid value."'.
func endsSentence(text string) bool {
	text = strings.TrimRight(strings.TrimSpace(text), `"')]”’`)
	return strings.HasSuffix(text, ".") || strings.HasSuffix(text, "!") || strings.HasSuffix(text, "?") || strings.HasSuffix(text, "…")
}

// sentence makes a hint a sentence: capitalised, with a full stop.
func sentence(hint string) string {
	if hint == "" {
		return hint
	}
	if c := hint[0]; c >= 'a' && c <= 'z' {
		hint = string(c-'a'+'A') + hint[1:]
	}
	if !endsSentence(hint) {
		hint += "."
	}
	return hint
}

// expand fills a row's {destination} and {status}. A possessive of a name
// that ends in s takes the apostrophe alone: "QuickBooks' login service".
func expand(template, destination string, status int) string {
	if !strings.Contains(template, "{") {
		return template
	}
	possessive := destination + "'s"
	if strings.HasSuffix(destination, "s") {
		possessive = destination + "'"
	}
	return strings.NewReplacer("{destination}'s", possessive, "{destination}", destination, "{status}", strconv.Itoa(status)).Replace(template)
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
