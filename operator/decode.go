package operator

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/integration-events/integration-events/processor"
)

// decode reads a JSON request strictly: names match case-sensitively, an
// unknown name is a typo the caller should hear about rather than have
// silently ignored, and a name given twice is refused, since which one
// counts would be a guess. An empty body is {}. Errors are 400s naming the
// field.
func decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var sem *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	reason := err.Error()
	switch {
	case errors.As(err, &sem) && errors.Is(sem.Err, jsonv2.ErrUnknownName):
		reason = fmt.Sprintf("unknown field %q (field names are case-sensitive)", sem.JSONPointer.LastToken())
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		reason = fmt.Sprintf("field %q is given twice", syn.JSONPointer.LastToken())
	case errors.As(err, &sem) && sem.JSONPointer != "" && sem.GoType != nil:
		reason = fmt.Sprintf("field %s must be JSON for a Go %s", strings.TrimPrefix(string(sem.JSONPointer), "/"), sem.GoType)
	}
	return badRequest("request is not valid JSON for this endpoint: %s", processor.Truncate(reason, 300))
}
