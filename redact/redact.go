package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/integration-events/integration-events/subjects"
)

// Marker replaces every credential value, so a reader still sees that the
// field was there.
const Marker = "[REDACTED]"

// sensitiveWords mark query parameters and body fields that carry credentials.
var sensitiveWords = []string{"key", "token", "secret", "password", "passwd", "signature"}

// sensitiveHeaders are always redacted, whatever sensitiveWords say.
var sensitiveHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
}

// CredentialName reports whether a query parameter or body field name carries
// a credential.
func CredentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// SensitiveHeader reports whether an HTTP header carries a credential.
func SensitiveHeader(name string) bool {
	return sensitiveHeaders[strings.ToLower(name)] || CredentialName(name)
}

// Exchange returns a copy of h with credentials redacted from headers,
// URL query and userinfo, and JSON or form bodies.
func Exchange(h *subjects.HTTPExchange) *subjects.HTTPExchange {
	if h == nil {
		return nil
	}
	out := &subjects.HTTPExchange{}
	if r := h.Request; r != nil {
		out.Request = &subjects.HTTPRequest{
			Method:  r.Method,
			URL:     URL(r.URL),
			Headers: redactHeaders(r.Headers),
			Body:    redactBody(r.Body, r.Headers),
		}
	}
	if r := h.Response; r != nil {
		out.Response = &subjects.HTTPResponse{
			Status:  r.Status,
			Headers: redactHeaders(r.Headers),
			Body:    redactBody(r.Body, r.Headers),
		}
	}
	return out
}

// Log returns a copy of entries with their HTTP exchanges and messages
// redacted.
func Log(entries []subjects.LogEntry) []subjects.LogEntry {
	if entries == nil {
		return nil
	}
	out := make([]subjects.LogEntry, len(entries))
	for i, e := range entries {
		e.Message = Text(e.Message)
		e.HTTP = Exchange(e.HTTP)
		out[i] = e
	}
	return out
}

func redactHeaders(h subjects.Headers) subjects.Headers {
	if h == nil {
		return nil
	}
	out := make(subjects.Headers, len(h))
	for k, v := range h {
		if SensitiveHeader(k) {
			v = []string{Marker}
		}
		out[k] = v
	}
	return out
}

// URL redacts the userinfo password and the sensitive query parameters
// of u. A URL that does not parse is redacted as free text.
func URL(u string) string {
	if u == "" {
		return u
	}
	p, err := url.Parse(u)
	if err != nil {
		return Text(u)
	}
	if p.User != nil {
		if _, has := p.User.Password(); has {
			p.User = url.UserPassword(p.User.Username(), Marker)
		}
	}
	if p.RawQuery != "" {
		p.RawQuery = redactQuery(p.RawQuery)
	}
	s := p.String()
	// Keep the marker readable rather than percent-encoded.
	return strings.ReplaceAll(s, url.QueryEscape(Marker), Marker)
}

func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, _, hasValue := strings.Cut(part, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if hasValue && CredentialName(name) {
			parts[i] = part[:strings.IndexByte(part, '=')+1] + Marker
		}
	}
	return strings.Join(parts, "&")
}

func redactBody(b subjects.Body, h subjects.Headers) subjects.Body {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return b
	}
	if s[0] == '{' || s[0] == '[' {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode(redactJSON(v)) == nil {
				return subjects.Body(strings.TrimSuffix(buf.String(), "\n"))
			}
		}
	}
	if isForm(h) {
		return subjects.Body(redactQuery(string(b)))
	}
	return subjects.Body(Text(string(b)))
}

func isForm(h subjects.Headers) bool {
	for k, v := range h {
		if strings.EqualFold(k, "content-type") {
			for _, s := range v {
				if strings.Contains(strings.ToLower(s), "application/x-www-form-urlencoded") {
					return true
				}
			}
		}
	}
	return false
}

func redactJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			// Bodies echo headers, so a header name is as telling as a field name.
			if SensitiveHeader(k) {
				t[k] = Marker
			} else {
				t[k] = redactJSON(val)
			}
		}
	case []any:
		for i := range t {
			t[i] = redactJSON(t[i])
		}
	case string:
		// The same safety net as a text body: "Bearer ...", "token=...".
		return Text(t)
	}
	return v
}

// textSecret finds name=value, name: value and "name": "value" pairs whose
// name carries a credential, plus bearer tokens, in free text such as error
// messages and non-JSON bodies.
var textSecret = regexp.MustCompile(`(?i)((?:"?[\w-]*(?:key|token|secret|password|passwd|signature)[\w-]*"?)\s*[=:]\s*"?)([^\s"&,;}]+)|(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)

// textUserinfo finds the password of a URL's userinfo, scheme://user:password@,
// in free text and in URLs that do not parse.
var textUserinfo = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s/@]+@`)

// Text redacts credentials from free text: it is the safety net for
// messages that runners wrote by hand.
func Text(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		s = textUserinfo.ReplaceAllString(s, "${1}"+Marker+"@")
	}
	if isASCII(s) && !holdsSecretWord(strings.ToLower(s)) {
		return s
	}
	return redactSecrets(s)
}

// redactSecrets applies textSecret.
func redactSecrets(s string) string {
	return textSecret.ReplaceAllStringFunc(s, func(m string) string {
		sub := textSecret.FindStringSubmatch(m)
		if sub[3] != "" {
			return sub[3] + " " + Marker
		}
		return sub[1] + Marker
	})
}

// secretWords are the words textSecret cannot match without.
var secretWords = append([]string{"bearer", "basic"}, sensitiveWords...)

// holdsSecretWord reports whether lowered text has a word that textSecret
// needs. Most text has none, and skipping the pattern then is what keeps
// redaction cheap. Only ASCII text is screened like this: the pattern folds
// case the Unicode way ("ſ" matches "s"), which lowering does not.
func holdsSecretWord(lowered string) bool {
	for _, w := range secretWords {
		if strings.Contains(lowered, w) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Outcome returns a copy of o with every credential redacted: the failure's
// message, its HTTP exchange, and the run log. It is the one place an
// outcome is redacted; everything stored or published is built from its
// result.
func Outcome(o subjects.RunOutcome) subjects.RunOutcome {
	if f := o.Failure; f != nil {
		c := *f
		c.Message = Text(c.Message)
		c.HTTP = Exchange(c.HTTP)
		o.Failure = &c
	}
	o.Log = Log(o.Log)
	return o
}
