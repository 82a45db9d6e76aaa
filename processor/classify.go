package processor

import (
	"net/http"
	"strings"

	"github.com/integration-events/integration-events/subjects"
)

// Rule is one row of the classification table. A row matches a failure when
// every field it sets matches; the fields it leaves empty match anything.
type Rule struct {
	// Stage is the failure's stage. Empty means authenticate or perform, the
	// two stages that talk to the destination; such a row must raise an
	// authentication error, so the contract (an authenticate failure is
	// always one) holds.
	Stage subjects.Stage
	// Destination narrows the row to one destination, compared without case.
	Destination string
	// HTTPStatus narrows the row to a response status; with HTTPStatusMax, to
	// the statuses HTTPStatus to HTTPStatusMax.
	HTTPStatus    int
	HTTPStatusMax int
	// Codes narrows the row to failures that carry one of these provider
	// error codes, as the provider writes them (case matters), as a whole
	// token of the response body or of failure.message: "INVALID_LOGIN" is
	// not found in "INVALID_LOGIN_ATTEMPT". A code of digits only (QuickBooks
	// fault codes) counts only as the value of a code field, such as
	// "code":"3200", code="3200" or errorCode=003200, never as a number in
	// text.
	Codes []string
	Kind  subjects.Kind
	// Cause, when set, replaces the kind's opening sentence of the message.
	// Advice, when set, is the remedy. Both may use {destination} and
	// {status}.
	Cause  string
	Advice string
}

