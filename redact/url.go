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
		return urlByPattern(u)
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
