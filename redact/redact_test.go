package redact_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
)

const R = redact.Marker

func TestRedactHeaders(t *testing.T) {
	secret := []string{
		"Authorization", "authorization", "AUTHORIZATION",
		"Proxy-Authorization", "proxy-authorization",
		"Cookie", "COOKIE", "Set-Cookie", "set-cookie",
		"X-Api-Key", "x-api-key", "X-API-KEY",
		"X-Auth-Token", "x-auth-token",
		"X-Client-Secret", "X-Signature", "x-signature",
		"X-Amz-Security-Token", "Api-Key",
	}
	harmless := []string{"Content-Type", "Accept", "content-length", "User-Agent", "X-Request-Id", "Location"}
	h := subjects.Headers{}
	for _, name := range secret {
		h[name] = []string{"secret-" + name, "second-" + name}
	}
	for _, name := range harmless {
		h[name] = []string{"value-" + name}
	}
	orig := cloneHeaders(h)

	out := redact.Exchange(&subjects.HTTPExchange{
		Request:  &subjects.HTTPRequest{Headers: h},
		Response: &subjects.HTTPResponse{Headers: h},
	})
	for side, got := range map[string]subjects.Headers{"request": out.Request.Headers, "response": out.Response.Headers} {
		if len(got) != len(h) {
			t.Errorf("%s: %d headers, want %d", side, len(got), len(h))
		}
		for _, name := range secret {
			if v := got[name]; !reflect.DeepEqual(v, []string{R}) {
				t.Errorf("%s header %s = %q, want [%s]", side, name, v, R)
			}
			if redact.ShownHeader(name) {
				t.Errorf("ShownHeader(%q) = true", name)
			}
		}
		for _, name := range harmless {
			if v := got[name]; !reflect.DeepEqual(v, []string{"value-" + name}) {
				t.Errorf("%s header %s = %q, want it kept", side, name, v)
			}
			if !redact.ShownHeader(name) {
				t.Errorf("ShownHeader(%q) = false", name)
			}
		}
	}
	if !reflect.DeepEqual(h, orig) {
		t.Errorf("input headers mutated:\n%v\n%v", h, orig)
	}
}

