package test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/integration-events/integration-events/subjects"
)

// BadInput is one hand-written message that breaks the RunOutcome contract:
// the processor must dead-letter it with a reason containing Reason, and
// change nothing else.
type BadInput struct {
	// Name says what is wrong with it; names are unique.
	Name string
	// Subject is where it is published: the run subject of the integration
	// BadOutcomes was given, except for the bad-subject cases.
	Subject string
	Data    []byte
	// Reason is a substring of the dead-letter reason, as
	// subjects.DecodeOutcome (or, for a bad subject, subjects.IntegrationFrom)
	// words it.
	Reason string
}

// field is one "key": value pair of a hand-written JSON object, the value as
// raw JSON text (which may well be invalid: that is the point).
type field struct{ key, raw string }

// rawObject is a hand-written JSON object whose fields keep their order.
type rawObject []field

// set returns a copy of o with key's value replaced by raw, or appended.
func (o rawObject) set(key, raw string) rawObject {
	out := append(rawObject(nil), o...)
	for i, f := range out {
		if f.key == key {
			out[i].raw = raw
			return out
		}
	}
	return append(out, field{key, raw})
}

// without returns a copy of o without key.
func (o rawObject) without(key string) rawObject {
	var out rawObject
	for _, f := range o {
		if f.key != key {
			out = append(out, f)
		}
	}
	return out
}

func (o rawObject) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(f.key))
		b.WriteByte(':')
		b.WriteString(f.raw)
	}
	b.WriteByte('}')
	return b.String()
}

func (o rawObject) bytes() []byte { return []byte(o.String()) }

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// exchange is a failure's HTTP exchange with the given request headers and
// response status, both raw JSON.
func exchange(headers, status string) string {
	return `{"request":{"method":"POST",` +
		`"url":"https://acme.my.salesforce.com/services/data/v60.0/sobjects/Invoice__c?access_token=sekret-q",` +
		`"headers":` + headers + `,"body":{"Name":"bill-1003","Amount__c":420.5}},` +
		`"response":{"status":` + status + `,"body":[{"errorCode":"REQUIRED_FIELD_MISSING"}]}}`
}

const goodHeaders = `{"Authorization":"Bearer sekret-bearer","Content-Type":"application/json"}`

