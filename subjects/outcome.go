package subjects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	// encoding/json's semantics on the engine of encoding/json/v2, for
	// outcomes that decode: the bench's take a third of the time (see
	// BenchmarkDecodeOutcome). Errors still come from encoding/json, whose
	// wording the dead-letter reasons keep.
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// MaxOutcomeBytes is the largest RunOutcome payload accepted (1 MiB).
const MaxOutcomeBytes = 1 << 20

// Status is the result of one integration run.
type Status string

// Run statuses.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// Stage is the step of a run that failed.
type Stage string

// Failure stages, in the order a run goes through them.
const (
	StageValidate     Stage = "validate"
	StageMap          Stage = "map"
	StageAuthenticate Stage = "authenticate"
	StagePerform      Stage = "perform"
)

// Stages lists every stage the contract accepts.
var Stages = []Stage{StageValidate, StageMap, StageAuthenticate, StagePerform}

// RunOutcome is what a runner publishes on Run(integrationId) after each run.
type RunOutcome struct {
	RunID         string     `json:"runId"`
	IntegrationID string     `json:"integrationId"`
	Destination   string     `json:"destination"`
	EntityType    string     `json:"entityType,omitempty"`
	EntityID      string     `json:"entityId,omitempty"`
	Status        Status     `json:"status"`
	StartedAt     *time.Time `json:"startedAt,omitempty"`
	FinishedAt    time.Time  `json:"finishedAt"`
	Failure       *Failure   `json:"failure,omitempty"`
	Log           []LogEntry `json:"log,omitempty"`

	// ReportedFinishedAt is set by the processor, never read from the wire:
	// the runner's finishedAt when it lay too far past the time the run was
	// received, FinishedAt then holding the receive time.
	ReportedFinishedAt *time.Time `json:"-"`
}

// Failure says at which stage a run failed and why.
type Failure struct {
	Stage   Stage         `json:"stage"`
	Message string        `json:"message"`
	Mapping *Mapping      `json:"mapping,omitempty"`
	HTTP    *HTTPExchange `json:"http,omitempty"`
}

// Mapping names the external mapping a map-stage failure found missing.
type Mapping struct {
	M3terEntity    string `json:"m3terEntity,omitempty"`
	M3terID        string `json:"m3terId,omitempty"`
	ExternalSystem string `json:"externalSystem,omitempty"`
	ExternalTable  string `json:"externalTable,omitempty"`
}

// HTTPExchange is the request a run sent and the response it got.
type HTTPExchange struct {
	Request  *HTTPRequest  `json:"request,omitempty"`
	Response *HTTPResponse `json:"response,omitempty"`
}

// HTTPRequest is an outgoing HTTP request as the runner sent it.
type HTTPRequest struct {
	Method  string  `json:"method,omitempty"`
	URL     string  `json:"url,omitempty"`
	Headers Headers `json:"headers,omitempty"`
	Body    Body    `json:"body,omitempty"`
}

// HTTPResponse is the response the destination returned.
type HTTPResponse struct {
	Status  int     `json:"status,omitempty"`
	Headers Headers `json:"headers,omitempty"`
	Body    Body    `json:"body,omitempty"`
}

// LogEntry is one line of a run's log.
type LogEntry struct {
	Time    *time.Time    `json:"time,omitempty"`
	Step    string        `json:"step,omitempty"`
	Level   string        `json:"level,omitempty"`
	Message string        `json:"message,omitempty"`
	HTTP    *HTTPExchange `json:"http,omitempty"`
}

// Headers are HTTP headers. On input each value may be a string or a list of
// strings, so both JSON shapes runners produce are accepted.
type Headers map[string][]string

// UnmarshalJSON accepts {"name": "v"} and {"name": ["v1", "v2"]}, as
// UnmarshalJSONFrom does.
func (h *Headers) UnmarshalJSON(b []byte) error {
	return jsonv1.Unmarshal(b, h)
}