func cloneHeaders(h subjects.Headers) subjects.Headers {
	out := subjects.Headers{}
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestSensitiveName(t *testing.T) {
	for _, n := range []string{"api_key", "apikey", "APIKEY", "access_token", "refresh_token", "client_secret", "password", "Passwd", "signature", "x-api-key", "token", "secretValue"} {
		if !redact.CredentialName(n) {
			t.Errorf("CredentialName(%q) = false", n)
		}
	}
	for _, n := range []string{"", "page", "limit", "name", "email", "id", "account", "currency", "state"} {
		if redact.CredentialName(n) {
			t.Errorf("CredentialName(%q) = true", n)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"https://api.example.com/v1/items", "https://api.example.com/v1/items"},
		{"https://api.example.com/v1/items?page=2&limit=10", "https://api.example.com/v1/items?page=2&limit=10"},
		{"https://h/p?api_key=K1", "https://h/p?api_key=" + R},
		{"https://h/p?apikey=K2&page=3", "https://h/p?apikey=" + R + "&page=3"},
		{"https://h/p?access_token=T1", "https://h/p?access_token=" + R},
		{"https://h/p?refresh_token=T2&grant_type=refresh_token", "https://h/p?refresh_token=" + R + "&grant_type=refresh_token"},
		{"https://h/p?client_id=abc&client_secret=S1", "https://h/p?client_id=abc&client_secret=" + R},
		{"https://h/p?user=bob&password=P1", "https://h/p?user=bob&password=" + R},
		{"https://h/p?signature=SIG1&expires=1700000000", "https://h/p?signature=" + R + "&expires=1700000000"},
		{"https://h/p?API_KEY=K3", "https://h/p?API_KEY=" + R},
		{"https://h/p?api%5Fkey=K4", "https://h/p?api%5Fkey=" + R},
		{"https://h/p?password=p%40ss%26word&q=a%20b", "https://h/p?password=" + R + "&q=a%20b"},
		{"https://h/p?token=T3#section", "https://h/p?token=" + R + "#section"},
		{"https://h/p?token", "https://h/p?token"},
		{"https://h/p?token=", "https://h/p?token=" + R},
		{"https://user:hunter2@h/p", "https://" + R + ":" + R + "@h/p"},
		{"https://user:hunter2@h/p?api_key=K5&x=1", "https://" + R + ":" + R + "@h/p?api_key=" + R + "&x=1"},
		{"https://user@h/p", "https://" + R + "@h/p"},
		// A URL that does not parse is redacted as text.
		{"http://h/%zz?token=T4", "http://h/%zz?token=" + R},
		{"http://admin:hunter2@h/%zz", "http://" + R + ":" + R + "@h/%zz"},
		{"nats://bo b:pw SECRET@127.0.0.1:1", "nats://" + R + "@127.0.0.1:1"},
		// A NATS token stands where a user name does.
		{"nats://fake-token-SECRET@127.0.0.1:4222", "nats://" + R + "@127.0.0.1:4222"},
	}
	for _, tt := range tests {
		if got := redact.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	// Parameters are redacted by name, whatever their position and repetition.
	got := redact.URL("https://h/p?page=2&access_token=T5&sort=name&access_token=T6")
	if want := "https://h/p?page=2&access_token=" + R + "&sort=name&access_token=" + R; got != want {
		t.Errorf("repeated parameter: got %q, want %q", got, want)
	}
}

func TestRedactURLs(t *testing.T) {
	if got, want := redact.URLs("nats://a:pw-SECRET@h1:4222, nats://tok-SECRET@h2:4222,nats://h3"), "nats://"+R+":"+R+"@h1:4222,nats://"+R+"@h2:4222,nats://h3"; got != want {
		t.Errorf("URLs: got %q, want %q", got, want)
	}
}

func TestRedactURLError(t *testing.T) {
	list := "nats://bob:pw-SECRET@127.0.0.1:port,nats://bo b:pw SECRET@h"
	for _, u := range strings.Split(list, ",") {
		_, perr := url.Parse(u)
		err := redact.URLError(fmt.Errorf("connect: %w", perr), list)
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("URLError kept the secret: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "@h") {
			t.Errorf("URLError lost the host: %v", err)
		}
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Errorf("URLError hides the wrapped *url.Error: %v", err)
		}
	}
	if redact.URLError(nil, list) != nil {
		t.Error("URLError(nil) is not nil")
	}
}

// jsonValue decodes s, failing the test if it is not JSON.
func jsonValue(t *testing.T, s subjects.Body) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("body %q is not JSON: %v", s, err)
	}
	return v
}

func TestRedactJSONBody(t *testing.T) {
	body := subjects.Body(`{
		"name": "Acme",
		"amount": 12345678901234567890,
		"password": "P1",
		"auth": {"client_secret": "S1", "client_id": "cid", "nested": {"apiKey": "K1", "depth": [1, 2]}},
		"account": {"client_secret": "S4", "client_id": "cid", "nested": {"apiKey": "K4", "depth": [1, 2]}},
		"items": [{"sku": "A", "access_token": "T1"}, {"sku": "B", "signature": {"alg": "hmac", "value": "SIG"}}],
		"tokens": ["T2", "T3"],
		"note": "<b>&</b>",
		"echo": {"Authorization": "Basic B1", "Cookie": "sid=C1", "X-Request-Id": "rid"},
		"message": "rejected header Bearer B2 for user bob"
	}`)
	out := redact.Exchange(&subjects.HTTPExchange{Request: &subjects.HTTPRequest{
		Headers: subjects.Headers{"Content-Type": {"application/json"}}, Body: body,
	}})
	got := jsonValue(t, out.Request.Body)
	want := jsonValue(t, subjects.Body(`{
		"name": "Acme",
		"amount": 12345678901234567890,
		"password": "`+R+`",
		"auth": "`+R+`",
		"account": {"client_secret": "`+R+`", "client_id": "cid", "nested": {"apiKey": "`+R+`", "depth": [1, 2]}},
		"items": [{"sku": "A", "access_token": "`+R+`"}, {"sku": "B", "signature": "`+R+`"}],
		"tokens": "`+R+`",
		"note": "<b>&</b>",
		"echo": {"Authorization": "`+R+`", "Cookie": "`+R+`", "X-Request-Id": "rid"},
		"message": "rejected header Bearer `+R+` for user bob"
	}`))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("redacted body\n got %s\nwant %v", out.Request.Body, want)
	}
	s := string(out.Request.Body)
	for _, secret := range []string{"P1", "S1", "K1", "S4", "K4", "T1", "T2", "T3", "SIG", "hmac", "B1", "C1", "B2"} {
		if strings.Contains(s, secret) {
			t.Errorf("body still contains %q: %s", secret, s)
		}
	}
	// Numbers keep their precision and HTML is not escaped.
	if !strings.Contains(s, "12345678901234567890") || !strings.Contains(s, "<b>&</b>") {
		t.Errorf("body re-encoded lossily: %s", s)
	}

	// A top-level array is walked too.
	arr := redact.Exchange(&subjects.HTTPExchange{Response: &subjects.HTTPResponse{
		Body: `[{"refresh_token":"RT"},[{"password":"PW"}],"plain"]`,
	}})
	if got, want := jsonValue(t, arr.Response.Body), jsonValue(t, subjects.Body(`[{"refresh_token":"`+R+`"},[{"password":"`+R+`"}],"plain"]`)); !reflect.DeepEqual(got, want) {
		t.Errorf("array body %s", arr.Response.Body)
	}
}

