package redact

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/integration-events/integration-events/subjects"
)

// body redacts an HTTP body: JSON by key (and each string in it as text),
// form bodies by parameter, anything else (XML, HTML, plain text) as text.
// A form body is one declared so by its Content-Type or one that has a
// form's shape, since runners do not always log headers.
func body(b subjects.Body, h subjects.Headers) subjects.Body {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return b
	}
	if s[0] == '{' || s[0] == '[' {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil && !dec.More() {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode(jsonValue(v)) == nil {
				return subjects.Body(strings.TrimSuffix(buf.String(), "\n"))
			}
		}
	}
	if isForm(h) || formShape.MatchString(s) {
		return subjects.Body(byRules(params(string(b))))
	}
	return subjects.Body(byRules(string(b)))
}

// formShape is an application/x-www-form-urlencoded body: a=1&b=2.
var formShape = regexp.MustCompile(`^[\w.%\[\]*-]+=[^\s&]*(?:&[\w.%\[\]*-]+(?:=[^\s&]*)?)*$`)

func isForm(h subjects.Headers) bool {
	for k, v := range h {
		if strings.EqualFold(k, "content-type") {
			for _, s := range v {
				if strings.Contains(lowerASCII(s), "application/x-www-form-urlencoded") {
					return true
				}
			}
		}
	}
	return false
}

// jsonValue redacts a decoded JSON value in place: the value of every key
// CredentialName accepts, whatever it holds, and every string as text.
func jsonValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if CredentialName(k) {
				t[k] = Marker
			} else {
				t[k] = jsonValue(val)
			}
		}
	case []any:
		for i := range t {
			t[i] = jsonValue(t[i])
		}
	case string:
		return byRules(t)
	}
	return v
}