// UnmarshalJSONFrom accepts {"name": "v"} and {"name": ["v1", "v2"]}; null
// reads as "", as encoding/json reads it into a string, and null for the
// whole is no headers. It reads the tokens as they come: headers are on the
// hot path of every perform failure, and decoding them through a
// map[string]any took a third of decoding one (BenchmarkDecodeOutcome). A
// name given twice keeps its last value, as a map decodes.
func (h *Headers) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		*h = Headers{}
		return err
	case '{':
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return errors.New("headers must be an object of strings or lists of strings")
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	out := Headers{}
	var bad map[string]bool // names whose last value is neither
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		k := name.String()
		vals, ok, err := headerValues(dec)
		if err != nil {
			return err
		}
		if !ok {
			if bad == nil {
				bad = map[string]bool{}
			}
			bad[k] = true
			delete(out, k)
			continue
		}
		delete(bad, k)
		out[k] = vals
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("header %q must be a string or a list of strings", truncate(slices.Min(slices.Collect(maps.Keys(bad))), 40))
	}
	*h = out
	return nil
}

// headerValues reads one header's value: a string, null or a list of
// strings and nulls. ok is false, the value read past, for anything else.
func headerValues(dec *jsontext.Decoder) (vals []string, ok bool, err error) {
	switch dec.PeekKind() {
	case 'n', '"':
		t, err := dec.ReadToken()
		return []string{stringOrNull(t)}, err == nil, err
	case '[':
	default:
		return nil, false, dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, false, err
	}
	vals, ok = []string{}, true
	for dec.PeekKind() != ']' {
		switch dec.PeekKind() {
		case 'n', '"':
			t, err := dec.ReadToken()
			if err != nil {
				return nil, false, err
			}
			vals = append(vals, stringOrNull(t))
		default:
			ok = false
			if err := dec.SkipValue(); err != nil {
				return nil, false, err
			}
		}
	}
	_, err = dec.ReadToken()
	return vals, ok, err
}

// stringOrNull is a string token's text, or "" for null.
func stringOrNull(t jsontext.Token) string {
	if t.Kind() == 'n' {
		return ""
	}
	return t.String()
}

// Body is an HTTP body. On input it may be a JSON string (kept as is) or any
// other JSON value (kept as its JSON text), since runners log both.
type Body string

// UnmarshalJSON accepts a string or any JSON value, as UnmarshalJSONFrom
// does.
func (b *Body) UnmarshalJSON(data []byte) error {
	return jsonv1.Unmarshal(data, b)
}

// UnmarshalJSONFrom accepts a string (kept as is), null (no body) or any
// other JSON value (kept as its compact JSON text).
func (b *Body) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case '"', 'n':
		t, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*b = Body(stringOrNull(t))
		return nil
	}
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := jsonv1.Compact(&compact, v); err != nil {
		return err
	}
	*b = Body(compact.String())
	return nil
}

// DecodeOutcome parses and validates a RunOutcome published for
// subjectIntegrationID. Every error wraps ErrBadInput and says precisely what
// is wrong, for the dead-letter record.
func DecodeOutcome(subjectIntegrationID string, data []byte) (RunOutcome, error) {
	var o RunOutcome
	if len(data) > MaxOutcomeBytes {
		return o, BadInputOf(ErrTooLarge, "payload is %d bytes, over the %d byte limit", len(data), MaxOutcomeBytes)
	}
	if !utf8.Valid(data) {
		return o, BadInputOf(ErrMalformed, "payload is not valid UTF-8")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return o, BadInputOf(ErrMalformed, "payload is empty")
	}
	// One pass over a valid payload. A payload that fails is decoded again
	// by encoding/json's stream decoder, for its errors: it tells trailing
	// data apart, and reasons keep its wording.
	if jsonv1.Unmarshal(data, &o) != nil {
		return RunOutcome{}, decodeError(data)
	}
	if err := o.Validate(subjectIntegrationID); err != nil {
		return RunOutcome{}, err
	}
	return o, nil
}

