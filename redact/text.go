package redact

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// textRule is one rule for free text. apply runs only when the text holds
// one of the bytes of needs (when given), without which its pattern cannot
// match, and the lowered text holds one of triggers: most text holds none,
// and skipping the patterns then is what keeps redaction cheap. needs is
// checked first, since it is one pass over the text where triggers are one
// per word: a header name such as "Authorization" or "Set-Cookie" holds a
// trigger but no separator, so no pattern runs on it.
type textRule struct {
	needs    string
	triggers []string
	apply    func(string) string
	// may, when given, is a cheaper test run last: false only for text
	// apply would return unchanged.
	may func(string) bool
}

// whitespace is what \s matches in the patterns (RE2's, ASCII only).
const whitespace = "\t\n\f\r "

// textRules run in this order, each on the result of the one before:
// whole blocks first, then URLs, headers written out, pairs and tokens.
var textRules = []textRule{
	{"-", []string{"private key"}, func(s string) string { return pemBlock.ReplaceAllString(s, Marker) }, nil},
	{":", []string{"://"}, urlsInText, nil},
	{":", []string{"cookie"}, cookies, nil},
	{whitespace, []string{"bearer", "basic", "token", "negotiate", "digest", "oauth", "ssws", "apikey"}, schemes, nil},
	{":=", nameTriggers(), pairs, pairsMayChange},
	{"<", []string{"<"}, xmlElements, nil},
	{".", []string{"eyj"}, func(s string) string { return jwt.ReplaceAllString(s, Marker) }, nil},
	{"", keyPrefixTriggers, func(s string) string { return keyPrefix.ReplaceAllString(s, Marker) }, nil},
}

// Text redacts credentials from free text: messages, log lines, bodies that
// are not JSON, form or XML, and each string inside a JSON body.
//   - PEM private key blocks, whole (to the end of the text when cut).
//   - URLs, as URL does.
//   - Cookie: and Set-Cookie: values, to the end of the line.
//   - Bearer, Basic, Token, Negotiate and Digest credentials.
//   - name=value, name: value and "name": "value" pairs whose name
//     CredentialName accepts.
//   - The text of XML elements whose name CredentialName accepts.
//   - JSON Web Tokens.
//   - Key formats: gitleaks' default rules, and the prefixes of the
//     commonest provider keys even when the key is cut short.
//
// A credential is a value, not the word before it: after "name:" or a
// scheme, a single plain word such as "expired" or "too" is prose and is
// kept ("Malformed bearer token: too short" keeps its words).
func Text(s string) string {
	return keyFormats(byRules(s))
}

// byRules applies textRules, everything Text does but gitleaks' rules,
// which Outcome runs once over all an outcome's text.
func byRules(s string) string {
	if s == "" {
		return s
	}
	// The patterns fold case the Unicode way ("ſ" matches "s"), which
	// lowering ASCII does not: screen ASCII text only.
	screen := isASCII(s)
	lower := lowerASCII(s)
	for _, r := range textRules {
		if r.needs != "" && !strings.ContainsAny(s, r.needs) {
			continue
		}
		if (!screen || holdsAny(lower, r.triggers)) && (r.may == nil || r.may(s)) {
			s = r.apply(s)
		}
	}
	return s
}

// prose reports whether v, found where a credential could stand, is a plain
// word instead: letters only, lower case after the first, at most 20.
func prose(v string) bool {
	if v == "" || len(v) > 20 || !(isLower(v[0]) || isUpper(v[0])) {
		return false
	}
	for i := 1; i < len(v); i++ {
		if !isLower(v[i]) {
			return false
		}
	}
	return true
}

// pemBlock is a PEM private key block (RFC 7468), PKCS#8, PKCS#1, EC,
// OpenSSH or PGP.
var pemBlock = regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\z)`)

// urlInText is a URL written in text.
var urlInText = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>\x60]+`)

func urlsInText(s string) string {
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		if !strings.ContainsAny(u, "@?#;") {
			return u
		}
		return URL(u)
	})
}

// cookie is a Cookie or Set-Cookie header written in text (RFC 6265).
var cookie = regexp.MustCompile(`(?i)\b((?:set-)?cookie\s*:\s*)([^\r\n]+)`)

func cookies(s string) string {
	return replaceSubmatches(cookie, s, func(m []string) string {
		if prose(strings.TrimSpace(m[2])) {
			return m[0]
		}
		return m[1] + Marker
	})
}

// scheme is an HTTP authentication scheme and its credentials: a token68
// (RFC 9110 §11.4) for Bearer, Basic, Token and Negotiate and for the
// provider schemes OAuth (Salesforce), SSWS (Okta), ApiKey and
// Zoho-oauthtoken; the rest of the line for Digest, whose credentials are
// parameters.
var scheme = regexp.MustCompile(`(?i)\b(bearer|basic|token|negotiate|oauth|ssws|apikey|zoho-oauthtoken)(\s+)([A-Za-z0-9._~+/!-]+=*)|\b(digest)(\s+)([^\r\n]+)`)

