package processor_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/subjects"
)

// failureWith returns a failure at stage whose HTTP response had status, or
// no HTTP exchange at all when status is 0.
func failureWith(stage subjects.Stage, status int) *subjects.Failure {
	f := &subjects.Failure{Stage: stage, Message: "it failed"}
	if status != 0 {
		f.HTTP = &subjects.HTTPExchange{Response: &subjects.HTTPResponse{Status: status}}
	}
	return f
}

func TestClassifyTable(t *testing.T) {
	statuses := []int{0, 200, 400, 401, 403, 404, 429, 500}
	// want[stage][status]; status 0 means no HTTP exchange.
	want := map[subjects.Stage]map[int]subjects.Kind{}
	for _, st := range statuses {
		for stage, kind := range map[subjects.Stage]subjects.Kind{
			subjects.StageValidate:     subjects.KindValidation,
			subjects.StageMap:          subjects.KindMissingAccountMapping,
			subjects.StageAuthenticate: subjects.KindAuthentication,
			subjects.StagePerform:      subjects.KindPerform,
		} {
			if want[stage] == nil {
				want[stage] = map[int]subjects.Kind{}
			}
			want[stage][st] = kind
		}
	}
	// The one HTTP-narrowed row: a 401 while performing is a credentials problem.
	want[subjects.StagePerform][401] = subjects.KindAuthentication

	if len(want) != len(subjects.Stages) {
		t.Fatalf("table covers %d stages, the contract has %d", len(want), len(subjects.Stages))
	}
	n := 0
	for _, stage := range subjects.Stages {
		for _, status := range statuses {
			name := fmt.Sprintf("%s/%d", stage, status)
			if status == 0 {
				name = string(stage) + "/none"
			}
			t.Run(name, func(t *testing.T) {
				rule, ok := processor.Classify("Acme ERP", failureWith(stage, status))
				kind := rule.Kind
				if !ok {
					t.Fatalf("no row matched")
				}
				if kind != want[stage][status] {
					t.Errorf("got %q, want %q", kind, want[stage][status])
				}
			})
			n++
		}
	}
	if n != 4*8 {
		t.Errorf("ran %d cases, want 32", n)
	}
}

func TestClassifyExplicitRows(t *testing.T) {
	tests := []struct {
		stage  subjects.Stage
		status int
		want   subjects.Kind
	}{
		{subjects.StagePerform, 401, subjects.KindAuthentication},
		{subjects.StagePerform, 403, subjects.KindPerform},
		{subjects.StagePerform, 500, subjects.KindPerform},
		{subjects.StagePerform, 0, subjects.KindPerform},
		{subjects.StageAuthenticate, 0, subjects.KindAuthentication},
		{subjects.StageAuthenticate, 200, subjects.KindAuthentication},
		{subjects.StageAuthenticate, 500, subjects.KindAuthentication},
		{subjects.StageValidate, 401, subjects.KindValidation},
		{subjects.StageMap, 401, subjects.KindMissingAccountMapping},
		{subjects.StageMap, 404, subjects.KindMissingAccountMapping},
	}
	for _, tt := range tests {
		if got, ok := processor.Classify("Acme ERP", failureWith(tt.stage, tt.status)); !ok || got.Kind != tt.want {
			t.Errorf("Classify(%s, %d) = %q, %v; want %q", tt.stage, tt.status, got.Kind, ok, tt.want)
		}
	}
}

func TestClassifyHTTPShapes(t *testing.T) {
	// A request without a response, or an exchange without either, is "no status".
	for _, h := range []*subjects.HTTPExchange{
		{},
		{Request: &subjects.HTTPRequest{Method: "POST"}},
		{Response: &subjects.HTTPResponse{}},
	} {
		f := &subjects.Failure{Stage: subjects.StagePerform, Message: "x", HTTP: h}
		if got, ok := processor.Classify("Acme ERP", f); !ok || got.Kind != subjects.KindPerform {
			t.Errorf("Classify(perform, %+v) = %q, %v", h, got.Kind, ok)
		}
	}
	// The 401 row looks at the response, not the request.
	f := &subjects.Failure{Stage: subjects.StagePerform, Message: "x", HTTP: &subjects.HTTPExchange{
		Request:  &subjects.HTTPRequest{Method: "POST", Headers: subjects.Headers{"Status": {"401"}}},
		Response: &subjects.HTTPResponse{Status: 401},
	}}
	if got, _ := processor.Classify("Acme ERP", f); got.Kind != subjects.KindAuthentication {
		t.Errorf("perform with response 401: got %q", got.Kind)
	}
}

