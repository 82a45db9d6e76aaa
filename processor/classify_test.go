package processor_test

import (
	"fmt"
	"testing"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// failureWith returns a failure at stage whose HTTP response had status, or
// no HTTP exchange at all when status is 0.
func failureWith(stage subjects.Stage, status int) *subjects.Failure {
	f := &subjects.Failure{Stage: stage, Message: "it failed"}
	if status != 0 {
		f.HTTP = &subjects.HTTPExchange{Response: &subjects.HTTPResponse{Status: status}}
	}
	return f
}

func TestClassifyTable(t *testing.T) {
	statuses := []int{0, 200, 400, 401, 403, 404, 429, 500}
	// want[stage][status]; status 0 means no HTTP exchange.
	want := map[subjects.Stage]map[int]subjects.Kind{}
	for _, st := range statuses {
		for stage, kind := range map[subjects.Stage]subjects.Kind{
			subjects.StageValidate:     subjects.KindValidation,
			subjects.StageMap:          subjects.KindMissingAccountMapping,
			subjects.StageAuthenticate: subjects.KindAuthentication,
			subjects.StagePerform:      subjects.KindPerform,
		} {
			if want[stage] == nil {
				want[stage] = map[int]subjects.Kind{}
			}
			want[stage][st] = kind
		}
	}
	// The one HTTP-narrowed row: a 401 while performing is a credentials problem.
	want[subjects.StagePerform][401] = subjects.KindAuthentication

	if len(want) != len(subjects.Stages) {
		t.Fatalf("table covers %d stages, the contract has %d", len(want), len(subjects.Stages))
	}
	n := 0
	for _, stage := range subjects.Stages {
		for _, status := range statuses {
			name := fmt.Sprintf("%s/%d", stage, status)
			if status == 0 {
				name = string(stage) + "/none"
			}
			t.Run(name, func(t *testing.T) {
				kind, ok := processor.Classify(failureWith(stage, status))
				if !ok {
					t.Fatalf("no row matched")
				}
				if kind != want[stage][status] {
					t.Errorf("got %q, want %q", kind, want[stage][status])
				}
			})
			n++
		}
	}
	if n != 4*8 {
		t.Errorf("ran %d cases, want 32", n)
	}
}

func TestClassifyExplicitRows(t *testing.T) {
	tests := []struct {
		stage  subjects.Stage
		status int
		want   subjects.Kind
	}{
		{subjects.StagePerform, 401, subjects.KindAuthentication},
		{subjects.StagePerform, 403, subjects.KindPerform},
		{subjects.StagePerform, 500, subjects.KindPerform},
		{subjects.StagePerform, 0, subjects.KindPerform},
		{subjects.StageAuthenticate, 0, subjects.KindAuthentication},
		{subjects.StageAuthenticate, 200, subjects.KindAuthentication},
		{subjects.StageAuthenticate, 500, subjects.KindAuthentication},
		{subjects.StageValidate, 401, subjects.KindValidation},
		{subjects.StageMap, 401, subjects.KindMissingAccountMapping},
		{subjects.StageMap, 404, subjects.KindMissingAccountMapping},
	}
	for _, tt := range tests {
		if got, ok := processor.Classify(failureWith(tt.stage, tt.status)); !ok || got != tt.want {
			t.Errorf("Classify(%s, %d) = %q, %v; want %q", tt.stage, tt.status, got, ok, tt.want)
		}
	}
}

func TestClassifyHTTPShapes(t *testing.T) {
	// A request without a response, or an exchange without either, is "no status".
	for _, h := range []*subjects.HTTPExchange{
		{},
		{Request: &subjects.HTTPRequest{Method: "POST"}},
		{Response: &subjects.HTTPResponse{}},
	} {
		f := &subjects.Failure{Stage: subjects.StagePerform, Message: "x", HTTP: h}
		if got, ok := processor.Classify(f); !ok || got != subjects.KindPerform {
			t.Errorf("Classify(perform, %+v) = %q, %v", h, got, ok)
		}
	}
	// The 401 row looks at the response, not the request.
	f := &subjects.Failure{Stage: subjects.StagePerform, Message: "x", HTTP: &subjects.HTTPExchange{
		Request:  &subjects.HTTPRequest{Method: "POST", Headers: subjects.Headers{"Status": {"401"}}},
		Response: &subjects.HTTPResponse{Status: 401},
	}}
	if got, _ := processor.Classify(f); got != subjects.KindAuthentication {
		t.Errorf("perform with response 401: got %q", got)
	}
}

func TestClassifyUnknownStage(t *testing.T) {
	for _, stage := range []subjects.Stage{"", "deploy", "Perform", "PERFORM"} {
		for _, status := range []int{0, 401} {
			if kind, ok := processor.Classify(failureWith(stage, status)); ok || kind != "" {
				t.Errorf("Classify(%q, %d) = %q, %v; want no match", stage, status, kind, ok)
			}
		}
	}
}

func TestClassificationTableShape(t *testing.T) {
	// Every kind except disabled is reachable, and every row names a contract stage.
	reached := map[subjects.Kind]bool{}
	stages := map[subjects.Stage]bool{}
	for _, s := range subjects.Stages {
		stages[s] = true
	}
	for i, r := range processor.Classification {
		if !stages[r.Stage] {
			t.Errorf("row %d: stage %q outside the contract", i, r.Stage)
		}
		if r.Kind == subjects.KindDisabled {
			t.Errorf("row %d: a failure never classifies as disabled", i)
		}
		reached[r.Kind] = true
	}
	for _, k := range subjects.Kinds {
		if k != subjects.KindDisabled && !reached[k] {
			t.Errorf("kind %s is never raised", k)
		}
	}
	// A narrower row must come before the catch-all of its stage, or it never matches.
	catchAll := map[subjects.Stage]int{}
	for i, r := range processor.Classification {
		if r.HTTPStatus == 0 {
			if _, seen := catchAll[r.Stage]; !seen {
				catchAll[r.Stage] = i
			}
			continue
		}
		if j, seen := catchAll[r.Stage]; seen {
			t.Errorf("row %d (%s %d) is shadowed by catch-all row %d", i, r.Stage, r.HTTPStatus, j)
		}
	}
}
