package processor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// messageOf is the message and remedy of o's own event, through the streak
// and event builder as the pipeline runs them.
func messageOf(t *testing.T, o *subjects.RunOutcome) subjects.EventData {
	t.Helper()
	_, _, eff := effectsOf(subjects.FailureCounter{}, o, 20)
	if len(eff.Events) != 1 {
		t.Fatalf("%d events", len(eff.Events))
	}
	return eff.Events[0].Data
}

func issueOutcome(dest string, f *subjects.Failure) *subjects.RunOutcome {
	return &subjects.RunOutcome{RunID: "run-8", IntegrationID: "int-8", Destination: dest, Status: subjects.StatusFailed,
		FinishedAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), Failure: f}
}

// The examples of issue 8, with their exact kind, message and remedy.
func TestIssue8Examples(t *testing.T) {
	tests := []struct {
		name    string
		o       *subjects.RunOutcome
		kind    subjects.Kind
		message string
		remedy  string
	}{
		{"netsuite INVALID_LOGIN_ATTEMPT answered 403", issueOutcome("NetSuite", providerFailure(subjects.StagePerform, 403, "", "INVALID_LOGIN_ATTEMPT: Invalid login attempt.")),
			subjects.KindAuthentication,
			"NetSuite rejected the integration's credentials (HTTP 403): INVALID_LOGIN_ATTEMPT: Invalid login attempt. NetSuite refused the integration's token-based login (token revoked, role changed, or wrong account ID; the Login Audit Trail says which): go to the integration and issue a new NetSuite access token for the integration role, update the consumer and token credentials, then re-run it.",
			"NetSuite refused the integration's token-based login (token revoked, role changed, or wrong account ID; the Login Audit Trail says which): go to the integration and issue a new NetSuite access token for the integration role, update the consumer and token credentials, then re-run it."},
		{"salesforce Bulk API InvalidSessionId answered 400", issueOutcome("Salesforce", providerFailure(subjects.StagePerform, 400,
			`<error><exceptionCode>InvalidSessionId</exceptionCode><exceptionMessage>Invalid session id</exceptionMessage></error>`, "InvalidSessionId: Invalid session id")),
			subjects.KindAuthentication,
			"Salesforce rejected the integration's credentials (HTTP 400): InvalidSessionId: Invalid session id. The Salesforce session expired or was revoked and could not be renewed: go to the integration and re-authorize the Salesforce connected app, then re-run it.",
			"The Salesforce session expired or was revoked and could not be renewed: go to the integration and re-authorize the Salesforce connected app, then re-run it."},
		{"quickbooks authenticate answered 500", issueOutcome("QuickBooks", providerFailure(subjects.StageAuthenticate, 500, "", "Unknown Error during Authentication, statusCode: 500")),
			subjects.KindAuthentication,
			"QuickBooks' login service failed with HTTP 500 when the integration signed in: Unknown Error during Authentication, statusCode: 500. This is a fault at QuickBooks, not a rejected credential, so the credentials need no change: re-run the integration later, and check QuickBooks' status page if it persists.",
			"This is a fault at QuickBooks, not a rejected credential, so the credentials need no change: re-run the integration later, and check QuickBooks' status page if it persists."},
		{"502 with an empty message", issueOutcome("NetSuite", providerFailure(subjects.StagePerform, 502, "", "")),
			subjects.KindPerform,
			"NetSuite returned HTTP 502 when the integration sent the data, with no error message. Next: NetSuite had a server error: re-run the integration later, and check NetSuite's status page if it persists.",
			"NetSuite had a server error: re-run the integration later, and check NetSuite's status page if it persists."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := messageOf(t, tt.o)
			if d.EventName != tt.kind.EventName() {
				t.Errorf("event %s, want %s", d.EventName, tt.kind.EventName())
			}
			if d.Message != tt.message {
				t.Errorf("message\n got %q\nwant %q", d.Message, tt.message)
			}
			if d.Remedy != tt.remedy {
				t.Errorf("remedy\n got %q\nwant %q", d.Remedy, tt.remedy)
			}
			if d.Error != tt.o.Failure.Message {
				t.Errorf("error %q, want the provider's text %q", d.Error, tt.o.Failure.Message)
			}
		})
	}
}

// No sentence ends twice: provider text that already ends a sentence is not
// given another full stop, whatever the kind.
func TestMessageNoDoubledFullStop(t *testing.T) {
	for _, text := range []string{"Invalid login attempt.", "Invalid login attempt.  \n", "Is the account locked?", "Denied!", "Waiting…", "no stop", "ends in a bracket [Account__c]", `Quoted "Invalid value."`, "(see the docs.)"} {
		for _, stage := range subjects.Stages {
			for _, status := range []int{0, 401, 403, 500} {
				d := messageOf(t, issueOutcome("NetSuite", providerFailure(stage, status, "", text)))
				for _, bad := range []string{"..", "?.", "!.", "….", " .", ". .", `.".`, ".).", ".'."} {
					if strings.Contains(d.Message, bad) {
						t.Errorf("%s %d %q: message %q contains %q", stage, status, text, d.Message, bad)
					}
				}
				if !strings.Contains(d.Message, strings.TrimSpace(text)) {
					t.Errorf("%s %d %q: message %q lacks the provider's text", stage, status, text, d.Message)
				}
			}
		}
	}
}

