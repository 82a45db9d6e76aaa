package processor

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// EncodeCloudEvent renders a CloudEvents 1.0 event in structured JSON mode,
// byte for byte as the CloudEvents SDK does (a test holds it to that), but
// encoding data once instead of twice. subject is the integration id, so
// consumers can filter without reading data.
func EncodeCloudEvent(id, eventType, subject string, t time.Time, data any) ([]byte, error) {
	if id == "" || eventType == "" {
		return nil, errors.New("cloudevent needs an id and a type")
	}
	d, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("cloudevent %s data: %w", id, err)
	}
	return encodeCloudEvent(id, eventType, subject, t, d), nil
}

// encodeCloudEvent is EncodeCloudEvent with data already encoded as d: the
// event is d plus a fixed envelope for its id, type, subject and time.
func encodeCloudEvent(id, eventType, subject string, t time.Time, d []byte) []byte {
	b := make([]byte, 0, len(d)+256)
	b = append(b, `{"specversion":"1.0","id":`...)
	b = appendString(b, id)
	b = append(b, `,"source":`...)
	b = appendString(b, subjects.EventSource)
	b = append(b, `,"type":`...)
	b = appendString(b, eventType)
	if subject != "" {
		b = append(b, `,"subject":`...)
		b = appendString(b, subject)
	}
	b = append(b, `,"datacontenttype":"application/json","time":"`...)
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	b = append(b, d...)
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
