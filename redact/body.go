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
// CredentialName accepts, unless it is a number, a boolean or null (as in
// "tokenExpired": true), and every string as text. A name/value pair
// written as an object, as HAR and Postman write headers
// ({"name": "X-SFDC-Session", "value": "…"}), is redacted by its name.
func jsonValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		named := false
		for _, nk := range []string{"name", "key"} {
			if n, ok := t[nk].(string); ok && CredentialName(n) {
				named = true
			}
		}
		for k, val := range t {
			switch {
			case CredentialName(k) || named && k == "value":
				if redactable(val) {
					t[k] = Marker
				}
			default:
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

// redactable reports whether a JSON value can hold a credential.
func redactable(v any) bool {
	switch v.(type) {
	case bool, json.Number, nil:
		return false
	}
	return true
}
