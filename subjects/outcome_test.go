package subjects_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

const testIntegration = "int-42"

// outcomeJSON returns a valid failed outcome of testIntegration as a generic
// JSON object, for tests to break one field at a time.
func outcomeJSON() map[string]any {
	return map[string]any{
		"runId":         "run-1",
		"integrationId": testIntegration,
		"destination":   "Salesforce",
		"entityType":    "Account",
		"entityId":      "acc-7",
		"status":        "failed",
		"startedAt":     "2024-05-01T10:00:00Z",
		"finishedAt":    "2024-05-01T10:00:05.5+02:00",
		"failure": map[string]any{
			"stage":   "perform",
			"message": "Salesforce returned 500",
			"http": map[string]any{
				"request": map[string]any{
					"method":  "POST",
					"url":     "https://example.my.salesforce.com/services/data/v59.0/sobjects/Account",
					"headers": map[string]any{"Content-Type": "application/json"},
					"body":    `{"Name":"Acme"}`,
				},
				"response": map[string]any{
					"status":  500,
					"headers": map[string]any{"Content-Type": []any{"application/json"}},
					"body":    "internal error",
				},
			},
		},
		"log": []any{
			map[string]any{"time": "2024-05-01T10:00:01Z", "step": "perform", "level": "error", "message": "POST failed"},
		},
	}
}

func succeededJSON() map[string]any {
	o := outcomeJSON()
	o["status"] = "succeeded"
	delete(o, "failure")
	return o
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func failure(o map[string]any) map[string]any { return o["failure"].(map[string]any) }

func TestDecodeOutcomeValidFailed(t *testing.T) {
	o, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, outcomeJSON()))
	if err != nil {
		t.Fatalf("DecodeOutcome: %v", err)
	}
	if o.RunID != "run-1" || o.IntegrationID != testIntegration || o.Destination != "Salesforce" {
		t.Errorf("ids: got runId=%q integrationId=%q destination=%q", o.RunID, o.IntegrationID, o.Destination)
	}
	if o.EntityType != "Account" || o.EntityID != "acc-7" {
		t.Errorf("entity: got %q %q", o.EntityType, o.EntityID)
	}
	if o.Status != subjects.StatusFailed {
		t.Errorf("status: got %q", o.Status)
	}
	wantFinished := time.Date(2024, 5, 1, 8, 0, 5, 500_000_000, time.UTC)
	if !o.FinishedAt.Equal(wantFinished) {
		t.Errorf("finishedAt: got %v, want %v", o.FinishedAt, wantFinished)
	}
	if o.StartedAt == nil || !o.StartedAt.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("startedAt: got %v", o.StartedAt)
	}
	if o.Failure == nil {
		t.Fatal("failure is nil")
	}
	if o.Failure.Stage != subjects.StagePerform || o.Failure.Message != "Salesforce returned 500" {
		t.Errorf("failure: got %+v", o.Failure)
	}
	h := o.Failure.HTTP
	if h == nil || h.Request == nil || h.Response == nil {
		t.Fatalf("http: got %+v", h)
	}
	if h.Request.Method != "POST" || h.Response.Status != 500 {
		t.Errorf("http: method %q status %d", h.Request.Method, h.Response.Status)
	}
	if got := h.Request.Body; got != `{"Name":"Acme"}` {
		t.Errorf("request body: got %q", got)
	}
	if got := h.Response.Body; got != "internal error" {
		t.Errorf("response body: got %q", got)
	}
	if len(o.Log) != 1 || o.Log[0].Message != "POST failed" || o.Log[0].Time == nil {
		t.Errorf("log: got %+v", o.Log)
	}
}