// Classification is the table that maps a failed run to the kind of event it
// raises and the remedy it suggests. The first matching row wins, so narrower
// rows come first: provider error codes, then statuses, then stages. The
// codes come from each provider's public error reference, cited per block.
var Classification = []Rule{
	// Salesforce. REST API "Status Codes and Error Responses"
	// (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm),
	// SOAP API ExceptionCode (INVALID_LOGIN, INVALID_SESSION_ID), Bulk API
	// "Errors" (api_asynch/asynch_api_reference_errors.htm: InvalidSessionId),
	// OAuth token endpoint errors (invalid_grant).
	{Destination: "Salesforce", Codes: []string{"INVALID_SESSION_ID", "InvalidSessionId", "INVALID_AUTH_HEADER"}, Kind: subjects.KindAuthentication,
		Advice: "The Salesforce session expired or was revoked and could not be renewed: go to the integration and re-authorize the Salesforce connected app, then re-run it."},
	{Destination: "Salesforce", Codes: []string{"invalid_grant", "INVALID_LOGIN"}, Kind: subjects.KindAuthentication,
		Advice: "Salesforce refused the integration user's login or refresh token (revoked, expired, or the password or security token changed): go to the integration and re-authorize the Salesforce connected app, then re-run it."},
	{Stage: subjects.StagePerform, Destination: "Salesforce", Codes: []string{"INSUFFICIENT_ACCESS_OR_READONLY", "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY"}, Kind: subjects.KindPerform,
		Advice: "The Salesforce integration user may not write this record or a record it refers to: grant its profile or permission set edit access to the object and the record's sharing, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Salesforce", Codes: []string{"REQUEST_LIMIT_EXCEEDED"}, Kind: subjects.KindPerform,
		Advice: "The Salesforce org has used its API request allowance (24-hour total or concurrent requests): re-run the integration later, or ask Salesforce for a higher limit if this repeats."},

	// NetSuite. REST web services "Error Handling in REST Web Services"
	// (docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156570709583.html:
	// INVALID_LOGIN), RESTlet token-based authentication (INVALID_LOGIN_ATTEMPT),
	// SOAP web services FaultCodeType (INVALID_LOGIN_CREDENTIALS,
	// WS_PERMISSION_REQD, WS_CONCUR_SESSION_DISALLWD), concurrency governance
	// (WS_REQUEST_BLOCKED, SSS_REQUEST_LIMIT_EXCEEDED).
	{Destination: "NetSuite", Codes: []string{"INVALID_LOGIN_ATTEMPT", "INVALID_LOGIN", "INVALID_LOGIN_CREDENTIALS"}, Kind: subjects.KindAuthentication,
		Advice: "NetSuite refused the integration's token-based login (token revoked, role changed, or wrong account ID; the Login Audit Trail says which): go to the integration and issue a new NetSuite access token for the integration role, update the consumer and token credentials, then re-run it."},
	{Stage: subjects.StagePerform, Destination: "NetSuite", Codes: []string{"INSUFFICIENT_PERMISSION", "WS_PERMISSION_REQD"}, Kind: subjects.KindPerform,
		Advice: "The NetSuite integration role lacks a permission this record needs: add it to the role (Setup > Users/Roles > Manage Roles), then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "NetSuite", Codes: []string{"WS_CONCUR_SESSION_DISALLWD", "WS_REQUEST_BLOCKED", "SSS_REQUEST_LIMIT_EXCEEDED"}, Kind: subjects.KindPerform,
		Advice: "NetSuite refused the request because the account's concurrent request limit was reached: the next run retries; if this repeats, spread the integrations' schedules or raise the account's concurrency limit."},

	// QuickBooks Online. Intuit "Error codes" and "Handling common errors"
	// (developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes,
	// .../handling-common-errors), the fault body
	// {"Fault":{"Error":[{"Message","Detail","code"}],"type"}}, and OAuth 2.0
	// token errors (invalid_grant).
	{Destination: "QuickBooks", Codes: []string{"3200", "AuthenticationFailed", "invalid_grant"}, Kind: subjects.KindAuthentication,
		Advice: "QuickBooks no longer accepts the integration's tokens (refresh token expired after 100 days, or the app was disconnected): go to the integration and reconnect the QuickBooks company, then re-run it."},
	{Destination: "QuickBooks", Codes: []string{"3100", "120", "ApplicationAuthorizationFailed", "AuthorizationFailed"}, Kind: subjects.KindAuthentication,
		Advice: "The QuickBooks user who connected the company no longer has access to it (removed, no longer an admin, or the subscription lapsed): ask a current QuickBooks admin to reconnect the company on the integration, then re-run it."},
	{Stage: subjects.StagePerform, Destination: "QuickBooks", Codes: []string{"ThrottleExceeded", "3001"}, Kind: subjects.KindPerform,
		Advice: "QuickBooks is throttling the integration (500 requests a minute per company): the next run retries; run it less often if this repeats."},
	{Stage: subjects.StagePerform, Destination: "QuickBooks", Codes: []string{"6240", "6210"}, Kind: subjects.KindPerform,
		Advice: "QuickBooks already has a record with this name or document number: map the m3ter record to the existing QuickBooks one, or change the name or number, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "QuickBooks", Codes: []string{"610"}, Kind: subjects.KindPerform,
		Advice: "The record refers to a QuickBooks object (customer, item or account) that was deleted or made inactive: reactivate it or update the external mapping, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "QuickBooks", Codes: []string{"6190"}, Kind: subjects.KindPerform,
		Advice: "The QuickBooks company's subscription has ended or has a billing problem, so it takes no new data: renew it in QuickBooks, then re-run the integration."},

	// Xero. "HTTP response codes and errors"
	// (developer.xero.com/documentation/api/accounting/responsecodes): 401
	// {"Title":"Unauthorized","Detail":"AuthenticationUnsuccessful"} or
	// "TokenExpired: ...", 403 AuthorizationUnsuccessful, 400
	// {"Type":"ValidationException"}, 429 with X-Rate-Limit-Problem; Xero
	// identity OAuth 2.0 errors (invalid_grant).
	{Destination: "Xero", Codes: []string{"AuthenticationUnsuccessful", "TokenExpired", "invalid_grant"}, Kind: subjects.KindAuthentication,
		Advice: "Xero no longer accepts the integration's tokens (access not refreshed in time, or consent lapsed after 60 days without a refresh): go to the integration and reconnect the Xero organisation, then re-run it."},
	{Destination: "Xero", Codes: []string{"AuthorizationUnsuccessful"}, Kind: subjects.KindAuthentication,
		Advice: "The Xero connection does not give the integration access to this organisation or API (the organisation was disconnected, or a scope is missing): go to the integration and reconnect the Xero organisation, granting every scope it asks for, then re-run it."},
	{Stage: subjects.StagePerform, Destination: "Xero", Codes: []string{"ValidationException"}, Kind: subjects.KindPerform,
		Advice: "Xero rejected the data: open the failed response for its validation errors, correct the field it names in m3ter or in the field mappings, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Xero", HTTPStatus: http.StatusTooManyRequests, Kind: subjects.KindPerform,
		Advice: "Xero is rate limiting the organisation (60 calls a minute and 5,000 a day per organisation; the X-Rate-Limit-Problem header says which): the next run retries; run it less often if this repeats."},

	// Chargebee. API "Error handling" (apidocs.chargebee.com/docs/api/error-handling)
	// and the api_error_code enums of chargebee-java v4 (README, "Per-HTTP-Status
	// API Error Code Enums"): {"api_error_code","error_code","type","message"}.
	{Destination: "Chargebee", Codes: []string{"api_authentication_failed", "basic_authentication_failed"}, Kind: subjects.KindAuthentication,
		Advice: "Chargebee did not recognise the integration's API key (deleted, or from another site): go to the integration and replace the Chargebee API key with an active full-access key for the right site, then re-run it."},
	{Destination: "Chargebee", Codes: []string{"api_authorization_failed"}, Kind: subjects.KindAuthentication,
		Advice: "The Chargebee API key on the integration may not make this call (a read-only or restricted key): go to the integration and replace it with a full-access key, then re-run it."},
	{Destination: "Chargebee", Codes: []string{"site_not_found"}, Kind: subjects.KindAuthentication,
		Advice: "The Chargebee site named on the integration does not exist (renamed, or a test site name on a live connection): go to the integration and correct the site name and its API key, then re-run it."},
	{Stage: subjects.StagePerform, Destination: "Chargebee", Codes: []string{"resource_not_found"}, Kind: subjects.KindPerform,
		Advice: "The Chargebee record the integration refers to does not exist: recreate it or update the external mapping, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Chargebee", Codes: []string{"param_wrong_value", "duplicate_entry"}, Kind: subjects.KindPerform,
		Advice: "Chargebee rejected a value: open the failed response for the param it names, correct it in m3ter or in the field mappings, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Chargebee", Codes: []string{"request_limit_exceeded", "operation_limit_exceeded"}, Kind: subjects.KindPerform,
		Advice: "Chargebee is rate limiting the site: the next run retries; run it less often if this repeats."},
	{Stage: subjects.StagePerform, Destination: "Chargebee", Codes: []string{"site_not_ready", "site_migrating", "site_under_maintenance"}, Kind: subjects.KindPerform,
		Advice: "The Chargebee site is temporarily unavailable (being set up, migrated or maintained): re-run the integration later."},

	// Stripe. "Error codes" (docs.stripe.com/error-codes) and the ErrorCode and
	// ErrorType constants of stripe-go (error.go): {"error":{"type","code",...}}.
	// authentication_required is a card that needs 3-D Secure, not a bad key,
	// so it is a perform error.
	{Destination: "Stripe", Codes: []string{"api_key_expired", "authentication_error"}, Kind: subjects.KindAuthentication,
		Advice: "Stripe rejected the integration's API key (expired, rolled or deleted): go to the integration and store a new Stripe restricted key with write access to the objects it syncs, then re-run it."},
	{Stage: subjects.StagePerform, Destination: "Stripe", Codes: []string{"authentication_required"}, Kind: subjects.KindPerform,
		Advice: "The customer's bank requires 3-D Secure authentication for this payment, which the integration cannot complete: ask the customer to complete the authentication (for example from Stripe's hosted invoice page) or to use another payment method, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Stripe", Codes: []string{"card_declined"}, Kind: subjects.KindPerform,
		Advice: "The customer's card was declined: ask the customer to update their payment method, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Stripe", Codes: []string{"resource_missing"}, Kind: subjects.KindPerform,
		Advice: "The Stripe object the integration refers to does not exist in this account or mode (live or test): recreate it or update the external mapping, then re-run the integration."},
	{Stage: subjects.StagePerform, Destination: "Stripe", Codes: []string{"rate_limit", "rate_limit_error"}, Kind: subjects.KindPerform,
		Advice: "Stripe is rate limiting the account: the next run retries; run it less often if this repeats."},

	// Any destination. The contract: an authenticate failure is always an
	// authentication error, but one answered 5xx is the provider's login
	// service failing, not the credentials; a 401 while performing is a
	// credentials problem.
	{Stage: subjects.StageAuthenticate, HTTPStatus: 500, HTTPStatusMax: 599, Kind: subjects.KindAuthentication,
		Cause:  "{destination}'s login service failed with HTTP {status} when the integration signed in",
		Advice: "This is a fault at {destination}, not a rejected credential, so the credentials need no change: re-run the integration later, and check {destination}'s status page if it persists."},
	{Stage: subjects.StageValidate, Kind: subjects.KindValidation},
	{Stage: subjects.StageMap, Kind: subjects.KindMissingAccountMapping},
	{Stage: subjects.StageAuthenticate, Kind: subjects.KindAuthentication},
	{Stage: subjects.StagePerform, HTTPStatus: http.StatusUnauthorized, Kind: subjects.KindAuthentication},
	{Stage: subjects.StagePerform, Kind: subjects.KindPerform},
}

