package processor

import (
	"net/http"

	"github.com/integration-events/integration-events/subjects"
)

// Rule is one row of the classification table.
type Rule struct {
	Stage subjects.Stage
	// HTTPStatus, when non-zero, narrows the rule to failures whose HTTP
	// response had this status.
	HTTPStatus int
	Kind       subjects.Kind
}

// Classification is the table that maps a failed run to the kind of event it
// raises. The first matching row wins, so narrower rows come first.
var Classification = []Rule{
	{Stage: subjects.StageValidate, Kind: subjects.KindValidation},
	{Stage: subjects.StageMap, Kind: subjects.KindMissingAccountMapping},
	{Stage: subjects.StageAuthenticate, Kind: subjects.KindAuthentication},
	{Stage: subjects.StagePerform, HTTPStatus: http.StatusUnauthorized, Kind: subjects.KindAuthentication},
	{Stage: subjects.StagePerform, Kind: subjects.KindPerform},
}

// Classify returns the kind of event a failure raises. A validated failure
// always matches a row; ok is false only for a stage outside the contract.
func Classify(f *subjects.Failure) (kind subjects.Kind, ok bool) {
	status := 0
	if f.HTTP != nil && f.HTTP.Response != nil {
		status = f.HTTP.Response.Status
	}
	for _, r := range Classification {
		if r.Stage == f.Stage && (r.HTTPStatus == 0 || r.HTTPStatus == status) {
			return r.Kind, true
		}
	}
	return "", false
}