func TestDecodeOutcomeValidSucceeded(t *testing.T) {
	o, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, succeededJSON()))
	if err != nil {
		t.Fatalf("DecodeOutcome: %v", err)
	}
	if o.Status != subjects.StatusSucceeded || o.Failure != nil {
		t.Errorf("got status %q failure %+v", o.Status, o.Failure)
	}
	// A minimal success, with only the required fields, also decodes.
	minimal := `{"runId":"r","integrationId":"int-42","destination":"xero","status":"succeeded","finishedAt":"2024-01-01T00:00:00Z"}`
	if _, err := subjects.DecodeOutcome(testIntegration, []byte(minimal)); err != nil {
		t.Errorf("minimal success: %v", err)
	}
	// Surrounding whitespace is not trailing data.
	if _, err := subjects.DecodeOutcome(testIntegration, []byte("\n\t "+minimal+" \r\n")); err != nil {
		t.Errorf("whitespace around payload: %v", err)
	}
	// An explicit null failure on a success is no failure.
	s := succeededJSON()
	s["failure"] = nil
	if _, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, s)); err != nil {
		t.Errorf("succeeded with failure null: %v", err)
	}
}

func TestDecodeOutcomeEveryStage(t *testing.T) {
	for _, st := range subjects.Stages {
		o := outcomeJSON()
		failure(o)["stage"] = string(st)
		got, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, o))
		if err != nil {
			t.Errorf("stage %s: %v", st, err)
			continue
		}
		if got.Failure.Stage != st {
			t.Errorf("stage %s: decoded %q", st, got.Failure.Stage)
		}
	}
}

