package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// URL redacts a URL's user name and password and the values of its
// credential query and fragment parameters (ParamName; an OAuth implicit
// grant returns its token in the fragment). A URL that does not parse is
// redacted by pattern, the same way.
func URL(u string) string {
	if u == "" {
		return u
	}
	p, err := url.Parse(u)
	if err != nil || p.Opaque != "" {
		return replaceSubmatches(anyUserinfo, urlByPattern(u), func(m []string) string {
			if m[2] == Marker || m[2] == Marker+":"+Marker {
				return m[0]
			}
			return m[1] + Marker + "@"
		})
	}
	if p.User != nil {
		if _, has := p.User.Password(); has {
			p.User = url.UserPassword(Marker, Marker)
		} else {
			p.User = url.User(Marker)
		}
	}
	// Keep the marker readable rather than percent-encoded.
	s := strings.ReplaceAll(p.String(), "%5BREDACTED%5D", Marker)
	s, frag, hasFrag := strings.Cut(s, "#")
	base, query, hasQuery := strings.Cut(s, "?")
	if hasQuery {
		base += "?" + params(query)
	}
	if hasFrag {
		base += "#" + params(frag)
	}
	return base
}

// URLs redacts each URL of a comma-separated list, as NATS server URLs
// are given, with URL; spaces around the commas are dropped.
func URLs(list string) string {
	parts := strings.Split(list, ",")
	for i, u := range parts {
		parts[i] = URL(strings.TrimSpace(u))
	}
	return strings.Join(parts, ",")
}

// URLError returns err with the credentials of the URLs of list (comma
// separated, as URLs takes) removed from its text, for errors that may
// quote a URL as given (url.Parse's do): each URL is replaced by URLs'
// form of it, then the text is redacted as Text does. errors.Is and
// errors.As still see err. A nil err stays nil.
func URLError(err error, list string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			msg = strings.ReplaceAll(msg, u, URL(u))
		}
	}
	return &urlError{err: err, msg: Text(msg)}
}

// urlError is URLError's error: err shown as msg.
type urlError struct {
	err error
	msg string
}

func (e *urlError) Error() string { return e.msg }
func (e *urlError) Unwrap() error { return e.err }

// params redacts the values of credential parameters of a query or form
// body, a=1&b=2, keeping everything else byte for byte.
func params(raw string) string {
	if raw == "" || !strings.Contains(raw, "=") {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, _, hasValue := strings.Cut(part, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if hasValue && ParamName(strings.TrimSpace(name)) {
			parts[i] = part[:strings.IndexByte(part, '=')+1] + Marker
		}
	}
	return strings.Join(parts, "&")
}

// urlUserinfo is the user name and password of a URL in text:
// scheme://user:password@host.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#@"'<>:]+(:[^\s/?#@"'<>]*)?@`)

// anyUserinfo is whatever stands between a URL's scheme and the @ of its
// host, for a URL that does not parse (a space in a password).
var anyUserinfo = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)@`)

// urlParam is one parameter of a URL's query or fragment in text.
var urlParam = regexp.MustCompile(`([?&#;])([^=&#\s"'<>]+)=([^&#\s"'<>]*)`)

// urlByPattern redacts what URL does for a URL that does not parse.
func urlByPattern(u string) string {
	u = replaceSubmatches(urlUserinfo, u, func(m []string) string {
		if m[2] != "" {
			return m[1] + Marker + ":" + Marker + "@"
		}
		return m[1] + Marker + "@"
	})
	return replaceSubmatches(urlParam, u, func(m []string) string {
		name := m[2]
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if !ParamName(name) {
			return m[0]
		}
		return m[1] + m[2] + "=" + Marker
	})
}

// replaceSubmatches is ReplaceAllStringFunc with the submatches at hand.
func replaceSubmatches(re *regexp.Regexp, s string, f func(m []string) string) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range idx {
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(f(m))
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