// BadOutcomes returns hand-written bad inputs for integrationID (a valid id
// token): broken JSON, wrong types, huge values, deep nesting, non-numbers,
// invalid UTF-8, contract violations and bad subjects. Each is rejected
// before it can touch a counter.
func BadOutcomes(integrationID string) []BadInput {
	subject := subjects.Default().Run(integrationID)
	failure := rawObject{
		{"stage", `"perform"`},
		{"message", `"REQUIRED_FIELD_MISSING: Required fields are missing: [Account__c]"`},
		{"http", exchange(goodHeaders, "400")},
	}
	outcomeWith := func(f rawObject) rawObject {
		return rawObject{
			{"runId", `"bad-run-1"`},
			{"integrationId", jsonString(integrationID)},
			{"destination", `"Salesforce"`},
			{"entityType", `"Bill"`},
			{"entityId", `"bill-1003"`},
			{"status", `"failed"`},
			{"startedAt", `"2026-11-25T10:14:58Z"`},
			{"finishedAt", `"2026-11-25T10:15:02Z"`},
			{"failure", f.String()},
			{"log", `[{"time":"2026-11-25T10:15:01Z","step":"PERFORM","level":"ERROR","message":"POST Invoice__c returned 400"}]`},
		}
	}
	valid := outcomeWith(failure)
	validBytes := valid.bytes()
	succeeded := valid.set("status", `"succeeded"`).without("failure")
	withFailure := func(key, raw string) rawObject { return outcomeWith(failure.set(key, raw)) }
	withStatus := func(raw string) rawObject { return withFailure("http", exchange(goodHeaders, raw)) }
	cut := func(n int) []byte { return validBytes[:n] }
	concat := func(parts ...string) []byte { return []byte(strings.Join(parts, "")) }

	// A payload of exactly 2 MiB: a valid outcome padded by a long log line.
	pad := (2 << 20) - len(valid.set("log", `[{"message":""}]`).bytes())
	twoMiB := valid.set("log", `[{"message":"`+strings.Repeat("x", pad)+`"}]`).bytes()
	// A failure message of 1.1 MiB: over the limit by the message alone.
	bigMessage := withFailure("message", `"`+strings.Repeat("m", 11<<20/10)+`"`).bytes()
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepObject := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	longID := strings.Repeat("x", subjects.MaxIntegrationIDLen+1)

	in := []BadInput{
		// Not JSON at all, or not an object.
		{Name: "empty payload", Data: []byte{}, Reason: "payload is empty"},
		{Name: "whitespace only", Data: []byte(" \n\t\r "), Reason: "payload is empty"},
		{Name: "plain text", Data: []byte("not json"), Reason: "invalid character 'o' in literal null (expecting 'u') at byte 2"},
		{Name: "JSON null", Data: []byte("null"), Reason: "runId is required"},
		{Name: "empty object", Data: []byte("{}"), Reason: "runId is required"},
		{Name: "JSON array", Data: []byte(`[` + valid.String() + `]`), Reason: "expected subjects.RunOutcome, got array"},
		{Name: "JSON string", Data: []byte(`"run-1"`), Reason: "expected subjects.RunOutcome, got string"},
		{Name: "JSON number", Data: []byte(`42`), Reason: "expected subjects.RunOutcome, got number"},
		{Name: "JSON boolean", Data: []byte(`true`), Reason: "expected subjects.RunOutcome, got bool"},

		// Truncated at several points.
		{Name: "truncated after the brace", Data: []byte(`{`), Reason: "unexpected end of JSON"},
		{Name: "truncated in a key", Data: cut(4), Reason: "unexpected end of JSON"},
		{Name: "truncated after a colon", Data: cut(len(`{"runId":`)), Reason: "unexpected end of JSON"},
		{Name: "truncated in a string value", Data: cut(len(`{"runId":"bad-r`)), Reason: "unexpected end of JSON"},
		{Name: "truncated in the failure", Data: cut(strings.Index(valid.String(), `"http"`)), Reason: "unexpected end of JSON"},
		{Name: "truncated before the last brace", Data: cut(len(validBytes) - 1), Reason: "unexpected end of JSON"},

		// Not one object: a prefix, a suffix, two objects.
		{Name: "byte order mark", Data: concat("\xef\xbb\xbf", valid.String()), Reason: "invalid character 'ï' looking for beginning of value at byte 1"},
		{Name: "trailing garbage", Data: concat(valid.String(), " trailing"), Reason: "payload has data after the JSON object"},
		{Name: "trailing bracket", Data: concat(valid.String(), "]"), Reason: "payload has data after the JSON object"},
		{Name: "two concatenated objects", Data: concat(valid.String(), valid.String()), Reason: "payload has data after the JSON object"},
		{Name: "two objects on two lines", Data: concat(valid.String(), "\n", succeeded.String(), "\n"), Reason: "payload has data after the JSON object"},

		// Wrong types of required fields.
		{Name: "runId is a number", Data: valid.set("runId", `7`).bytes(), Reason: "field runId must be string, got number"},
		{Name: "integrationId is a boolean", Data: valid.set("integrationId", `true`).bytes(), Reason: "field integrationId must be string, got bool"},
		{Name: "destination is an object", Data: valid.set("destination", `{"name":"Salesforce"}`).bytes(), Reason: "field destination must be string, got object"},
		{Name: "status is a number", Data: valid.set("status", `1`).bytes(), Reason: "field status must be subjects.Status, got number"},
		{Name: "status is an array", Data: valid.set("status", `["failed"]`).bytes(), Reason: "field status must be subjects.Status, got array"},
		{Name: "finishedAt is a number", Data: valid.set("finishedAt", `1764065702`).bytes(), Reason: "finishedAt must be an RFC 3339 time, got 1764065702"},
		{Name: "finishedAt is not RFC 3339", Data: valid.set("finishedAt", `"25/11/2026 10:15"`).bytes(), Reason: `finishedAt must be an RFC 3339 time, got "25/11/2026 10:15"`},
		{Name: "finishedAt has no zone", Data: valid.set("finishedAt", `"2026-11-25T10:15:02"`).bytes(), Reason: `finishedAt must be an RFC 3339 time, got "2026-11-25T10:15:02"`},
		{Name: "startedAt is not RFC 3339", Data: valid.set("startedAt", `"yesterday"`).bytes(), Reason: `startedAt must be an RFC 3339 time, got "yesterday"`},
		{Name: "log time is not RFC 3339", Data: valid.set("log", `[{"time":"2026-11-25T10:15:01Z"},{"time":"10:15"}]`).bytes(), Reason: `log[1].time must be an RFC 3339 time, got "10:15"`},
		{Name: "failure is a string", Data: valid.set("failure", `"it broke"`).bytes(), Reason: "field failure must be subjects.Failure, got string"},
		{Name: "failure stage is a number", Data: withFailure("stage", `3`).bytes(), Reason: "field failure.stage must be subjects.Stage, got number"},
		{Name: "failure message is an array", Data: withFailure("message", `["a","b"]`).bytes(), Reason: "field failure.message must be string, got array"},
		{Name: "log is an object", Data: valid.set("log", `{"message":"x"}`).bytes(), Reason: "field log must be []subjects.LogEntry, got object"},
		{Name: "log entry is a string", Data: valid.set("log", `["POST Invoice__c returned 400"]`).bytes(), Reason: "field log must be subjects.LogEntry, got string"},
		{Name: "entityId is a number", Data: valid.set("entityId", `1003`).bytes(), Reason: "field entityId must be string, got number"},
		{Name: "http is an array", Data: withFailure("http", `[]`).bytes(), Reason: "field failure.http must be subjects.HTTPExchange, got array"},
		{Name: "response status is a string", Data: withStatus(`"400"`).bytes(), Reason: "field failure.http.response.status must be int, got string"},
		{Name: "response status is a fraction", Data: withStatus(`400.5`).bytes(), Reason: "field failure.http.response.status must be int, got number 400.5"},
		{Name: "response status is 1e400", Data: withStatus(`1e400`).bytes(), Reason: "field failure.http.response.status must be int, got number 1e400"},
		{Name: "response status is over int64", Data: withStatus(`92233720368547758070`).bytes(), Reason: "field failure.http.response.status must be int, got number 92233720368547758070"},
		{Name: "response status has 200000 digits", Data: withStatus(strings.Repeat("9", 200000)).bytes(), Reason: "field failure.http.response.status must be int, got number 999"},
		{Name: "headers are an array", Data: withFailure("http", exchange(`["Authorization: Bearer sekret"]`, "400")).bytes(), Reason: "headers must be an object of strings or lists of strings"},
		{Name: "header value is a number", Data: withFailure("http", exchange(`{"Content-Length":42}`, "400")).bytes(), Reason: `header "Content-Length" must be a string or a list of strings`},
		{Name: "header value is an object", Data: withFailure("http", exchange(`{"Authorization":{"bearer":"sekret"}}`, "400")).bytes(), Reason: `header "Authorization" must be a string or a list of strings`},
		{Name: "mapping is a string", Data: outcomeWith(failure.set("stage", `"map"`).set("mapping", `"Account acct-42"`)).bytes(), Reason: "field failure.mapping must be subjects.Mapping, got string"},
		{Name: "mapping id is a number", Data: outcomeWith(failure.set("stage", `"map"`).set("mapping", `{"m3terEntity":"Account","m3terId":42}`)).bytes(), Reason: "field failure.mapping.m3terId must be string, got number"},

		// Numbers JSON does not have.
		{Name: "status NaN", Data: withStatus(`NaN`).bytes(), Reason: "invalid character 'N' looking for beginning of value"},
		{Name: "status Infinity", Data: withStatus(`Infinity`).bytes(), Reason: "invalid character 'I' looking for beginning of value"},
		{Name: "status -Infinity", Data: withStatus(`-Infinity`).bytes(), Reason: "invalid character 'I' in numeric literal"},
		{Name: "status with a plus sign", Data: withStatus(`+400`).bytes(), Reason: "invalid character '+' looking for beginning of value"},
		{Name: "status in hex", Data: withStatus(`0x190`).bytes(), Reason: "invalid character 'x' after object key:value pair"},
		{Name: "status with a leading zero", Data: withStatus(`0400`).bytes(), Reason: "invalid character '4' after object key:value pair"},

		// Deep nesting.
		{Name: "100000 nested arrays in log", Data: valid.set("log", deep).bytes(), Reason: "exceeded max depth"},
		{Name: "20000 nested objects in a request body", Data: withFailure("http", `{"request":{"body":`+deepObject+`}}`).bytes(), Reason: "exceeded max depth"},

		// Huge values.
		{Name: "runId of 300 characters", Data: valid.set("runId", jsonString(strings.Repeat("r", 300))).bytes(), Reason: "runId is 300 characters, over 256"},
		{Name: "failure message of 1.1 MiB", Data: bigMessage, Reason: fmt.Sprintf("payload is %d bytes, over the 1048576 byte limit", len(bigMessage))},
		{Name: "payload of 2 MiB", Data: twoMiB, Reason: "payload is 2097152 bytes, over the 1048576 byte limit"},
		{Name: "unknown status of 100000 characters", Data: valid.set("status", jsonString(strings.Repeat("s", 100000))).bytes(), Reason: `status "ssss`},
		{Name: "finishedAt of 500000 characters hidden by a second finishedAt", Data: valid.set("finishedAt", jsonString(strings.Repeat("9", 500000))+`,"finishedAt":"2026-11-25T10:15:02Z"`).bytes(), Reason: "parsing time"},

		// Not UTF-8, or not JSON text.
		{Name: "invalid UTF-8 in runId", Data: valid.set("runId", "\"bad-\xff-run\"").bytes(), Reason: "payload is not valid UTF-8"},
		{Name: "Latin-1 in the failure message", Data: withFailure("message", "\"caf\xe9 closed\"").bytes(), Reason: "payload is not valid UTF-8"},
		{Name: "overlong encoding in a header name", Data: withFailure("http", exchange("{\"X-\xc0\xafPath\":\"a\"}", "400")).bytes(), Reason: "payload is not valid UTF-8"},
		{Name: "encoded surrogate in destination", Data: valid.set("destination", "\"Sales\xed\xa0\x80force\"").bytes(), Reason: "payload is not valid UTF-8"},
		{Name: "truncated multibyte sequence at the end", Data: concat(valid.String(), "\xe2\x82"), Reason: "payload is not valid UTF-8"},
		{Name: "UTF-16 with a byte order mark", Data: concat("\xff\xfe{\x00}\x00"), Reason: "payload is not valid UTF-8"},
		{Name: "NUL byte in a string", Data: valid.set("runId", "\"bad\x00run\"").bytes(), Reason: `invalid character '\x00' in string literal`},
		{Name: "bad escape in a string", Data: valid.set("runId", `"bad\qrun"`).bytes(), Reason: "invalid character 'q' in string escape code"},
		{Name: "single-quoted strings", Data: []byte(`{'runId':'r1'}`), Reason: `invalid character '\'' looking for beginning of object key string`},

		// Well-formed JSON that breaks the contract.
		{Name: "another integration's id", Data: valid.set("integrationId", `"someone-else"`).bytes(), Reason: fmt.Sprintf(`integrationId "someone-else" does not match the subject's integration %q`, integrationID)},
		{Name: "another integration's id of 100 euro signs", Data: valid.set("integrationId", jsonString(strings.Repeat("€", 100))).bytes(), Reason: `integrationId "€€€`},
		{Name: "unknown status of 20 euro signs", Data: valid.set("status", jsonString(strings.Repeat("€", 20))).bytes(), Reason: `status "€€€`},
		{Name: "unknown stage of 20 euro signs", Data: withFailure("stage", jsonString(strings.Repeat("€", 20))).bytes(), Reason: `failure.stage "€€€`},
		{Name: "header value of a header named with 20 euro signs is a number", Data: withFailure("http", exchange(`{"`+strings.Repeat("€", 20)+`":1}`, "400")).bytes(), Reason: `header "€€€`},
		{Name: "integration id in another case", Data: valid.set("integrationId", jsonString(strings.ToUpper(integrationID)+"X")).bytes(), Reason: "does not match the subject's integration"},
		{Name: "missing integrationId", Data: valid.without("integrationId").bytes(), Reason: "integrationId is required"},
		{Name: "missing runId", Data: valid.without("runId").bytes(), Reason: "runId is required"},
		{Name: "empty runId", Data: valid.set("runId", `""`).bytes(), Reason: "runId is required"},
		{Name: "blank runId", Data: valid.set("runId", `"  \t "`).bytes(), Reason: "runId is required"},
		{Name: "empty destination", Data: valid.set("destination", `""`).bytes(), Reason: "destination is required"},
		{Name: "null destination", Data: valid.set("destination", `null`).bytes(), Reason: "destination is required"},
		{Name: "missing finishedAt", Data: valid.without("finishedAt").bytes(), Reason: "finishedAt is required (RFC 3339)"},
		{Name: "null finishedAt", Data: valid.set("finishedAt", `null`).bytes(), Reason: "finishedAt is required (RFC 3339)"},
		{Name: "missing status", Data: valid.without("status").bytes(), Reason: "status is required: succeeded or failed"},
		{Name: "unknown status", Data: valid.set("status", `"exploded"`).bytes(), Reason: `status "exploded" is unknown: want succeeded or failed`},
		{Name: "status in capitals", Data: valid.set("status", `"FAILED"`).bytes(), Reason: `status "FAILED" is unknown`},
		{Name: "failed without a failure", Data: valid.without("failure").bytes(), Reason: "failure is required when status is failed"},
		{Name: "failed with a null failure", Data: valid.set("failure", `null`).bytes(), Reason: "failure is required when status is failed"},
		{Name: "succeeded with a failure", Data: valid.set("status", `"succeeded"`).bytes(), Reason: "status is succeeded but a failure is given"},
		{Name: "duplicate status key, the last one succeeded", Data: valid.set("status", `"failed","status":"succeeded"`).bytes(), Reason: "status is succeeded but a failure is given"},
		{Name: "unknown stage", Data: withFailure("stage", `"deploy"`).bytes(), Reason: `failure.stage "deploy" is unknown: want validate, map, authenticate or perform`},
		{Name: "missing stage", Data: outcomeWith(failure.without("stage")).bytes(), Reason: "failure.stage is required: validate, map, authenticate or perform"},
		{Name: "failure message is a number", Data: withFailure("message", `502`).bytes(), Reason: "field failure.message must be string, got number"},
		{Name: "empty failure", Data: valid.set("failure", `{}`).bytes(), Reason: "failure.stage is required"},

		// Subjects that are not integrations.runs.<one valid id>.
		{Name: "subject with two id tokens", Subject: subjects.Default().RunsPrefix() + "a.b", Data: validBytes, Reason: `integration id "a.b" has '.' at position 1`},
		{Name: "subject with a bad id character", Subject: subjects.Default().RunsPrefix() + "bad$id", Data: validBytes, Reason: `integration id "bad$id" has '$' at position 3`},
		{Name: "subject with a non-ASCII id", Subject: subjects.Default().RunsPrefix() + "intégration-ä", Data: validBytes, Reason: `integration id "intégration-ä" has 'é' at position 3`},
		{Name: "subject with an emoji in its id", Subject: subjects.Default().RunsPrefix() + "run-🚀", Data: validBytes, Reason: `integration id "run-🚀" has '🚀' at position 4`},
		{Name: "subject with an id of 129 characters", Subject: subjects.Default().RunsPrefix() + longID, Data: validBytes, Reason: "integration id is 129 characters, over 128"},
	}
	for i := range in {
		if in[i].Subject == "" {
			in[i].Subject = subject
		}
	}
	return in
}