// A failure without a message is described from its stage and status, at
// every stage, with and without a status.
func TestMessageEmptyFailureMessage(t *testing.T) {
	tests := []struct {
		stage  subjects.Stage
		status int
		want   string
	}{
		{subjects.StageValidate, 0, "Validation failed for the data before it was sent to NetSuite, with no error message. Correct the source data"},
		{subjects.StageValidate, 400, "Validation failed for the data before it was sent to NetSuite, with no error message. Correct the source data"},
		{subjects.StageMap, 0, "NetSuite has no external mapping for m3ter entity, with no error message. Create an external mapping"},
		{subjects.StageAuthenticate, 0, "NetSuite rejected the integration's credentials when it signed in, with no error message. Go to the integration and issue a new NetSuite"},
		{subjects.StageAuthenticate, 401, "NetSuite rejected the integration's credentials when it signed in (HTTP 401), with no error message. Go to the integration"},
		{subjects.StageAuthenticate, 503, "NetSuite's login service failed with HTTP 503 when the integration signed in, with no error message. This is a fault at NetSuite"},
		{subjects.StagePerform, 0, "NetSuite failed when the integration sent the data, with no error message. Next: Check that NetSuite is reachable"},
		{subjects.StagePerform, 401, "NetSuite rejected the integration's credentials (HTTP 401), with no error message. Go to the integration"},
		{subjects.StagePerform, 502, "NetSuite returned HTTP 502 when the integration sent the data, with no error message. Next: NetSuite had a server error"},
	}
	for _, tt := range tests {
		for _, empty := range []string{"", "  \n\t"} {
			d := messageOf(t, issueOutcome("NetSuite", providerFailure(tt.stage, tt.status, "", empty)))
			if !strings.HasPrefix(d.Message, tt.want) {
				t.Errorf("%s %d, message %q:\n got %q\nwant %q...", tt.stage, tt.status, empty, d.Message, tt.want)
			}
			if d.Remedy == "" || !strings.HasSuffix(d.Message, d.Remedy) {
				t.Errorf("%s %d: remedy %q is not the end of %q", tt.stage, tt.status, d.Remedy, d.Message)
			}
		}
	}
}

// A provider text of 300 KB is cut in the message, so the remedy follows
// within the first 1.5 KB; the event's error keeps the text.
func TestMessageRemedyFollowsALongCause(t *testing.T) {
	long := "REQUIRED_FIELD_MISSING: " + strings.Repeat("Required fields are missing: [Account__c]. ", 300<<10/44)
	for _, stage := range subjects.Stages {
		d := messageOf(t, issueOutcome("Salesforce", providerFailure(stage, 400, "", long)))
		if d.Remedy == "" || !strings.HasSuffix(d.Message, d.Remedy) {
			t.Fatalf("%s: remedy %q is not the end of the message", stage, d.Remedy)
		}
		at := strings.Index(d.Message, d.Remedy)
		if at < 0 || at > 1500 {
			t.Errorf("%s: remedy starts at byte %d of the message, want within 1,500", stage, at)
		}
		if !strings.Contains(d.Message, "[truncated: ") {
			t.Errorf("%s: the cut is not marked: %.200q", stage, d.Message)
		}
		if d.Error != long {
			t.Errorf("%s: error is %d bytes, want the provider's %d", stage, len(d.Error), len(long))
		}
	}
}

func TestDisabledEventCarriesItsRemedy(t *testing.T) {
	o := issueOutcome("NetSuite", providerFailure(subjects.StagePerform, 502, "", ""))
	next, tr := processor.ApplyOutcome(subjects.FailureCounter{ConsecutiveFailures: 19}, o, 1, policy.After(20).Top())
	eff := processor.BuildEffects(&next, o, tr)
	if len(eff.Events) != 2 {
		t.Fatalf("%d events", len(eff.Events))
	}
	d := eff.Events[1].Data
	if d.Remedy != processor.DisabledRemedy || !strings.HasSuffix(d.Message, d.Remedy) {
		t.Errorf("disabled event remedy %q, message %q", d.Remedy, d.Message)
	}
	if !strings.Contains(d.Message, "The last failure had no error message.") || strings.Contains(d.Message, "..") {
		t.Errorf("disabled message %q", d.Message)
	}
	next.LastError = "Invalid login attempt."
	if m := processor.DisabledMessage(&next, "NetSuite", tr.Fired); !strings.Contains(m, "The last error was: Invalid login attempt. Fix the cause") {
		t.Errorf("disabled message %q", m)
	}
}