func TestClassifyUnknownStage(t *testing.T) {
	for _, stage := range []subjects.Stage{"", "deploy", "Perform", "PERFORM"} {
		for _, status := range []int{0, 401} {
			if rule, ok := processor.Classify("Salesforce", failureWith(stage, status)); ok || rule.Kind != "" {
				t.Errorf("Classify(%q, %d) = %q, %v; want no match", stage, status, rule.Kind, ok)
			}
		}
	}
}

func TestClassificationTableShape(t *testing.T) {
	// Every kind except disabled is reachable, and every row names a contract stage.
	reached := map[subjects.Kind]bool{}
	stages := map[subjects.Stage]bool{}
	for _, s := range subjects.Stages {
		stages[s] = true
	}
	for i, r := range processor.Classification {
		if r.Stage == "" && r.Kind != subjects.KindAuthentication {
			t.Errorf("row %d: a row for both stages must raise an authentication error, or an authenticate failure could raise %s", i, r.Kind)
		}
		if r.Stage == subjects.StageAuthenticate && r.Kind != subjects.KindAuthentication {
			t.Errorf("row %d: an authenticate failure must raise an authentication error, not %s", i, r.Kind)
		}
		if len(r.Codes) > 0 && r.Destination == "" {
			t.Errorf("row %d: provider codes %v without a destination", i, r.Codes)
		}
		if r.Stage == "" {
			continue
		}
		if !stages[r.Stage] {
			t.Errorf("row %d: stage %q outside the contract", i, r.Stage)
		}
		if r.Kind == subjects.KindDisabled {
			t.Errorf("row %d: a failure never classifies as disabled", i)
		}
		reached[r.Kind] = true
	}
	for _, k := range subjects.FailureKinds {
		if !reached[k] {
			t.Errorf("kind %s is never raised", k)
		}
	}
	// A narrower row must come before the catch-all of its stage, or it never matches.
	catchAll := map[subjects.Stage]int{}
	for i, r := range processor.Classification {
		if r.Stage == "" {
			continue
		}
		if r.HTTPStatus == 0 && r.Destination == "" && len(r.Codes) == 0 {
			if _, seen := catchAll[r.Stage]; !seen {
				catchAll[r.Stage] = i
			}
			continue
		}
		if j, seen := catchAll[r.Stage]; seen {
			t.Errorf("row %d (%s %d) is shadowed by catch-all row %d", i, r.Stage, r.HTTPStatus, j)
		}
	}
}

// providerFailure is a failure at stage whose response had status and body,
// with message as the runner wrote it.
func providerFailure(stage subjects.Stage, status int, body, message string) *subjects.Failure {
	f := &subjects.Failure{Stage: stage, Message: message}
	if status != 0 || body != "" {
		f.HTTP = &subjects.HTTPExchange{Response: &subjects.HTTPResponse{Status: status, Body: subjects.Body(body)}}
	}
	return f
}

// rowOf returns the index of r in Classification, or -1.
func rowOf(r processor.Rule) int {
	for i, row := range processor.Classification {
		if reflect.DeepEqual(row, r) {
			return i
		}
	}
	return -1
}

// providerCase is a failure as a provider answers it, and what it must raise.
type providerCase struct {
	name    string
	dest    string
	failure *subjects.Failure
	kind    subjects.Kind
	// advice are words the remedy must contain; notAdvice words it must not.
	advice    []string
	notAdvice []string
}

