package processor_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// sdkEncode is how the CloudEvents SDK renders an event.
func sdkEncode(t *testing.T, id, typ, subject string, at time.Time, data any) []byte {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource(subjects.EventSource)
	e.SetType(typ)
	if subject != "" {
		e.SetSubject(subject)
	}
	e.SetTime(at.UTC())
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeCloudEventMatchesTheSDK(t *testing.T) {
	london := time.FixedZone("BST", 3600)
	cases := []struct {
		name, id, typ, subject string
		at                     time.Time
		data                   any
	}{
		{"whole second", "ev-1", "integration.perform.error", "int-1", time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), map[string]any{"a": 1}},
		{"fraction and zone", "ev-2", "integration.disabled.error", "int-2", time.Date(2026, 11, 25, 12, 0, 0, 123400000, london), map[string]any{"html": "<b>&</b>", "u": "ünïcode\u2028"}},
		{"no subject", "ev-3", subjects.ActionedType, "", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), []int{1, 2}},
		{"quotes in strings", `ev-"4"`, "t\\ype", "int \"q\"", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), subjects.EventData{EventName: "integration.validation.error", Message: "a \"quoted\" <tag>"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := processor.EncodeCloudEvent(c.id, c.typ, c.subject, c.at, c.data)
			if err != nil {
				t.Fatal(err)
			}
			if want := sdkEncode(t, c.id, c.typ, c.subject, c.at, c.data); !bytes.Equal(got, want) {
				t.Fatalf("encoded\n%s\nthe SDK encodes\n%s", got, want)
			}
		})
	}
	if _, err := processor.EncodeCloudEvent("", "t", "s", time.Now(), 1); err == nil {
		t.Fatal("an event without id encoded")
	}
}

func BenchmarkEncodeCloudEvent(b *testing.B) {
	data := subjects.EventData{EventName: "integration.perform.error", IntegrationID: "int-1", RunID: "run-1", Message: "Salesforce rejected the request with 500."}
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := processor.EncodeCloudEvent("ev-1", data.EventName, "int-1", at, data); err != nil {
			b.Fatal(err)
		}
	}
}
