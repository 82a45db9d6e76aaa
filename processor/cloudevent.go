package processor

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/integration-events/integration-events/subjects"
)

// EncodeCloudEvent renders a CloudEvents 1.0 event in structured JSON mode.
// subject is the integration id, so consumers can filter without reading data.
func EncodeCloudEvent(id, eventType, subject string, t time.Time, data any) ([]byte, error) {
	e := event.New()
	e.SetID(id)
	e.SetSource(subjects.EventSource)
	e.SetType(eventType)
	e.SetSubject(subject)
	e.SetTime(t.UTC())
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return nil, fmt.Errorf("cloudevent %s data: %w", id, err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("cloudevent %s: %w", id, err)
	}
	return json.Marshal(e)
}