// maxCodeScan bounds how much of the response body and of failure.message is
// searched for provider codes: providers put them at the start, and a failure
// message may be hundreds of kilobytes.
const maxCodeScan = 64 << 10

// Classify returns the first row of Classification that a failure at
// destination matches. Pure and deterministic. A validated failure always
// matches a row; ok is false only for a stage outside the contract.
func Classify(destination string, f *subjects.Failure) (rule Rule, ok bool) {
	if i := classify(destination, f); i >= 0 {
		return Classification[i], true
	}
	return Rule{}, false
}

// classify returns the index of the row Classify returns, or -1. The body
// and message are each searched at most once per row with codes.
func classify(destination string, f *subjects.Failure) int {
	status := FailureStatus(f)
	body := ""
	if f.HTTP != nil && f.HTTP.Response != nil {
		body = string(f.HTTP.Response.Body)
	}
	body, message := prefix(body, maxCodeScan), prefix(f.Message, maxCodeScan)
	for i := range Classification {
		r := &Classification[i]
		switch {
		case r.Stage == "" && f.Stage != subjects.StageAuthenticate && f.Stage != subjects.StagePerform,
			r.Stage != "" && r.Stage != f.Stage,
			r.Destination != "" && !strings.EqualFold(r.Destination, destination),
			r.HTTPStatus != 0 && r.HTTPStatusMax == 0 && status != r.HTTPStatus,
			r.HTTPStatusMax != 0 && (status < r.HTTPStatus || status > r.HTTPStatusMax):
			continue
		}
		if len(r.Codes) > 0 && !hasCode(r.Codes, body) && !hasCode(r.Codes, message) {
			continue
		}
		return i
	}
	return -1
}