func TestRedactFormBody(t *testing.T) {
	body := subjects.Body("grant_type=refresh_token&refresh_token=RT1&client_id=cid&client_secret=CS1&scope=read+write")
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8", "Application/X-WWW-Form-Urlencoded"} {
		for _, key := range []string{"Content-Type", "content-type"} {
			h := subjects.Headers{key: {ct}}
			out := redact.Exchange(&subjects.HTTPExchange{Request: &subjects.HTTPRequest{Method: "POST", Headers: h, Body: body}})
			want := "grant_type=refresh_token&refresh_token=" + R + "&client_id=cid&client_secret=" + R + "&scope=read+write"
			if got := string(out.Request.Body); got != want {
				t.Errorf("%s: %s\n got %q\nwant %q", key, ct, got, want)
			}
		}
	}
	// Without a form content type, the body is treated as text: still redacted.
	out := redact.Exchange(&subjects.HTTPExchange{Request: &subjects.HTTPRequest{Body: body}})
	if s := string(out.Request.Body); strings.Contains(s, "RT1") || strings.Contains(s, "CS1") || !strings.Contains(s, "client_id=cid") {
		t.Errorf("text body %q", s)
	}
}

func TestRedactText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"nothing secret here", "nothing secret here"},
		{"token=abc", "token=" + R},
		{"password: hunter2", "password: " + R},
		{"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
			"Bearer " + R},
		{"Authorization: Bearer eyJhbGciOi.abc.def failed", "Authorization: Bearer " + R + " failed"},
		{"Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic " + R},
		{"request failed: api_key=K1&page=2", "request failed: api_key=" + R + "&page=2"},
		{`{"access_token":"abc","x":1}`, `{"access_token":"` + R + `","x":1}`},
		{`client_secret = "s3cr3t"`, `client_secret = "` + R + `"`},
		{"PASSWORD=Hunter2, user=bob", "PASSWORD=" + R + ", user=bob"},
		{"X-Api-Key: abc123", "X-Api-Key: " + R},
		{"dial https://admin:hunter2@db.example.com:5432 refused", "dial https://" + R + ":" + R + "@db.example.com:5432 refused"},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactExchangeNil(t *testing.T) {
	if redact.Exchange(nil) != nil {
		t.Error("Exchange(nil) != nil")
	}
	out := redact.Exchange(&subjects.HTTPExchange{})
	if out == nil || out.Request != nil || out.Response != nil {
		t.Errorf("empty exchange: %+v", out)
	}
}

