package workload

import (
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// Succeeded is a succeeded run of integration.
func Succeeded(integration, runID string) subjects.RunOutcome {
	return subjects.RunOutcome{
		RunID: runID, IntegrationID: integration, Destination: "Salesforce", EntityType: "Bill", EntityID: "bill-" + runID,
		Status: subjects.StatusSucceeded, FinishedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	}
}

// Failed is a run of integration that failed at stage; a perform failure
// carries an HTTP exchange answered with status (0: none).
func Failed(integration, runID string, stage subjects.Stage, status int) subjects.RunOutcome {
	o := Succeeded(integration, runID)
	o.Status = subjects.StatusFailed
	o.Failure = &subjects.Failure{Stage: stage, Message: string(stage) + " failed for " + runID}
	switch stage {
	case subjects.StageMap:
		o.Failure.Mapping = &subjects.Mapping{M3terEntity: "Account", M3terID: "acct-" + runID, ExternalSystem: "Salesforce", ExternalTable: "Account"}
	case subjects.StagePerform:
		if status != 0 {
			o.Failure.HTTP = &subjects.HTTPExchange{
				Request: &subjects.HTTPRequest{Method: "POST", URL: "https://acme.my.salesforce.com/services/data/v60.0/sobjects/Invoice__c?access_token=sekret-q",
					Headers: subjects.Headers{"Authorization": {"Bearer sekret-bearer"}, "Content-Type": {"application/json"}},
					Body:    subjects.Body(`{"Name":"` + runID + `","client_secret":"sekret-body"}`)},
				Response: &subjects.HTTPResponse{Status: status, Headers: subjects.Headers{"Set-Cookie": {"sid=sekret-cookie"}}, Body: `{"error":"rejected"}`},
			}
		}
	}
	return o
}

// WithRunLog returns o as the bench command publishes it: started 1.2 s
// before it finished, with a run log of two entries (about 250 bytes more).
func WithRunLog(o subjects.RunOutcome) subjects.RunOutcome {
	started := o.FinishedAt.Add(-1200 * time.Millisecond)
	finished := o.FinishedAt
	o.StartedAt = &started
	o.Log = []subjects.LogEntry{
		{Time: &started, Step: "extract", Level: "info", Message: "read bill " + o.EntityID + " with 14 line items from the billing ledger"},
		{Time: &finished, Step: "load", Level: "info", Message: "pushed to " + o.Destination + " in 1180 ms"},
	}
	return o
}