// minProviderScheme is the shortest credential after a provider scheme:
// "OAuth 2.0" is prose, a session id is not.
const minProviderScheme = 8

func schemes(s string) string {
	return replaceSubmatches(scheme, s, func(m []string) string {
		name, sp, cred := m[1], m[2], m[3]
		if m[4] != "" {
			name, sp, cred = m[4], m[5], m[6]
		}
		if first, _, _ := strings.Cut(cred, " "); prose(strings.TrimRight(first, ",.;:")) {
			return m[0]
		}
		switch lowerASCII(name) {
		case "oauth", "ssws", "apikey", "zoho-oauthtoken":
			if len(cred) < minProviderScheme {
				return m[0]
			}
		}
		return name + sp + Marker
	})
}

// pairName is the name and separator of name=value, name: value,
// "name": "value", 'name': 'value', \"name\": \"value\" (JSON escaped
// in text) or name="value": a name after anything but a name character,
// which is kept, since after ?, & or ; the name is a URL's or a form's
// parameter. The value is read by pairValue, since it may hold = and :.
var pairName = regexp.MustCompile(`(^|[^\w.-])(?:\\?["'])?([A-Za-z_][\w.-]{0,63})(?:\\?["'])?(\s*[:=])`)

func pairs(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range pairName.FindAllStringSubmatchIndex(s, -1) {
		before, name, sep, at := s[m[2]:m[3]], s[m[4]:m[5]], s[m[6]:m[7]], m[1]
		if m[0] < last {
			continue
		}
		if !CredentialName(name) && !(strings.ContainsAny(before, "?&;") && ParamName(name)) {
			continue
		}
		for at < len(s) && (s[at] == ' ' || s[at] == '\t') {
			sep += s[at : at+1]
			at++
		}
		// Redacted by a rule before ("Authorization: Bearer [REDACTED]"):
		// kept, and read on after it.
		if head := s[at:min(len(s), at+40)]; strings.Contains(head, Marker) {
			if i := strings.Index(head, Marker); !strings.ContainsAny(head[:i], "\r\n") {
				b.WriteString(s[last : at+i+len(Marker)])
				last = at + i + len(Marker)
				continue
			}
		}
		v := pairValue(s[at:], strings.Contains(lowerASCII(name), "authorization"))
		if v == "" {
			continue
		}
		if bare, ok := strings.CutSuffix(v, ":"); ok {
			// "token= password: x": the run is the next pair's name.
			if bare == "" || len(bare) <= 64 && !strings.ContainsAny(bare, " \t") && CredentialName(bare) {
				continue
			}
			v = bare
		}
		quote := ""
		switch {
		case strings.HasPrefix(v, `\"`):
			quote = `\"`
		case v[0] == '"' || v[0] == '\'':
			quote = v[:1]
		case v[0] == '[' && strings.HasSuffix(v, "]"):
			b.WriteString(s[last:at] + "[" + Marker + "]")
			last = at + len(v)
			continue
		}
		if quote == "" && allowsProse(name) && (strings.Contains(sep, ":") || strings.TrimSpace(sep) != sep) && len(v) <= maxProse && allProse(v) {
			continue
		}
		b.WriteString(s[last:at])
		if quote != "" {
			b.WriteString(quote + Marker + quote)
		} else {
			b.WriteString(Marker)
		}
		last = at + len(v)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// pairsMayChange reports whether pairs could change s: whether a ':' or
// '=' in it follows (across whitespace and a quote) a name ParamName
// accepts whose value is not redacted already. It is pairs' own reading of
// each separator without pairName, whose backtracking took a fifth of
// admitting a perform failure (BenchmarkAdmit/perform-log) on the URL that
// URL had redacted already ("…?access_token=[REDACTED]").
func pairsMayChange(s string) bool {
	for p := 0; p < len(s); p++ {
		if s[p] != ':' && s[p] != '=' {
			continue
		}
		end := p
		for end > 0 && strings.IndexByte(whitespace, s[end-1]) >= 0 {
			end--
		}
		if end > 0 && (s[end-1] == '"' || s[end-1] == '\'') {
			end--
			if end > 0 && s[end-1] == '\\' {
				end--
			}
		}
		start := end
		for start > 0 && isNameByte(s[start-1]) {
			start--
		}
		if start == end || !ParamName(s[start:end]) {
			continue
		}
		at := p + 1
		for at < len(s) && (s[at] == ' ' || s[at] == '\t') {
			at++
		}
		head := s[at:min(len(s), at+40)]
		if i := strings.Index(head, Marker); i < 0 || strings.ContainsAny(head[:i], "\r\n") {
			return true
		}
	}
	return false
}

// isNameByte reports whether c is one of pairName's [\w.-].
func isNameByte(c byte) bool {
	return isLower(c) || isUpper(c) || isDigit(c) || c == '_' || c == '.' || c == '-'
}

// maxProse is the longest value that can be prose: an explanation after
// "Authorization:" is short, and the bound keeps text of many names linear.
const maxProse = 200

// allProse reports whether every word of v is prose.
func allProse(v string) bool {
	for w := range strings.FieldsSeq(v) {
		if !prose(strings.TrimRight(w, ",.;:")) {
			return false
		}
	}
	return true
}

// pairValue is the value at the start of s: a quoted string, JSON-escaped
// or not (up to its closing quote, or the end when cut), a bracketed list
// as Go prints a header map (map[X-Key:[v]]), or a run up to a space or a
// delimiter. An Authorization header's value is its scheme and
// credentials: the rest of the line.
func pairValue(s string, toLineEnd bool) string {
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, `\"`) {
		if end := strings.Index(s[2:], `\"`); end >= 0 {
			return s[:end+4]
		}
		return s
	}
	if q := s[0]; q == '"' || q == '\'' {
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case q:
				return s[:i+1]
			}
		}
		return s
	}
	if s[0] == '[' {
		if end := strings.IndexByte(s, ']'); end >= 0 {
			return s[:end+1]
		}
		return s
	}
	stop := " \t\r\n\"'&,;}<>()[]`"
	if toLineEnd {
		stop = "\r\n\"'<>}`"
	}
	end := strings.IndexAny(s, stop)
	if end < 0 {
		return strings.TrimRight(s, " \t")
	}
	return strings.TrimRight(s[:end], " \t")
}