func TestDecodeOutcomeBadInput(t *testing.T) {
	valid := string(mustJSON(t, outcomeJSON()))
	with := func(f func(o map[string]any)) string {
		o := outcomeJSON()
		f(o)
		return string(mustJSON(t, o))
	}
	withSucceeded := func(f func(o map[string]any)) string {
		o := succeededJSON()
		f(o)
		return string(mustJSON(t, o))
	}
	invalidUTF8 := []byte(valid)
	i := bytes.Index(invalidUTF8, []byte("Salesforce returned"))
	invalidUTF8[i] = 0xff

	tooBig := make([]byte, subjects.MaxOutcomeBytes+1)
	for i := range tooBig {
		tooBig[i] = ' '
	}
	copy(tooBig, valid)

	tests := []struct {
		name string
		data string
		want string // substring of the error message
	}{
		{"not JSON", "this is not json", "not a valid RunOutcome JSON object: invalid character 'h'"},
		{"truncated JSON", valid[:len(valid)/2], "unexpected end of JSON"},
		{"truncated after brace", `{`, "unexpected end of JSON"},
		{"empty payload", "", "payload is empty"},
		{"whitespace payload", " \n\t ", "payload is empty"},
		{"array instead of object", `[` + valid + `]`, "expected subjects.RunOutcome, got array"},
		{"string instead of object", `"run"`, "expected subjects.RunOutcome, got string"},
		{"null payload", `null`, "runId is required"},
		{"trailing object", valid + ` {}`, "payload has data after the JSON object"},
		{"trailing garbage", valid + `x`, "payload has data after the JSON object"},
		{"trailing bracket", valid + `]`, "payload has data after the JSON object"},
		{"trailing brace", valid + "\n}", "payload has data after the JSON object"},
		{"runId a number", with(func(o map[string]any) { o["runId"] = 12 }), "field runId must be string, got number"},
		{"status a number", with(func(o map[string]any) { o["status"] = 1 }), "field status must be subjects.Status, got number"},
		{"http status a string", with(func(o map[string]any) {
			failure(o)["http"].(map[string]any)["response"].(map[string]any)["status"] = "500"
		}), "field failure.http.response.status must be int, got string"},
		{"headers a number", with(func(o map[string]any) {
			failure(o)["http"].(map[string]any)["request"].(map[string]any)["headers"] = 5
		}), "headers must be an object of strings or lists of strings"},
		{"header value a number list", with(func(o map[string]any) {
			failure(o)["http"].(map[string]any)["request"].(map[string]any)["headers"] = map[string]any{"X-Count": []any{1}}
		}), `header "X-Count" must be a string or a list of strings`},
		{"missing runId", with(func(o map[string]any) { delete(o, "runId") }), "runId is required"},
		{"blank runId", with(func(o map[string]any) { o["runId"] = "   " }), "runId is required"},
		{"runId over 256", with(func(o map[string]any) { o["runId"] = strings.Repeat("r", 257) }), "runId is 257 characters, over 256"},
		{"missing integrationId", with(func(o map[string]any) { delete(o, "integrationId") }), "integrationId is required"},
		{"integrationId differs from subject", with(func(o map[string]any) { o["integrationId"] = "other" }), `integrationId "other" does not match the subject's integration "int-42"`},
		{"integrationId differs in case", with(func(o map[string]any) { o["integrationId"] = "INT-42" }), `integrationId "INT-42" does not match`},
		{"missing destination", with(func(o map[string]any) { delete(o, "destination") }), "destination is required"},
		{"blank destination", with(func(o map[string]any) { o["destination"] = " " }), "destination is required"},
		{"missing finishedAt", with(func(o map[string]any) { delete(o, "finishedAt") }), "finishedAt is required (RFC 3339)"},
		{"null finishedAt", with(func(o map[string]any) { o["finishedAt"] = nil }), "finishedAt is required (RFC 3339)"},
		{"finishedAt not RFC 3339", with(func(o map[string]any) { o["finishedAt"] = "2024-05-01 10:00:00" }), `finishedAt must be an RFC 3339 time, got "2024-05-01 10:00:00"`},
		{"finishedAt a date only", with(func(o map[string]any) { o["finishedAt"] = "2024-05-01" }), `finishedAt must be an RFC 3339 time, got "2024-05-01"`},
		{"finishedAt a number", with(func(o map[string]any) { o["finishedAt"] = 1714557605 }), "finishedAt must be an RFC 3339 time, got 1714557605"},
		{"startedAt not RFC 3339", with(func(o map[string]any) { o["startedAt"] = "yesterday" }), `startedAt must be an RFC 3339 time, got "yesterday"`},
		{"log time not RFC 3339", with(func(o map[string]any) {
			o["log"] = []any{map[string]any{"message": "ok"}, map[string]any{"time": "noon"}}
		}), `log[1].time must be an RFC 3339 time, got "noon"`},
		{"missing status", with(func(o map[string]any) { delete(o, "status") }), "status is required: succeeded or failed"},
		{"unknown status", with(func(o map[string]any) { o["status"] = "crashed" }), `status "crashed" is unknown: want succeeded or failed`},
		{"status in wrong case", with(func(o map[string]any) { o["status"] = "FAILED" }), `status "FAILED" is unknown`},
		{"failed without failure", with(func(o map[string]any) { delete(o, "failure") }), "failure is required when status is failed"},
		{"succeeded with failure", withSucceeded(func(o map[string]any) {
			o["failure"] = map[string]any{"stage": "perform", "message": "x"}
		}), "status is succeeded but a failure is given"},
		{"unknown stage", with(func(o map[string]any) { failure(o)["stage"] = "deploy" }), `failure.stage "deploy" is unknown: want validate, map, authenticate or perform`},
		{"missing stage", with(func(o map[string]any) { delete(failure(o), "stage") }), "failure.stage is required: validate, map, authenticate or perform"},
		{"failure.message a number", with(func(o map[string]any) { failure(o)["message"] = 502 }), "field failure.message must be string, got number"},
		{"payload over 1 MiB", string(tooBig), "payload is 1048577 bytes, over the 1048576 byte limit"},
		{"invalid UTF-8", string(invalidUTF8), "payload is not valid UTF-8"},
		{"deep nesting", `{"runId":"r","extra":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, "exceeded max depth"},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d bad inputs", len(tests))
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate case %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			o, err := subjects.DecodeOutcome(testIntegration, []byte(tt.data))
			if err == nil {
				t.Fatalf("no error; decoded %+v", o)
			}
			if !errors.Is(err, subjects.ErrBadInput) {
				t.Errorf("error %q does not wrap ErrBadInput", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !reflect.DeepEqual(o, subjects.RunOutcome{}) {
				t.Errorf("a rejected outcome is returned non-zero: %+v", o)
			}
		})
	}
}

func TestDecodeOutcomeSizeLimit(t *testing.T) {
	// Exactly MaxOutcomeBytes is accepted: the limit is inclusive.
	valid := mustJSON(t, outcomeJSON())
	data := make([]byte, subjects.MaxOutcomeBytes)
	copy(data, valid)
	for i := len(valid); i < len(data); i++ {
		data[i] = ' '
	}
	if _, err := subjects.DecodeOutcome(testIntegration, data); err != nil {
		t.Errorf("payload of exactly %d bytes: %v", subjects.MaxOutcomeBytes, err)
	}
}

func TestDecodeOutcomeRunIDLength(t *testing.T) {
	o := outcomeJSON()
	o["runId"] = strings.Repeat("r", 256)
	got, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, o))
	if err != nil {
		t.Fatalf("runId of 256 characters: %v", err)
	}
	if len(got.RunID) != 256 {
		t.Errorf("runId length %d", len(got.RunID))
	}
}

func TestDecodeOutcomeHeaders(t *testing.T) {
	o := outcomeJSON()
	failure(o)["http"].(map[string]any)["request"].(map[string]any)["headers"] = map[string]any{
		"Content-Type": "application/json",
		"Accept":       []any{"application/json", "text/plain"},
		"X-Empty":      []any{},
	}
	got, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, o))
	if err != nil {
		t.Fatalf("DecodeOutcome: %v", err)
	}
	want := subjects.Headers{
		"Content-Type": {"application/json"},
		"Accept":       {"application/json", "text/plain"},
		"X-Empty":      {},
	}
	if h := got.Failure.HTTP.Request.Headers; !reflect.DeepEqual(h, want) {
		t.Errorf("headers: got %#v, want %#v", h, want)
	}
}

func TestHeadersUnmarshal(t *testing.T) {
	tests := []struct {
		in   string
		want subjects.Headers
		err  string
	}{
		{`{"A":"1"}`, subjects.Headers{"A": {"1"}}, ""},
		{`{"A":["1","2"],"B":"x"}`, subjects.Headers{"A": {"1", "2"}, "B": {"x"}}, ""},
		{`{}`, subjects.Headers{}, ""},
		{`"A: 1"`, nil, "headers must be an object of strings or lists of strings"},
		{`[["A","1"]]`, nil, "headers must be an object of strings or lists of strings"},
		{`{"A":1}`, nil, `header "A" must be a string or a list of strings`},
		{`{"A":{"b":"c"}}`, nil, `header "A" must be a string or a list of strings`},
	}
	for _, tt := range tests {
		var h subjects.Headers
		err := json.Unmarshal([]byte(tt.in), &h)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(h, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.in, h, tt.want)
		}
	}
}

func TestDecodeOutcomeBodyShapes(t *testing.T) {
	tests := []struct {
		name string
		body any
		want subjects.Body
	}{
		{"string kept as is", `{"a": 1}`, `{"a": 1}`},
		{"plain text", "hello world", "hello world"},
		{"object kept as compact JSON", json.RawMessage(`{ "a" : 1 , "b" : [ true , null ], "c": {"d": "e"} }`), `{"a":1,"b":[true,null],"c":{"d":"e"}}`},
		{"array kept as compact JSON", json.RawMessage(`[ 1, 2 ,3 ]`), `[1,2,3]`},
		{"number", json.RawMessage(`42`), `42`},
		{"boolean", json.RawMessage(`false`), `false`},
		{"null is empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outcomeJSON()
			failure(o)["http"].(map[string]any)["request"].(map[string]any)["body"] = tt.body
			got, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, o))
			if err != nil {
				t.Fatalf("DecodeOutcome: %v", err)
			}
			if b := got.Failure.HTTP.Request.Body; b != tt.want {
				t.Errorf("body: got %q, want %q", b, tt.want)
			}
		})
	}
}

func TestDecodeOutcomeMapping(t *testing.T) {
	o := outcomeJSON()
	failure(o)["stage"] = "map"
	failure(o)["mapping"] = map[string]any{"m3terEntity": "Account", "m3terId": "a-1", "externalSystem": "NetSuite", "externalTable": "customer"}
	got, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, o))
	if err != nil {
		t.Fatalf("DecodeOutcome: %v", err)
	}
	want := &subjects.Mapping{M3terEntity: "Account", M3terID: "a-1", ExternalSystem: "NetSuite", ExternalTable: "customer"}
	if !reflect.DeepEqual(got.Failure.Mapping, want) {
		t.Errorf("mapping: got %+v, want %+v", got.Failure.Mapping, want)
	}
}

// A runner sends no failure.message when the provider said nothing, as a 502
// with an empty body: the outcome is accepted, at every stage, with or
// without an HTTP exchange.
func TestDecodeOutcomeEmptyFailureMessage(t *testing.T) {
	for _, st := range subjects.Stages {
		for name, set := range map[string]func(f map[string]any){
			"empty":   func(f map[string]any) { f["message"] = "" },
			"blank":   func(f map[string]any) { f["message"] = " \t\n" },
			"missing": func(f map[string]any) { delete(f, "message") },
			"null":    func(f map[string]any) { f["message"] = nil },
			"no http": func(f map[string]any) { delete(f, "message"); delete(f, "http") },
		} {
			o := outcomeJSON()
			failure(o)["stage"] = string(st)
			set(failure(o))
			got, err := subjects.DecodeOutcome(testIntegration, mustJSON(t, o))
			if err != nil {
				t.Errorf("%s, %s message: %v", st, name, err)
				continue
			}
			if got.Failure == nil || got.Failure.Stage != st || strings.TrimSpace(got.Failure.Message) != "" {
				t.Errorf("%s, %s message: decoded %+v", st, name, got.Failure)
			}
		}
	}
}

func TestValidateDirect(t *testing.T) {
	ok := subjects.RunOutcome{RunID: "r", IntegrationID: "i", Destination: "d", Status: subjects.StatusSucceeded, FinishedAt: time.Unix(1, 0)}
	if err := ok.Validate("i"); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := ok.Validate("j"); !errors.Is(err, subjects.ErrBadInput) {
		t.Errorf("other subject: got %v", err)
	}
}

func TestDecodeEnable(t *testing.T) {
	at := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		data string
		want subjects.EnableCommand
		err  string
	}{
		{"empty payload", "", subjects.EnableCommand{IntegrationID: testIntegration}, ""},
		{"whitespace payload", "  \n", subjects.EnableCommand{IntegrationID: testIntegration}, ""},
		{"empty object", "{}", subjects.EnableCommand{IntegrationID: testIntegration}, ""},
		{"null", "null", subjects.EnableCommand{IntegrationID: testIntegration}, ""},
		{"full", `{"integrationId":"int-42","enabledBy":"ops@example.com","reason":"key rotated","time":"2024-06-01T12:00:00Z"}`,
			subjects.EnableCommand{IntegrationID: testIntegration, EnabledBy: "ops@example.com", Reason: "key rotated", Time: at}, ""},
		{"id omitted", `{"enabledBy":"ops"}`, subjects.EnableCommand{IntegrationID: testIntegration, EnabledBy: "ops"}, ""},
		{"mismatched integrationId", `{"integrationId":"int-43"}`, subjects.EnableCommand{}, `integrationId "int-43" does not match the subject's integration "int-42"`},
		{"not JSON", `enable please`, subjects.EnableCommand{}, "payload is not a valid EnableCommand JSON object"},
		{"wrong type", `{"enabledBy":7}`, subjects.EnableCommand{}, "field enabledBy must be string, got number"},
		{"trailing data", `{"integrationId":"int-42"}]`, subjects.EnableCommand{}, "payload is not a valid EnableCommand JSON object"},
		{"over 1 MiB", `{"reason":"` + strings.Repeat("x", subjects.MaxOutcomeBytes) + `"}`, subjects.EnableCommand{}, "over the 1048576 byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subjects.DecodeEnable(testIntegration, []byte(tt.data))
			if tt.err != "" {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				if !errors.Is(err, subjects.ErrBadInput) {
					t.Errorf("error %q does not wrap ErrBadInput", err)
				}
				if !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %q does not contain %q", err, tt.err)
				}
				if !reflect.DeepEqual(got, subjects.EnableCommand{}) {
					t.Errorf("rejected command is non-zero: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeEnable: %v", err)
			}
			if !got.Time.Equal(tt.want.Time) {
				t.Errorf("time: got %v, want %v", got.Time, tt.want.Time)
			}
			got.Time, tt.want.Time = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