func TestRedactLog(t *testing.T) {
	in := []subjects.LogEntry{
		{Step: "auth", Message: "got token=TOK1"},
		{Step: "perform", Message: "POST", HTTP: &subjects.HTTPExchange{Request: &subjects.HTTPRequest{
			URL: "https://h/p?api_key=KEY1", Headers: subjects.Headers{"Authorization": {"Basic QUJD"}},
		}}},
	}
	o := redact.Outcome(subjects.RunOutcome{Status: subjects.StatusFailed, Failure: &subjects.Failure{Stage: subjects.StagePerform}, Log: in})
	out := o.Log
	if len(out) != 2 || out[0].Step != "auth" || out[1].Message != "POST" {
		t.Fatalf("log %+v", out)
	}
	if out[0].Message != "got token="+R {
		t.Errorf("message %q", out[0].Message)
	}
	if out[1].HTTP.Request.URL != "https://h/p?api_key="+R || out[1].HTTP.Request.Headers["Authorization"][0] != R {
		t.Errorf("http %+v", out[1].HTTP.Request)
	}
	if in[0].Message != "got token=TOK1" || in[1].HTTP.Request.URL != "https://h/p?api_key=KEY1" || in[1].HTTP.Request.Headers["Authorization"][0] != "Basic QUJD" {
		t.Error("Outcome mutated its input")
	}
}

// TestRedactExchangeNoSecretSurvives builds a request and response full of
// credentials and checks that none of them appears in the marshalled result.
func TestRedactExchangeNoSecretSurvives(t *testing.T) {
	secrets := []string{
		"sEcReT00userinfo", "sEcReT01apikeyq", "sEcReT02accesstok", "sEcReT03bearer", "sEcReT04cookie",
		"sEcReT05xapikey", "sEcReT06jsonpw", "sEcReT07nested", "sEcReT08array", "sEcReT09setcookie",
		"sEcReT10respjson", "sEcReT11proxy", "sEcReT12sig", "sEcReT13clientsecret", "sEcReT14authtoken",
		"sEcReT15xsig", "sEcReT16refresh", "sEcReT17basic",
	}
	in := &subjects.HTTPExchange{
		Request: &subjects.HTTPRequest{
			Method: "POST",
			URL: "https://svc:" + secrets[0] + "@api.example.com/v2/sync?api_key=" + secrets[1] +
				"&access_token=" + secrets[2] + "&signature=" + secrets[12] + "&page=4",
			Headers: subjects.Headers{
				"Authorization":       {"Bearer " + secrets[3]},
				"Cookie":              {"session=" + secrets[4]},
				"X-Api-Key":           {secrets[5]},
				"Proxy-Authorization": {"Basic " + secrets[11]},
				"X-Auth-Token":        {secrets[14]},
				"X-Signature":         {secrets[15]},
				"Content-Type":        {"application/json"},
			},
			Body: subjects.Body(`{"user":"bob","password":"` + secrets[6] + `","auth":{"client_secret":"` + secrets[13] +
				`","inner":{"apiKey":"` + secrets[7] + `"}},"batch":[{"token":"` + secrets[8] + `"},{"refresh_token":{"v":"` + secrets[16] + `"}}]}`),
		},
		Response: &subjects.HTTPResponse{
			Status: 401,
			Headers: subjects.Headers{
				"set-cookie":       {"sid=" + secrets[9] + "; HttpOnly"},
				"WWW-Authenticate": {"Basic realm=x"},
			},
			Body: subjects.Body(`{"error":"invalid_token","echo":{"Authorization":"Basic ` + secrets[17] + `"},"access_token":"` + secrets[10] + `"}`),
		},
	}
	before, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if !strings.Contains(string(before), s) {
			t.Fatalf("fixture does not contain %s", s)
		}
	}
	out, err := json.Marshal(redact.Exchange(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(out), s) {
			t.Errorf("secret %s survived redaction: %s", s, out)
		}
	}
	if c := strings.Count(string(out), R); c < len(secrets) {
		t.Errorf("only %d redaction markers for %d secrets: %s", c, len(secrets), out)
	}
	// Harmless data is kept.
	for _, keep := range []string{`"method":"POST"`, `"status":401`, "page=4", "api.example.com/v2/sync", `\"user\":\"bob\"`, "invalid_token", "application/json"} {
		if !strings.Contains(string(out), keep) {
			t.Errorf("redaction lost %s: %s", keep, out)
		}
	}
	// The input is not mutated.
	after, _ := json.Marshal(in)
	if string(after) != string(before) {
		t.Errorf("Exchange mutated its input:\n%s\n%s", before, after)
	}
}