// providerCases are realistic failures, in the shapes of each provider's
// error reference, including the examples of issue 8.
var providerCases = []providerCase{
	// Salesforce.
	{"salesforce REST session expired", "Salesforce", providerFailure(subjects.StagePerform, 401,
		`[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]`, "INVALID_SESSION_ID: Session expired or invalid"),
		subjects.KindAuthentication, []string{"session expired", "re-authorize the Salesforce connected app"}, nil},
	{"issue 8: salesforce Bulk API expired session answered 400", "Salesforce", providerFailure(subjects.StagePerform, 400,
		`<?xml version="1.0" encoding="UTF-8"?><error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>InvalidSessionId</exceptionCode><exceptionMessage>Invalid session id</exceptionMessage></error>`,
		"InvalidSessionId: Invalid session id"),
		subjects.KindAuthentication, []string{"re-authorize the Salesforce connected app"}, []string{"correct the field"}},
	{"salesforce Bulk API 2.0 JSON", "Salesforce", providerFailure(subjects.StagePerform, 400,
		`[{"errorCode":"InvalidSessionId","message":"Invalid session id"}]`, "bulk ingest failed"),
		subjects.KindAuthentication, []string{"re-authorize"}, []string{"correct the field"}},
	{"salesforce bad auth header", "salesforce", providerFailure(subjects.StagePerform, 401,
		`[{"message":"INVALID_HEADER_TYPE","errorCode":"INVALID_AUTH_HEADER"}]`, "unauthorized"),
		subjects.KindAuthentication, []string{"re-authorize"}, nil},
	{"salesforce refresh token revoked at sign-in", "Salesforce", providerFailure(subjects.StageAuthenticate, 400,
		`{"error":"invalid_grant","error_description":"expired access/refresh token"}`, "token refresh failed"),
		subjects.KindAuthentication, []string{"refresh token", "re-authorize the Salesforce connected app"}, nil},
	{"salesforce SOAP login refused", "Salesforce", providerFailure(subjects.StageAuthenticate, 500,
		`<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring></soapenv:Fault>`, "login failed"),
		subjects.KindAuthentication, []string{"security token changed", "re-authorize"}, []string{"re-run the integration later"}},
	{"salesforce no write access", "Salesforce", providerFailure(subjects.StagePerform, 400,
		`[{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY","fields":[]}]`, "INSUFFICIENT_ACCESS_OR_READONLY"),
		subjects.KindPerform, []string{"grant its profile or permission set edit access"}, []string{"correct the field"}},
	{"salesforce API limit", "Salesforce", providerFailure(subjects.StagePerform, 403,
		`[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, "limit"),
		subjects.KindPerform, []string{"API request allowance", "re-run the integration later"}, []string{"permission"}},

	// NetSuite.
	{"issue 8: netsuite RESTlet bad login answered 403", "NetSuite", providerFailure(subjects.StagePerform, 403,
		"", "INVALID_LOGIN_ATTEMPT: Invalid login attempt."),
		subjects.KindAuthentication, []string{"issue a new NetSuite access token"}, []string{"grant", "permission to write"}},
	{"netsuite REST web services invalid login", "NetSuite", providerFailure(subjects.StagePerform, 401,
		`{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html","title":"Unauthorized","status":401,"o:errorDetails":[{"detail":"Invalid login attempt.","o:errorCode":"INVALID_LOGIN"}]}`, "Unauthorized"),
		subjects.KindAuthentication, []string{"Login Audit Trail"}, nil},
	{"netsuite SOAP invalid credentials", "NetSuite", providerFailure(subjects.StagePerform, 500,
		`<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><detail><platformFaults:invalidCredentialsFault><platformFaults:code>INVALID_LOGIN_CREDENTIALS</platformFaults:code><platformFaults:message>You have entered an invalid email address or account number.</platformFaults:message></platformFaults:invalidCredentialsFault></detail></soapenv:Fault>`, "SOAP fault"),
		subjects.KindAuthentication, []string{"issue a new NetSuite access token"}, []string{"server error"}},
	{"netsuite role lacks a permission", "NetSuite", providerFailure(subjects.StagePerform, 400,
		`{"o:errorDetails":[{"detail":"Permission Violation: You need  the 'Lists -> Items' permission to access this page.","o:errorCode":"INSUFFICIENT_PERMISSION"}]}`, "Permission Violation"),
		subjects.KindPerform, []string{"add it to the role"}, []string{"correct the field"}},
	{"netsuite concurrency limit", "NetSuite", providerFailure(subjects.StagePerform, 500,
		`<platformFaults:exceededRequestLimitFault><platformFaults:code>WS_CONCUR_SESSION_DISALLWD</platformFaults:code><platformFaults:message>Only one request may be made against a session at a time</platformFaults:message></platformFaults:exceededRequestLimitFault>`, "fault"),
		subjects.KindPerform, []string{"concurrent request limit", "the next run retries"}, nil},
	{"netsuite RESTlet concurrency", "NetSuite", providerFailure(subjects.StagePerform, 400,
		`{"error":{"code":"SSS_REQUEST_LIMIT_EXCEEDED","message":"Request limit exceeded"}}`, "Request limit exceeded"),
		subjects.KindPerform, []string{"concurrent request limit"}, []string{"correct the field"}},

	// QuickBooks.
	{"quickbooks expired token", "QuickBooks", providerFailure(subjects.StagePerform, 401,
		`{"Fault":{"Error":[{"Message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","code":"3200"}],"type":"AUTHENTICATION"},"time":"2026-11-29T04:00:00.000-08:00"}`, "AuthenticationFailed"),
		subjects.KindAuthentication, []string{"reconnect the QuickBooks company"}, nil},
	{"quickbooks fault code only in the message", "QuickBooks", providerFailure(subjects.StagePerform, 0,
		"", "message=AuthenticationFailed; errorCode=003200; statusCode=401"),
		subjects.KindAuthentication, []string{"reconnect the QuickBooks company"}, nil},
	{"quickbooks lost access", "QuickBooks", providerFailure(subjects.StagePerform, 403,
		`{"Fault":{"Error":[{"Message":"message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403","code":"3100"}],"type":"SERVICE"}}`, "forbidden"),
		subjects.KindAuthentication, []string{"current QuickBooks admin"}, nil},
	{"quickbooks throttled", "QuickBooks", providerFailure(subjects.StagePerform, 429,
		`{"Fault":{"Error":[{"Message":"message=ThrottleExceeded; errorCode=003001; statusCode=429","Detail":"The request limit was reached.","code":"3001"}],"type":"SERVICE"}}`, "ThrottleExceeded"),
		subjects.KindPerform, []string{"500 requests a minute"}, nil},
	{"quickbooks duplicate name", "QuickBooks", providerFailure(subjects.StagePerform, 400,
		`{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer is already using this name.","code":"6240"}],"type":"ValidationFault"}}`, "Duplicate Name Exists Error"),
		subjects.KindPerform, []string{"map the m3ter record to the existing QuickBooks one"}, nil},
	{"quickbooks inactive reference, XML fault", "QuickBooks", providerFailure(subjects.StagePerform, 400,
		`<IntuitResponse><Fault type="ValidationFault"><Error code="610" element=""><Message>Object Not Found</Message><Detail>Something you're trying to use has been made inactive.</Detail></Error></Fault></IntuitResponse>`, "Object Not Found"),
		subjects.KindPerform, []string{"reactivate it"}, nil},
	{"quickbooks subscription ended", "QuickBooks", providerFailure(subjects.StagePerform, 400,
		`{"Fault":{"Error":[{"Message":"Invalid Company Status","code":"6190"}],"type":"ValidationFault"}}`, "Invalid Company Status"),
		subjects.KindPerform, []string{"renew it in QuickBooks"}, nil},

	// Xero.
	{"xero expired access token", "Xero", providerFailure(subjects.StagePerform, 401,
		`{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: token expired at 11/29/2026 11:58:00","Instance":"6489df60-8891-470e-9268-a9a43f5da71e","Extensions":{}}`, "Unauthorized"),
		subjects.KindAuthentication, []string{"reconnect the Xero organisation"}, nil},
	{"xero authentication unsuccessful", "Xero", providerFailure(subjects.StagePerform, 401,
		`{"title":"Unauthorized","status":401,"detail":"AuthenticationUnsuccessful","instance":"e3ec736b-3932-4630-a701-89098e09d5c9"}`, "Unauthorized"),
		subjects.KindAuthentication, []string{"reconnect the Xero organisation"}, nil},
	{"xero organisation disconnected", "Xero", providerFailure(subjects.StagePerform, 403,
		`{"Type":"AuthorizationUnsuccessful","Title":"Forbidden","Status":403,"Detail":"AuthorizationUnsuccessful"}`, "Forbidden"),
		subjects.KindAuthentication, []string{"granting every scope"}, []string{"give the Xero integration user permission"}},
	{"xero validation", "Xero", providerFailure(subjects.StagePerform, 400,
		`{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred","Elements":[{"ValidationErrors":[{"Message":"Account code '999' is not a valid code for this document."}]}]}`, "A validation exception occurred"),
		subjects.KindPerform, []string{"validation errors", "correct the field"}, nil},
	{"xero rate limit", "Xero", providerFailure(subjects.StagePerform, 429, "", "Too Many Requests"),
		subjects.KindPerform, []string{"5,000 a day"}, nil},

	// Chargebee.
	{"chargebee unknown key", "Chargebee", providerFailure(subjects.StagePerform, 401,
		`{"message":"Sorry, authentication failed. Invalid api key","type":"invalid_request","api_error_code":"api_authentication_failed","error_code":"api_authentication_invalid_key","error_msg":"Sorry, authentication failed. Invalid api key","http_status_code":401}`, "authentication failed"),
		subjects.KindAuthentication, []string{"replace the Chargebee API key"}, nil},
	{"chargebee read-only key", "Chargebee", providerFailure(subjects.StagePerform, 403,
		`{"message":"Sorry, the operation is not allowed for this API key","api_error_code":"api_authorization_failed","http_status_code":403}`, "not allowed"),
		subjects.KindAuthentication, []string{"full-access key"}, []string{"permission to write"}},
	{"chargebee wrong site", "Chargebee", providerFailure(subjects.StagePerform, 404,
		`{"message":"Sorry, we couldn't find that site","api_error_code":"site_not_found","http_status_code":404}`, "site not found"),
		subjects.KindAuthentication, []string{"correct the site name"}, []string{"no longer exists"}},
	{"chargebee missing record", "Chargebee", providerFailure(subjects.StagePerform, 404,
		`{"message":"Sorry, we couldn't find that resource","type":"invalid_request","api_error_code":"resource_not_found","http_status_code":404}`, "not found"),
		subjects.KindPerform, []string{"recreate it or update the external mapping"}, nil},
	{"chargebee wrong value", "Chargebee", providerFailure(subjects.StagePerform, 400,
		`{"message":"billing_address[country] : invalid country code","type":"invalid_request","api_error_code":"param_wrong_value","param":"billing_address[country]","http_status_code":400}`, "invalid country code"),
		subjects.KindPerform, []string{"the param it names"}, nil},
	{"chargebee rate limit", "Chargebee", providerFailure(subjects.StagePerform, 429,
		`{"message":"Sorry, access has been blocked temporarily due to request count exceeding acceptable limits.","api_error_code":"request_limit_exceeded","http_status_code":429}`, "blocked"),
		subjects.KindPerform, []string{"rate limiting the site"}, nil},
	{"chargebee maintenance", "Chargebee", providerFailure(subjects.StagePerform, 503,
		`{"message":"Site is under maintenance","api_error_code":"site_under_maintenance","http_status_code":503}`, "maintenance"),
		subjects.KindPerform, []string{"temporarily unavailable"}, nil},

	// Stripe.
	{"stripe expired key", "Stripe", providerFailure(subjects.StagePerform, 401,
		`{"error":{"code":"api_key_expired","doc_url":"https://stripe.com/docs/error-codes/api-key-expired","message":"Expired API Key provided","type":"invalid_request_error"}}`, "Expired API Key provided"),
		subjects.KindAuthentication, []string{"store a new Stripe restricted key"}, nil},
	{"stripe authentication error type", "Stripe", providerFailure(subjects.StagePerform, 403,
		`{"error":{"message":"The provided key does not have access","type":"authentication_error"}}`, "no access"),
		subjects.KindAuthentication, []string{"store a new Stripe restricted key"}, nil},
	{"stripe card needs 3-D Secure", "Stripe", providerFailure(subjects.StagePerform, 402,
		`{"error":{"code":"authentication_required","decline_code":"authentication_required","message":"Your card was declined. This transaction requires authentication.","type":"card_error"}}`, "This transaction requires authentication."),
		subjects.KindPerform, []string{"3-D Secure", "ask the customer to complete the authentication"}, []string{"key"}},
	{"stripe card declined", "Stripe", providerFailure(subjects.StagePerform, 402,
		`{"error":{"code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","type":"card_error"}}`, "Your card has insufficient funds."),
		subjects.KindPerform, []string{"update their payment method"}, nil},
	{"stripe missing object", "Stripe", providerFailure(subjects.StagePerform, 404,
		`{"error":{"code":"resource_missing","message":"No such customer: 'cus_123'","param":"customer","type":"invalid_request_error"}}`, "No such customer"),
		subjects.KindPerform, []string{"live or test"}, nil},
	{"stripe rate limit", "Stripe", providerFailure(subjects.StagePerform, 429,
		`{"error":{"code":"rate_limit","message":"Too many requests hit the API too quickly.","type":"invalid_request_error"}}`, "Too many requests"),
		subjects.KindPerform, []string{"rate limiting the account"}, nil},

	// Any destination.
	{"issue 8: quickbooks login service answered 500", "QuickBooks", providerFailure(subjects.StageAuthenticate, 500,
		"", "Unknown Error during Authentication, statusCode: 500"),
		subjects.KindAuthentication, []string{"not a rejected credential", "re-run the integration later"}, []string{"reconnect"}},
	{"login service 503 without a response, status from the message", "QuickBooks", providerFailure(subjects.StageAuthenticate, 0,
		"", "Unknown Error during Authentication, statusCode: 503"),
		subjects.KindAuthentication, []string{"re-run the integration later"}, []string{"reconnect"}},
	{"login service 502 at another destination", "Acme ERP", providerFailure(subjects.StageAuthenticate, 502, "<html>Bad Gateway</html>", "Bad Gateway"),
		subjects.KindAuthentication, []string{"Acme ERP's status page"}, []string{"update the Acme ERP credentials"}},
	{"login refused at an unknown destination", "Acme ERP", providerFailure(subjects.StageAuthenticate, 400, `{"error":"denied"}`, "denied"),
		subjects.KindAuthentication, []string{"update the Acme ERP credentials on the integration"}, nil},
	{"validation", "NetSuite", providerFailure(subjects.StageValidate, 0, "", "currency is missing"),
		subjects.KindValidation, []string{"Correct the"}, nil},
	{"mapping", "NetSuite", providerFailure(subjects.StageMap, 0, "", "no customer"),
		subjects.KindMissingAccountMapping, []string{"Create an external mapping"}, nil},
	{"perform 401 without a code", "Xero", providerFailure(subjects.StagePerform, 401, "", "unauthorized"),
		subjects.KindAuthentication, []string{"reconnect the Xero organisation"}, nil},
	{"perform 500 without a code", "Xero", providerFailure(subjects.StagePerform, 500, "oops", "server error"),
		subjects.KindPerform, []string{"server error", "re-run the integration later"}, nil},
}

// TestClassifyEveryRow runs every provider case and checks that together they
// reach every row of Classification: a new row without a case fails here.
func TestClassifyEveryRow(t *testing.T) {
	reached := map[int]bool{}
	for _, c := range providerCases {
		t.Run(c.name, func(t *testing.T) {
			rule, ok := processor.Classify(c.dest, c.failure)
			if !ok {
				t.Fatal("no row matched")
			}
			reached[rowOf(rule)] = true
			if rule.Kind != c.kind {
				t.Errorf("kind %s, want %s (row %d: %+v)", rule.Kind, c.kind, rowOf(rule), rule)
			}
			o := &subjects.RunOutcome{RunID: "r-1", IntegrationID: "i-1", Destination: c.dest, EntityType: "Bill", EntityID: "b-1",
				Status: subjects.StatusFailed, Failure: c.failure}
			message, remedy := processor.Message(rule, o)
			for _, w := range c.advice {
				if !strings.Contains(remedy, w) {
					t.Errorf("remedy %q lacks %q", remedy, w)
				}
			}
			for _, w := range c.notAdvice {
				if strings.Contains(remedy, w) {
					t.Errorf("remedy %q says %q", remedy, w)
				}
			}
			if !strings.HasSuffix(message, remedy) || strings.Contains(message, "..") {
				t.Errorf("message %q does not end with remedy %q once", message, remedy)
			}
		})
	}
	for i, r := range processor.Classification {
		if !reached[i] {
			t.Errorf("row %d (%s %s %d %v -> %s) has no case", i, r.Stage, r.Destination, r.HTTPStatus, r.Codes, r.Kind)
		}
	}
}

// TestClassifyEveryCode: each code of each row, alone in a code field,
// reaches its own row, so no earlier row shadows it.
func TestClassifyEveryCode(t *testing.T) {
	for i, r := range processor.Classification {
		stages := []subjects.Stage{r.Stage}
		if r.Stage == "" {
			stages = []subjects.Stage{subjects.StageAuthenticate, subjects.StagePerform}
		}
		for _, code := range r.Codes {
			for _, stage := range stages {
				for _, where := range []string{"body", "message"} {
					body, message := `{"code":"`+code+`"}`, "failed"
					if where == "message" {
						body, message = "", "code="+code+": failed"
					}
					got, ok := processor.Classify(r.Destination, providerFailure(stage, max(r.HTTPStatus, 400), body, message))
					if !ok || rowOf(got) != i {
						t.Errorf("%s %s in the %s at %s reaches row %d, want %d", r.Destination, code, where, stage, rowOf(got), i)
					}
				}
			}
		}
	}
}

// TestClassifyLookAlikes: text that only resembles a provider code does not
// match its row.
func TestClassifyLookAlikes(t *testing.T) {
	tests := []struct {
		name    string
		dest    string
		failure *subjects.Failure
		want    subjects.Kind
	}{
		{"stripe authentication_required is a card, not a key", "Stripe", providerFailure(subjects.StagePerform, 402,
			`{"error":{"code":"authentication_required","type":"card_error"}}`, "authentication required"), subjects.KindPerform},
		{"a code inside a longer word", "NetSuite", providerFailure(subjects.StagePerform, 400,
			`{"o:errorDetails":[{"o:errorCode":"INVALID_LOGIN_ATTEMPTS_LOG"}]}`, "X_INVALID_LOGIN failed"), subjects.KindPerform},
		{"a code in another case", "Salesforce", providerFailure(subjects.StagePerform, 400,
			`[{"errorCode":"invalid_session_id"}]`, "bad"), subjects.KindPerform},
		{"another destination's code", "Stripe", providerFailure(subjects.StagePerform, 400,
			`{"api_error_code":"api_authentication_failed"}`, "api_authentication_failed"), subjects.KindPerform},
		{"salesforce code sent to netsuite", "NetSuite", providerFailure(subjects.StagePerform, 400,
			`[{"errorCode":"INVALID_SESSION_ID"}]`, "bad"), subjects.KindPerform},
		{"a QuickBooks fault number in text", "QuickBooks", providerFailure(subjects.StagePerform, 400,
			`{"Fault":{"Error":[{"Message":"Amount 3200 exceeds the limit","code":"6000"}]}}`, "amount 3200 is too high"), subjects.KindPerform},
		{"a QuickBooks fault number inside a longer one", "QuickBooks", providerFailure(subjects.StagePerform, 400,
			`{"Fault":{"Error":[{"code":"13200"}]}}`, "bad"), subjects.KindPerform},
		{"a QuickBooks fault number as a status code", "QuickBooks", providerFailure(subjects.StagePerform, 400,
			`{"statusCode":"3200"}`, "bad"), subjects.KindPerform},
		{"a provider code in the request, not the response", "Salesforce", &subjects.Failure{Stage: subjects.StagePerform, Message: "bad",
			HTTP: &subjects.HTTPExchange{Request: &subjects.HTTPRequest{Body: `{"note":"INVALID_SESSION_ID"}`}, Response: &subjects.HTTPResponse{Status: 400}}},
			subjects.KindPerform},
		{"an authenticate failure keeps its kind whatever the code", "Stripe", providerFailure(subjects.StageAuthenticate, 402,
			`{"error":{"code":"authentication_required"}}`, "x"), subjects.KindAuthentication},
		{"a validate failure keeps its kind whatever the code", "NetSuite", providerFailure(subjects.StageValidate, 0,
			"", "INVALID_LOGIN_ATTEMPT"), subjects.KindValidation},
	}
	for _, tt := range tests {
		rule, ok := processor.Classify(tt.dest, tt.failure)
		if !ok || rule.Kind != tt.want {
			t.Errorf("%s: got %s (row %d), want %s", tt.name, rule.Kind, rowOf(rule), tt.want)
		}
		// Stripe's authentication_required has its own perform row.
		if len(rule.Codes) > 0 && (tt.dest != "Stripe" || !strings.Contains(rule.Advice, "3-D Secure")) {
			t.Errorf("%s: matched provider code row %d %v", tt.name, rowOf(rule), rule.Codes)
		}
	}
}

// TestClassifyCodeFarIntoALongBody: codes are looked for in the first 64 KiB,
// where providers put them; beyond that a failure falls to the status rows.
func TestClassifyCodeFarIntoALongBody(t *testing.T) {
	pad := strings.Repeat("x", 70<<10)
	near := providerFailure(subjects.StagePerform, 403, `{"error":"INVALID_LOGIN_ATTEMPT","trace":"`+pad+`"}`, "")
	if r, _ := processor.Classify("NetSuite", near); r.Kind != subjects.KindAuthentication {
		t.Errorf("code at the start of a 70 KiB body: %s", r.Kind)
	}
	far := providerFailure(subjects.StagePerform, 403, `{"trace":"`+pad+`","error":"INVALID_LOGIN_ATTEMPT"}`, "")
	if r, _ := processor.Classify("NetSuite", far); r.Kind != subjects.KindPerform {
		t.Errorf("code after 70 KiB: %s", r.Kind)
	}
}

func TestFailureStatus(t *testing.T) {
	tests := []struct {
		f    *subjects.Failure
		want int
	}{
		{providerFailure(subjects.StagePerform, 502, "", "statusCode: 500"), 502},
		{providerFailure(subjects.StageAuthenticate, 0, "", "Unknown Error during Authentication, statusCode: 500"), 500},
		{providerFailure(subjects.StagePerform, 0, "", "message=AuthenticationFailed; errorCode=003200; statusCode=401"), 401},
		{providerFailure(subjects.StagePerform, 0, "", `{"statusCode":"429"}`), 429},
		{providerFailure(subjects.StagePerform, 0, "", "statusCode: 5000"), 0},
		{providerFailure(subjects.StagePerform, 0, "", "httpstatusCode: 500"), 0},
		{providerFailure(subjects.StagePerform, 0, "", "statusCode: 50"), 0},
		{providerFailure(subjects.StagePerform, 0, "", "no status here"), 0},
	}
	for _, tt := range tests {
		if got := processor.FailureStatus(tt.f); got != tt.want {
			t.Errorf("FailureStatus(%q) = %d, want %d", tt.f.Message, got, tt.want)
		}
	}
}