// nameTriggers are what a credential name holds, for screening.
func nameTriggers() []string {
	t := append([]string(nil), credentialParts...)
	for _, names := range []map[string]bool{credentialWords, credentialNames, oauthParams} {
		for w := range names {
			t = append(t, w)
		}
	}
	return t
}

// xmlElement is an XML element and its text, CDATA included: SOAP bodies
// such as NetSuite SuiteTalk's <platformCore:password>.
var xmlElement = regexp.MustCompile(`<((?:[\w.-]+:)?([A-Za-z_][\w.-]*))(\s[^<>]*)?>((?s:\s*<!\[CDATA\[.*?\]\]>\s*)|[^<]+)`)

// xmlNameAttribute names a name/value element by attribute:
// <param name="password">…</param>.
var xmlNameAttribute = regexp.MustCompile(`\b(?:name|key)\s*=\s*["']([^"']*)["']`)

func xmlElements(s string) string {
	return replaceSubmatches(xmlElement, s, func(m []string) string {
		if strings.TrimSpace(m[4]) == "" {
			return m[0]
		}
		named := CredentialName(m[2])
		if !named && m[3] != "" {
			if a := xmlNameAttribute.FindStringSubmatch(m[3]); a != nil {
				named = CredentialName(a[1])
			}
		}
		if !named {
			return m[0]
		}
		return m[0][:len(m[0])-len(m[4])] + Marker
	})
}

// jwt is a JSON Web Token (RFC 7519) in compact form: its header is
// base64url JSON, so it starts "eyJ".
var jwt = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// keyPrefix finds the commonest provider keys by their documented prefix,
// even when cut short, masked or malformed, where gitleaks' rules want the
// whole key: Stripe secret and restricted keys and webhook secrets
// (sk_live_, sk_test_, rk_live_, rk_test_, whsec_), Slack tokens (xoxb-,
// xoxp-, …), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_),
// GitLab's glpat-, AWS access key ids (AKIA, ASIA) and Google API keys
// (AIza).
var keyPrefix = regexp.MustCompile(`\b(?:(?:sk|rk)_(?:live|test)_|whsec_|xox[abposr]-|gh[pousr]_|github_pat_|glpat-)[A-Za-z0-9_*-]*[A-Za-z0-9*]|\b(?:AKIA|ASIA)[A-Z0-9]{8,}|\bAIza[0-9A-Za-z_-]{8,}`)

var keyPrefixTriggers = []string{"sk_", "rk_", "whsec_", "xox", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "akia", "asia", "aiza"}

func holdsAny(lowered string, words []string) bool {
	for _, w := range words {
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

// HoldsCredential reports whether s holds a credential by the rules of
// Text other than gitleaks': cheap enough for the ids of every outcome,
// successes included, where a key that only gitleaks knows is not met.
func HoldsCredential(s string) bool {
	return byRules(s) != s
}