// FailureStatus is the HTTP status a failure reports: its response's, or,
// when the runner sent no response, the statusCode its message quotes, as
// QuickBooks SDKs write "statusCode: 500" or "statusCode=401". 0 when none.
func FailureStatus(f *subjects.Failure) int {
	if f.HTTP != nil && f.HTTP.Response != nil && f.HTTP.Response.Status != 0 {
		return f.HTTP.Response.Status
	}
	msg := prefix(f.Message, maxCodeScan)
	for i := 0; ; {
		j := strings.Index(msg[i:], "statusCode")
		if j < 0 {
			return 0
		}
		k := i + j + len("statusCode")
		i = k
		if k-len("statusCode") > 0 && isWordByte(msg[k-len("statusCode")-1]) {
			continue
		}
		for k < len(msg) && (msg[k] == ' ' || msg[k] == ':' || msg[k] == '=' || msg[k] == '"') {
			k++
		}
		n, d := 0, 0
		for ; k < len(msg) && d < 4 && msg[k] >= '0' && msg[k] <= '9'; k, d = k+1, d+1 {
			n = n*10 + int(msg[k]-'0')
		}
		if d == 3 && (k == len(msg) || !isWordByte(msg[k])) && n >= 100 {
			return n
		}
	}
}

// prefix returns at most the first n bytes of s.
func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// hasCode reports whether text carries one of codes as a whole token.
func hasCode(codes []string, text string) bool {
	if text == "" {
		return false
	}
	for _, c := range codes {
		if findCode(text, c) {
			return true
		}
	}
	return false
}

// findCode reports whether code occurs in text as a whole token: not inside
// a longer word of letters, digits and underscores. A code of digits only
// must also be the value of a code field, and may carry leading zeros, as
// QuickBooks writes errorCode=003200.
func findCode(text, code string) bool {
	numeric := isDigits(code)
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], code)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(code)
		i = start + 1
		if end < len(text) && isWordByte(text[end]) {
			continue
		}
		if numeric {
			for start > 0 && text[start-1] == '0' {
				start--
			}
		}
		if start > 0 && isWordByte(text[start-1]) {
			continue
		}
		if numeric && !afterCodeField(text[:start]) {
			continue
		}
		return true
	}
	return false
}

// codeFields are the names under which providers put a numeric error code:
// QuickBooks {"code":"3200"}, <Error code="3200">, errorCode=003200.
var codeFields = []string{"code", "Code", "errorCode", "ErrorCode", "error_code"}

// afterCodeField reports whether before ends with a code field's name and
// its separator, such as `"code":"`, `code="` or `errorCode=`.
func afterCodeField(before string) bool {
	before = strings.TrimRight(before, "\"' \t:=")
	for _, f := range codeFields {
		if strings.HasSuffix(before, f) {
			rest := before[:len(before)-len(f)]
			if rest == "" || !isWordByte(rest[len(rest)-1]) {
				return true
			}
		}
	}
	return false
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