// decodeError says why jsonv1.Unmarshal refused an outcome payload, as a
// bad input error.
func decodeError(data []byte) error {
	var o RunOutcome
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&o); err != nil {
		reason := jsonReason(err)
		if isTimeError(err) {
			if field, got := badTimeField(data); field != "" {
				reason = fmt.Sprintf("%s must be an RFC 3339 time, got %s", field, truncate(got, 60))
			}
		}
		return BadInputOf(ErrMalformed, "payload is not a valid RunOutcome JSON object: %s", reason)
	}
	// Decoder.More is false before a stray ']' or '}', so look at the bytes.
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return BadInputOf(ErrMalformed, "payload has data after the JSON object")
	}
	// Unreachable while the two decoders agree on what is valid.
	return BadInputOf(ErrMalformed, "payload is not a valid RunOutcome JSON object")
}

// Validate checks the fields of an outcome published for subjectIntegrationID.
func (o *RunOutcome) Validate(subjectIntegrationID string) error {
	switch {
	case strings.TrimSpace(o.RunID) == "":
		return badInput("runId is required")
	case len(o.RunID) > MaxRunIDBytes:
		return badInput("runId is %d characters, over %d", len(o.RunID), MaxRunIDBytes)
	case o.IntegrationID == "":
		return badInput("integrationId is required")
	case o.IntegrationID != subjectIntegrationID:
		return badInput("integrationId %q does not match the subject's integration %q", truncate(o.IntegrationID, 140), subjectIntegrationID)
	case strings.TrimSpace(o.Destination) == "":
		return badInput("destination is required")
	case o.FinishedAt.IsZero():
		return badInput("finishedAt is required (RFC 3339)")
	}
	switch o.Status {
	case StatusSucceeded:
		if o.Failure != nil {
			return badInput("status is succeeded but a failure is given")
		}
		return nil
	case StatusFailed:
	case "":
		return badInput("status is required: succeeded or failed")
	default:
		return badInput("status %q is unknown: want succeeded or failed", truncate(string(o.Status), 40))
	}
	f := o.Failure
	if f == nil {
		return badInput("failure is required when status is failed")
	}
	switch f.Stage {
	case StageValidate, StageMap, StageAuthenticate, StagePerform:
	case "":
		return badInput("failure.stage is required: validate, map, authenticate or perform")
	default:
		return badInput("failure.stage %q is unknown: want validate, map, authenticate or perform", truncate(string(f.Stage), 40))
	}
	// failure.message may be empty: a runner sends none when the provider
	// said nothing, and the event is then described from stage and status.
	return nil
}

// isTimeError reports whether a decoder error came from time.Time.
func isTimeError(err error) bool {
	var pe *time.ParseError
	return errors.As(err, &pe) || strings.HasPrefix(err.Error(), "Time.UnmarshalJSON")
}

// badTimeField names the first time field of an outcome payload that is not
// an RFC 3339 string, and its value: the decoder's error from time.Time does
// not say which field it came from.
func badTimeField(data []byte) (field, got string) {
	var probe struct {
		StartedAt  json.RawMessage `json:"startedAt"`
		FinishedAt json.RawMessage `json:"finishedAt"`
		Log        []struct {
			Time json.RawMessage `json:"time"`
		} `json:"log"`
	}
	_ = json.Unmarshal(data, &probe) // best effort: fields that decoded are checked
	bad := func(raw json.RawMessage) bool {
		var t time.Time
		return len(raw) > 0 && t.UnmarshalJSON(raw) != nil
	}
	if bad(probe.StartedAt) {
		return "startedAt", string(probe.StartedAt)
	}
	if bad(probe.FinishedAt) {
		return "finishedAt", string(probe.FinishedAt)
	}
	for i, e := range probe.Log {
		if bad(e.Time) {
			return fmt.Sprintf("log[%d].time", i), string(e.Time)
		}
	}
	return "", ""
}

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// jsonReason turns a decoder error into a reason that names the field.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// Value holds a number's whole text: bound it, as every value quoted
		// in a reason is.
		if te.Field != "" {
			return fmt.Sprintf("field %s must be %s, got %s", te.Field, te.Type, truncate(te.Value, 60))
		}
		return fmt.Sprintf("expected %s, got %s", te.Type, truncate(te.Value, 60))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON"
	}
	// Such as a time.ParseError, which quotes the whole value.
	return truncate(err.Error(), 200)
}
