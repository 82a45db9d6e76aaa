package redact

import "strings"

// shownHeaders are the HTTP headers whose values are shown: they describe
// the message, its rate limits or its request id, and never carry a
// credential. Every other header's value is redacted (default-deny), so a
// session header whose name says neither key nor token, such as Salesforce's
// X-SFDC-Session, is redacted too. Provider headers are from their API
// references: Salesforce's Sforce-Limit-Info, QuickBooks' intuit_tid,
// Sforce-Call-Options (the client's name), Stripe's Request-Id, Stripe-Version, Idempotency-Key and
// Stripe-Should-Retry, Xero's Xero-Correlation-Id, Xero-Tenant-Id (which
// organisation, not a secret) and X-Rate-Limit-Problem, and SOAP 1.1's
// SOAPAction (the operation's name, NetSuite SuiteTalk).
var shownHeaders = map[string]bool{
	"accept": true, "accept-charset": true, "accept-encoding": true, "accept-language": true, "accept-ranges": true,
	"age": true, "allow": true, "cache-control": true, "connection": true,
	"content-encoding": true, "content-language": true, "content-length": true, "content-range": true, "content-type": true,
	"date": true, "etag": true, "expires": true, "host": true,
	"if-match": true, "if-modified-since": true, "if-none-match": true, "if-unmodified-since": true,
	"last-modified": true, "pragma": true, "range": true, "retry-after": true, "server": true,
	"strict-transport-security": true, "transfer-encoding": true, "user-agent": true, "vary": true, "via": true,
	"x-content-type-options": true, "x-frame-options": true, "x-powered-by": true,
	"request-id": true, "x-request-id": true, "x-correlation-id": true, "correlation-id": true,
	"x-amzn-requestid": true, "x-amz-request-id": true, "traceparent": true, "tracestate": true,
	"sforce-limit-info": true, "sforce-call-options": true, "intuit_tid": true,
	"stripe-version": true, "stripe-should-retry": true, "idempotency-key": true,
	"xero-correlation-id": true, "x-rate-limit-problem": true, "xero-tenant-id": true,
	"soapaction": true,
}

// shownHeaderPrefixes are families of rate-limit headers: the IETF draft's
// RateLimit-*, the common X-RateLimit-* and X-Rate-Limit-*, and Xero's
// X-DayLimit-Remaining, X-MinLimit-Remaining and X-AppMinLimit-Remaining.
var shownHeaderPrefixes = []string{"ratelimit-", "x-ratelimit-", "x-rate-limit-", "x-daylimit-", "x-minlimit-", "x-appminlimit-"}

// urlHeaders are shown as URLs, with their credentials redacted: an OAuth
// redirect carries its authorization code in Location.
var urlHeaders = map[string]bool{"location": true, "content-location": true, "referer": true}

// ShownHeader reports whether the value of HTTP header name is shown. Names
// match case-insensitively.
func ShownHeader(name string) bool {
	n := lowerASCII(name)
	if shownHeaders[n] || urlHeaders[n] {
		return true
	}
	for _, p := range shownHeaderPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// headerValue redacts one value of header name.
func headerValue(name, v string) string {
	if !ShownHeader(name) {
		return Marker
	}
	if urlHeaders[lowerASCII(name)] {
		return URL(v)
	}
	// gitleaks' rules run once over the whole outcome, after this.
	return byRules(v)
}
