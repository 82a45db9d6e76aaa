package redact

import "strings"

// credentialParts are parts of names that carry credentials, matched
// anywhere in the lowered name: "refresh_token", "clientSecret",
// "X-SFDC-Session", "sessionId", "Proxy-Authorization", "APIKEY".
var credentialParts = []string{
	"token", "secret", "passw", "passphrase", "signature", "credential",
	"session", "cookie", "authorization", "apikey", "accesskey", "privatekey",
}

// credentialWords are names that carry credentials only as a whole word of
// the name ("x-api-key", "basicAuth", "pwd"), since as parts they stand in
// harmless names ("keyword", "monkey", "author", "passed", "signal").
var credentialWords = map[string]bool{
	"key": true, "auth": true, "pwd": true, "pw": true, "pass": true, "sig": true, "sid": true, "otp": true, "jwt": true, "bearer": true,
}

// credentialNames are whole names that carry credentials: OAuth's PKCE
// code verifier (RFC 7636 §4.1) and JWT assertions (RFC 7521 §4.1, RFC
// 7523), whose words say so to no other rule.
var credentialNames = map[string]bool{"code_verifier": true, "assertion": true, "client_assertion": true}

// oauthParams are query and form parameters that carry credentials only
// there, where OAuth defines them: the authorization code (RFC 6749
// §4.1.2) and a signed URL's signature (Azure Shared Access Signatures'
// "sig"). In a JSON body or in text "code" is a provider's error code,
// which classification reads.
var oauthParams = map[string]bool{"code": true, "sig": true}

// harmlessNames hold a credential part but name no credential: OAuth's
// token_type (RFC 6749 §7.1), endpoints, and Stripe's Idempotency-Key.
var harmlessNames = map[string]bool{
	"token_type": true, "token_endpoint": true, "token_url": true, "idempotency-key": true, "idempotency_key": true,
}

// CredentialName reports whether a JSON key, an XML element or attribute,
// a form field, a query parameter or the name of a name=value pair in text
// names a credential. Matching is ASCII case-insensitive.
func CredentialName(name string) bool {
	if name == "" {
		return false
	}
	n := lowerASCII(name)
	if harmlessNames[n] {
		return false
	}
	if credentialNames[n] {
		return true
	}
	for _, p := range credentialParts {
		if strings.Contains(n, p) {
			return true
		}
	}
	found := false
	eachWord(name, func(w string) bool {
		found = credentialWords[lowerASCII(w)]
		return !found
	})
	return found
}

// ParamName reports whether a query or form parameter carries a
// credential: CredentialName, or OAuth's code or a signed URL's sig.
func ParamName(name string) bool {
	return CredentialName(name) || oauthParams[lowerASCII(name)]
}

// eachWord calls f with each word of name, split at anything but ASCII
// letters and digits and between a lower-case letter or digit and an upper-case
// one ("basicAuth" is "basic", "Auth"), until f returns false.
func eachWord(name string, f func(string) bool) {
	start := -1
	for i := 0; i <= len(name); i++ {
		var c byte
		if i < len(name) {
			c = name[i]
		}
		alnum := isLower(c) || isUpper(c) || isDigit(c)
		if start >= 0 && (!alnum || (isUpper(c) && (isLower(name[i-1]) || isDigit(name[i-1])))) {
			if !f(name[start:i]) {
				return
			}
			start = -1
		}
		if alnum && start < 0 {
			start = i
		}
	}
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lowerASCII lowers ASCII letters only: names are matched the ASCII way,
// so that "ſecret" (with a long s) is not taken for "secret" in one place
// and not in another.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if isUpper(b[j]) {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// proseWords mark names after which a plain word is prose rather than a
// credential: names of tokens and keys ("token: expired") and provider
// error codes ("INVALID_SESSION_ID: Session expired"). After any other
// credential name ("password: letmein") a plain word is still a secret.
var proseWords = []string{"token", "key", "bearer", "auth", "invalid", "expired", "error", "fail", "missing", "required", "denied", "locked", "wrong", "malformed"}

// allowsProse reports whether a plain word after name is prose.
func allowsProse(name string) bool {
	return holdsAny(lowerASCII(name), proseWords)
}
