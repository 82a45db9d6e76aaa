package subjects

import "encoding/json"

// RunIDOf returns the runId of outcome data as a JSON decoder reads it,
// without validating the rest, or "" when data is not a JSON object with a
// string runId. It is for reading stored outcomes back by run id; the
// processor decodes an outcome whole (DecodeOutcome) before acting on it.
func RunIDOf(data []byte) string {
	var o struct {
		RunID string `json:"runId"`
	}
	if json.Unmarshal(data, &o) != nil {
		return ""
	}
	return o.RunID
}
