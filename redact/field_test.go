package redact_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
)

// The credentials of issue 8's field cases, each in the place a real
// provider put it, with the value it must become.

func TestNetSuiteSOAPPasswordElement(t *testing.T) {
	body := `<platformCore:email>ops@example.com</platformCore:email><platformCore:password>LEAKpw</platformCore:password>`
	out := redact.Exchange(&subjects.HTTPExchange{Request: &subjects.HTTPRequest{Method: "POST", Body: subjects.Body(body)}})
	want := `<platformCore:email>ops@example.com</platformCore:email><platformCore:password>` + R + `</platformCore:password>`
	if got := string(out.Request.Body); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestXMLElementsAndAttributesByName(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<tokenPassport><account>123</account><token>LEAKtok1</token><signature algorithm="HMAC-SHA256">LEAKsig1=</signature></tokenPassport>`,
			`<tokenPassport><account>123</account><token>` + R + `</token><signature algorithm="HMAC-SHA256">` + R + `</signature></tokenPassport>`},
		{`<passport email="a@b.c" password="LEAKpw2" account="9"/>`, `<passport email="a@b.c" password="` + R + `" account="9"/>`},
		{`<sessionId><![CDATA[00DLEAK3!x]]></sessionId>`, `<sessionId>` + R + `</sessionId>`},
		{"<ns1:clientSecret>\n  LEAK4\n</ns1:clientSecret>", "<ns1:clientSecret>" + R + "</ns1:clientSecret>"},
		// Cut off by the runner: still redacted.
		{`<platformCore:password>LEAKcut5`, `<platformCore:password>` + R},
		// Harmless elements are kept.
		{`<faultcode>soapenv:Server.userException</faultcode><faultstring>INVALID_LOGIN_ATTEMPT</faultstring>`,
			`<faultcode>soapenv:Server.userException</faultcode><faultstring>INVALID_LOGIN_ATTEMPT</faultstring>`},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestHeadersAreDefaultDeny(t *testing.T) {
	h := subjects.Headers{
		"X-SFDC-Session":        {"00DLEAKsess"},
		"X-Custom-Thing":        {"LEAKcustom"},
		"Content-Type":          {"application/json"},
		"Content-Length":        {"42"},
		"Accept":                {"*/*"},
		"User-Agent":            {"runner/1.2"},
		"Date":                  {"Sun, 29 Nov 2026 12:00:00 GMT"},
		"Retry-After":           {"30"},
		"X-RateLimit-Remaining": {"0"},
		"Sforce-Limit-Info":     {"api-usage=25/15000"},
		"X-Request-Id":          {"req-1"},
		"Request-Id":            {"req_2"},
		"intuit_tid":            {"1-abc"},
		"X-MinLimit-Remaining":  {"59"},
		"Sforce-Call-Options":   {"client=m3ter-sync"},
		"SOAPAction":            {"login"},
		"Location":              {"https://app.example.com/callback?code=LEAKloc&state=s1"},
	}
	out := redact.Exchange(&subjects.HTTPExchange{Response: &subjects.HTTPResponse{Status: 302, Headers: h}}).Response.Headers
	for name, want := range map[string]string{
		"X-SFDC-Session": R, "X-Custom-Thing": R,
		"Location": "https://app.example.com/callback?code=" + R + "&state=s1",
	} {
		if got := out[name]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"Content-Type", "Content-Length", "Accept", "User-Agent", "Date", "Retry-After", "X-RateLimit-Remaining", "Sforce-Limit-Info", "X-Request-Id", "Request-Id", "intuit_tid", "X-MinLimit-Remaining", "Sforce-Call-Options", "SOAPAction"} {
		if got := out[name]; len(got) != 1 || got[0] != h[name][0] {
			t.Errorf("%s = %q, want it shown as %q", name, got, h[name][0])
		}
	}
}

func TestOAuthParameters(t *testing.T) {
	if got, want := redact.URL("https://identity.xero.com/connect/token?code=LEAKqcode"), "https://identity.xero.com/connect/token?code="+R; got != want {
		t.Errorf("URL got %q, want %q", got, want)
	}
	form := subjects.Body("grant_type=authorization_code&code=LEAKfcode&code_verifier=LEAKpkce")
	// With or without a Content-Type: runners do not always log headers.
	for _, h := range []subjects.Headers{nil, {"Content-Type": {"application/x-www-form-urlencoded"}}} {
		out := redact.Exchange(&subjects.HTTPExchange{Request: &subjects.HTTPRequest{Method: "POST", Headers: h, Body: form}})
		if got, want := string(out.Request.Body), "grant_type=authorization_code&code="+R+"&code_verifier="+R; got != want {
			t.Errorf("form body (headers %v)\n got %q\nwant %q", h, got, want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"https://h/t?assertion=LEAKa1&client_assertion=LEAKa2&client_assertion_type=jwt-bearer", "https://h/t?assertion=" + R + "&client_assertion=" + R + "&client_assertion_type=jwt-bearer"},
		{"https://h/t?id_token=LEAKi&refresh_token=LEAKr&sig=LEAKs&sv=2024-01-01", "https://h/t?id_token=" + R + "&refresh_token=" + R + "&sig=" + R + "&sv=2024-01-01"},
		{"https://app/cb#access_token=LEAKfrag&token_type=bearer&expires_in=3600", "https://app/cb#access_token=" + R + "&token_type=bearer&expires_in=3600"},
		{"https://bob:LEAKpw@h/p", "https://" + R + ":" + R + "@h/p"},
		{"https://LEAKuseronly@h/p", "https://" + R + "@h/p"},
	} {
		if got := redact.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	// In a JSON body "code" is a provider's error code, which classification reads.
	out := redact.Exchange(&subjects.HTTPExchange{Response: &subjects.HTTPResponse{Body: `{"Fault":{"Error":[{"code":"3200","Message":"AuthenticationFailed"}]}}`}})
	if got := string(out.Response.Body); !strings.Contains(got, `"code":"3200"`) {
		t.Errorf("error code redacted: %s", got)
	}
}

func TestFreeText(t *testing.T) {
	tests := []struct{ in, want string }{
		// Issue 8's examples.
		{"invalid api key sk_live_LEAKmsg", "invalid api key " + R},
		{"password: LEAKpw", "password: " + R},
		{"Malformed bearer token: too short or too long", "Malformed bearer token: too short or too long"},
		// Authorization schemes.
		{"Authorization: Bearer LEAKb1.x-y_z", "Authorization: Bearer " + R},
		{"sent Basic dXNlcjpMRUFL==", "sent Basic " + R},
		{`Authorization: Digest username="bob", realm="api", nonce="n", response="LEAKdig"`, "Authorization: Digest " + R},
		{"Basic authentication is not enabled", "Basic authentication is not enabled"},
		{"Bearer token expired", "Bearer token expired"},
		// Cookies, to the end of the line.
		{"Cookie: sid=LEAKc1; lang=en\nnext line", "Cookie: " + R + "\nnext line"},
		{"set-cookie: BrowserId=LEAKc2; Path=/; HttpOnly", "set-cookie: " + R},
		// Pairs, with any of the credential names, but not prose.
		{"X-SFDC-Session: 00DLEAKsess", "X-SFDC-Session: " + R},
		{"client_secret='LEAK s p a c e'", "client_secret='" + R + "'"},
		{`{"refresh_token": "LEAKrt"}`, `{"refresh_token": "` + R + `"}`},
		{"token=abc=:def&x=1", "token=" + R + "&x=1"},
		{"INVALID_SESSION_ID: Session expired or invalid", "INVALID_SESSION_ID: Session expired or invalid"},
		{"Invalid API Key provided: expired", "Invalid API Key provided: expired"},
		{"statusCode: 500, errorCode=INVALID_LOGIN_ATTEMPT", "statusCode: 500, errorCode=INVALID_LOGIN_ATTEMPT"},
		// JSON Web Tokens and PEM private keys.
		{"id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJMRUFLIn0.c2lnbmF0dXJl here", "id " + R + " here"},
		{"key -----BEGIN RSA PRIVATE KEY-----\nMIIELEAK\n-----END RSA PRIVATE KEY----- end", "key " + R + " end"},
		{"cut -----BEGIN PRIVATE KEY-----\nMIIELEAKcut", "cut " + R},
		// Key formats, short or whole.
		{"rk_live_LEAK1 and whsec_LEAK2", R + " and " + R},
		{"AKIALEAK12345678 ASIALEAKABCDEFGH", R + " " + R},
		{"slack xoxb-LEAK-1 github ghp_LEAK2 github_pat_LEAK_3 google AIzaLEAK45678", "slack " + R + " github " + R + " " + R + " google " + R},
		// A whole key of a format only gitleaks' rules know: a SendGrid API key.
		{"mail failed with 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", "mail failed with " + R},
		// URLs in text.
		{"GET https://h/p?api_key=LEAKu&page=2 failed", "GET https://h/p?api_key=" + R + "&page=2 failed"},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestCredentialNames(t *testing.T) {
	for _, n := range []string{"X-SFDC-Session", "sessionId", "basicAuth", "auth", "pwd", "PASS", "sid", "credentials", "Proxy-Authorization", "passphrase"} {
		if !redact.CredentialName(n) {
			t.Errorf("CredentialName(%q) = false", n)
		}
	}
	for _, n := range []string{"author", "authority", "passed", "signal", "considered", "code", "errorCode", "statusCode", "grant_type"} {
		if redact.CredentialName(n) {
			t.Errorf("CredentialName(%q) = true", n)
		}
	}
	for _, n := range []string{"code", "CODE", "code_verifier", "assertion", "client_assertion", "sig", "id_token"} {
		if !redact.ParamName(n) {
			t.Errorf("ParamName(%q) = false", n)
		}
	}
}

func TestOutcomeRedactsEveryPlaceAndKeepsTheInput(t *testing.T) {
	o := subjects.RunOutcome{
		RunID: "r1", IntegrationID: "i1", Destination: "Stripe", Status: subjects.StatusFailed,
		EntityType: "Bill", EntityID: "bill token=LEAKent",
		Failure: &subjects.Failure{
			Stage: subjects.StagePerform, Message: "invalid api key sk_live_LEAKmsg",
			HTTP: &subjects.HTTPExchange{
				Request:  &subjects.HTTPRequest{URL: "https://api.stripe.com/v1/invoices?key=LEAKurl", Headers: subjects.Headers{"Authorization": {"Bearer LEAKhdr"}}, Body: "password=LEAKform"},
				Response: &subjects.HTTPResponse{Status: 401, Body: `{"error":{"message":"Invalid API Key provided: sk_live_LEAKbody","type":"invalid_request_error"}}`},
			},
		},
		Log: []subjects.LogEntry{{Message: "retrying with 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"}},
	}
	got := redact.Outcome(o)
	for _, s := range []string{got.EntityID, got.Failure.Message, got.Failure.HTTP.Request.URL, got.Failure.HTTP.Request.Headers["Authorization"][0],
		string(got.Failure.HTTP.Request.Body), string(got.Failure.HTTP.Response.Body), got.Log[0].Message} {
		if strings.Contains(s, "LEAK") || strings.Contains(s, "TwL2iG") {
			t.Errorf("credential kept: %q", s)
		}
		if !strings.Contains(s, R) {
			t.Errorf("no marker in %q", s)
		}
	}
	if o.Failure.Message != "invalid api key sk_live_LEAKmsg" || !strings.Contains(o.Log[0].Message, "TwL2iG") || o.EntityID != "bill token=LEAKent" {
		t.Error("Outcome changed its input")
	}
	// A success is stored as nothing but its run id: left as it is.
	ok := subjects.RunOutcome{Status: subjects.StatusSucceeded, Log: []subjects.LogEntry{{Message: "token=x1"}}}
	if redact.Outcome(ok).Log[0].Message != "token=x1" {
		t.Error("a success was redacted")
	}
}

// TestReviewedPlacements are placements a review found leaking or
// over-redacted, each with the value it must become.
func TestReviewedPlacements(t *testing.T) {
	tests := []struct{ in, want string }{
		// A scheme the rules did not know, and the rest of an Authorization line.
		{"Authorization: OAuth 00D5g000004LEAK!AQ4AQFkLEAK", "Authorization: OAuth " + R},
		{"Authorization: SSWS 00LEAKokta12", "Authorization: SSWS " + R},
		{"Authorization: Custom v=1 LEAKcustom", "Authorization: " + R},
		{"OAuth 2.0 is required", "OAuth 2.0 is required"},
		// A value followed by a colon.
		{"api_key=LEAK9x: invalid", "api_key=" + R + ": invalid"},
		{"login failed (password: LEAKpw2:) retry", "login failed (password: " + R + ":) retry"},
		{"X-SFDC-Session:00DLEAK9:", "X-SFDC-Session:" + R + ":"},
		// OAuth's parameters in a form written into text, and in a relative URL.
		{"token request: grant_type=authorization_code&code=LEAKfcode&code_verifier=LEAKpkce", "token request: grant_type=authorization_code&code=" + R + "&code_verifier=" + R},
		{"GET /services/oauth2/callback?code=LEAKqcode&state=s", "GET /services/oauth2/callback?code=" + R + "&state=s"},
		{"error code=INVALID_LOGIN", "error code=INVALID_LOGIN"},
		// Header dumps as Go, Python and escaped JSON print them.
		{"headers map[X-Sfdc-Session:[00DLEAKsess] Content-Type:[text/xml]]", "headers map[X-Sfdc-Session:[" + R + "] Content-Type:[text/xml]]"},
		{"{'X-SFDC-Session': '00DLEAKsess'}", "{'X-SFDC-Session': '" + R + "'}"},
		{`{\"password\":\"LEAKesc\"}`, `{\"password\":\"` + R + `\"}`},
		{`<param name="password">LEAKx</param>`, `<param name="password">` + R + `</param>`},
		// A plain word is prose only after names that occur in prose.
		{"password: letmein", "password: " + R},
		{"X-SFDC-Session: abcdefgh", "X-SFDC-Session: " + R},
		{"token: expired", "token: expired"},
		{"INVALID_SESSION_ID: Session expired or invalid", "INVALID_SESSION_ID: Session expired or invalid"},
		// No over-redaction by "key" inside other words.
		{"monkey=banana keyword=INVALID", "monkey=banana keyword=INVALID"},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	// JSON: OAuth's verifier and assertions by name, HAR headers by their
	// name field, and no number or boolean redacted.
	body := `{"grant_type":"authorization_code","code_verifier":"LEAKjcv","client_assertion":"LEAKca","code":"3200",` +
		`"headers":[{"name":"X-SFDC-Session","value":"00DLEAKhar"},{"name":"Accept","value":"*/*"}],"tokenExpired":true,"sessionTimeout":30,"keyword":"INVALID"}`
	out := redact.Exchange(&subjects.HTTPExchange{Response: &subjects.HTTPResponse{Body: subjects.Body(body)}})
	want := `{"client_assertion":"` + R + `","code":"3200","code_verifier":"` + R + `","grant_type":"authorization_code",` +
		`"headers":[{"name":"X-SFDC-Session","value":"` + R + `"},{"name":"Accept","value":"*/*"}],"keyword":"INVALID","sessionTimeout":30,"tokenExpired":true}`
	if got := string(out.Response.Body); got != want {
		t.Errorf("JSON body\n got %s\nwant %s", got, want)
	}
}

func TestOutcomeRedactsEveryField(t *testing.T) {
	o := subjects.RunOutcome{
		RunID: "r1", IntegrationID: "i1", Destination: "Salesforce password=LEAKdest", Status: subjects.StatusFailed,
		Failure: &subjects.Failure{Stage: subjects.StageMap, Message: "no mapping",
			Mapping: &subjects.Mapping{M3terEntity: "Account", M3terID: "password=LEAKmap", ExternalSystem: "Salesforce", ExternalTable: "Account"},
			HTTP:    &subjects.HTTPExchange{Request: &subjects.HTTPRequest{Method: "token=LEAKmethod", Headers: subjects.Headers{"Authorization: Bearer LEAKname": {"x"}}}}},
		Log: []subjects.LogEntry{{Step: "sid=LEAKstep", Level: "pwd=LEAKlevel", Message: "ok"}},
	}
	got := redact.Outcome(o)
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), "LEAK") {
		t.Errorf("a field kept its credential: %s", b)
	}
	if got.Failure.Mapping.M3terEntity != "Account" || got.Failure.Mapping.ExternalTable != "Account" {
		t.Errorf("mapping %+v", got.Failure.Mapping)
	}
}
