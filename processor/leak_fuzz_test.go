package processor_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
)

// credentialNames are names of every rule that marks a credential by name.
var credentialNames = []string{
	"password", "api_key", "X-Api-Key", "access_token", "client_secret", "sessionId", "X-SFDC-Session",
	"signature", "passwd", "pwd", "auth", "credentials", "refresh_token", "Cookie", "apiKey", "code_verifier",
	"client_assertion", "Authorization", "PASSWORD", "privateKey",
}

// paramNames are the names that carry credentials as query and form
// parameters: every credential name, and OAuth's code and sig.
var paramNames = append([]string{"code", "sig"}, credentialNames...)

// keyPrefixes are documented prefixes of provider keys.
var keyPrefixes = []string{"sk_live_", "rk_live_", "sk_test_", "whsec_", "xoxb-", "xoxp-", "ghp_", "github_pat_", "glpat-", "AIza", "AKIA", "ASIA"}

// credential makes a credential from seed: 20 characters that are
// unlikely to stand anywhere else, with an upper-case letter and a digit,
// as generated keys have.
func credential(seed string) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte(seed))
	b := []byte("Q7")
	for _, c := range sum[:18] {
		b = append(b, alnum[int(c)%len(alnum)])
	}
	return string(b)
}

// placed is an outcome with cred in one of the places runners put
// credentials, chosen by place, in a shape chosen by variant and style, and
// the credential as placed; text surrounds the free-text places on lines of
// their own.
func placed(place, variant, style uint8, cred, text string) (subjects.RunOutcome, string) {
	pick := func(list []string, by uint8) string { return list[int(by)%len(list)] }
	name := pick(credentialNames, variant)
	o := subjects.RunOutcome{
		RunID: "run-1", IntegrationID: fuzzIntegration, Destination: "Salesforce", Status: subjects.StatusFailed,
		FinishedAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
		Failure: &subjects.Failure{Stage: subjects.StagePerform, Message: "request failed", HTTP: &subjects.HTTPExchange{
			Request:  &subjects.HTTPRequest{Method: "POST", URL: "https://h.example.com/v1/x", Headers: subjects.Headers{"Content-Type": {"application/json"}}},
			Response: &subjects.HTTPResponse{Status: 400},
		}},
	}
	req, resp := o.Failure.HTTP.Request, o.Failure.HTTP.Response
	var snippet string
	switch place % 20 {
	case 0:
		h := pick([]string{"X-SFDC-Session", "Authorization", "X-Custom", "Api-Token", "X-Whatever-" + name}, variant)
		req.Headers[h] = []string{pick([]string{"", "Bearer ", "Basic ", "session=", "OAuth "}, style) + cred}
		return o, cred
	case 1:
		req.URL = "https://h.example.com/v1/x?page=2&" + pick(paramNames, variant) + "=" + cred + pick([]string{"", "&x=1", "#f"}, style)
		return o, cred
	case 2:
		req.URL = "https://user:" + cred + "@h.example.com/x"
		return o, cred
	case 3:
		req.URL = "https://" + cred + "@h.example.com/x"
		return o, cred
	case 4:
		var v any = map[string]any{"a": 1, "nested": []any{map[string]any{name: cred, "text": text}}}
		if style%2 == 1 {
			v = map[string]any{"headers": []any{map[string]any{pick([]string{"name", "key"}, style/2): name, "value": cred}}}
		}
		b, _ := json.Marshal(v)
		resp.Body = subjects.Body(b)
		return o, cred
	case 5:
		req.Body = subjects.Body("grant_type=authorization_code&" + pick(paramNames, variant) + "=" + cred)
		return o, cred
	case 6:
		snippet = "<ns:" + name + ">" + cred + "</ns:" + name + ">"
	case 7:
		snippet = "<x " + name + `="` + cred + `"/>`
	case 8:
		snippet = `<param name="` + name + `">` + cred + "</param>"
	case 9:
		sep := pick([]string{"=", ": ", ":", " = ", "\t=\t"}, style)
		quote := pick([]string{"", `"`, "'", `\"`}, style/5)
		trail := pick([]string{"", ":", ".", ")", ",", ";"}, style/20)
		snippet = quote + name + quote + sep + quote + cred + quote + trail
	case 10:
		snippet = pick([]string{"Bearer ", "Basic ", "Token ", "Negotiate ", `Digest username="u", response="`, "OAuth ", "SSWS ", "ApiKey "}, style) + cred
	case 11:
		snippet = pick([]string{"Cookie: a=", "Set-Cookie: sid=", "cookie: "}, style) + cred
	case 12:
		snippet = "eyJ" + cred + ".eyJ" + cred + "." + cred
	case 13:
		p := pick(keyPrefixes, variant)
		if strings.HasPrefix(p, "A") && p != "AIza" {
			cred = strings.ToUpper(cred)
		}
		snippet = p + cred
	case 14:
		snippet = "GET https://h.example.com/p?" + pick(paramNames, variant) + "=" + cred + "&page=2"
	case 15:
		snippet = "https://" + pick([]string{"u:", ""}, style) + cred + "@db.example.com/x"
	case 16:
		snippet = "GET /services/oauth2/callback?" + pick(paramNames, variant) + "=" + cred + "&state=s"
	case 17:
		snippet = "token request: grant_type=authorization_code&" + pick(paramNames, variant) + "=" + cred
	case 18:
		snippet = "headers map[" + name + ":[" + cred + "] Accept:[*/*]]"
	case 19:
		in := pick([]string{"password=", "Bearer ", "token: "}, style) + cred
		switch variant % 6 {
		case 0:
			o.Destination = in
		case 1:
			o.Failure.Stage = subjects.StageMap
			o.Failure.Mapping = &subjects.Mapping{M3terEntity: "Account", M3terID: in}
		case 2:
			o.Log = []subjects.LogEntry{{Step: in, Message: "x"}}
		case 3:
			o.Log = []subjects.LogEntry{{Level: in, Message: "x"}}
		case 4:
			req.Method = in
		case 5:
			req.Headers["Authorization: "+in] = []string{"x"}
		}
		return o, cred
	}
	s := text + "\n" + snippet + "\n" + text
	switch variant / 16 % 5 {
	case 0:
		o.Failure.Message = s
	case 1:
		o.Log = []subjects.LogEntry{{Message: s}}
	case 2:
		resp.Body = subjects.Body(s)
	case 3:
		o.Log = []subjects.LogEntry{{Message: "POST", HTTP: &subjects.HTTPExchange{Request: &subjects.HTTPRequest{Body: subjects.Body(s)}}}}
	case 4:
		o.EntityID = s
	}
	return o, cred
}

// FuzzNoCredentialReachesAnOutput places a generated credential in every
// place runners put them and checks that none of what an outcome becomes
// holds it: its events as stored, the disable command and the counter as
// stored in KV (which integrations.get and the CLI show as they are).
func FuzzNoCredentialReachesAnOutput(f *testing.F) {
	for place := range uint8(20) {
		for _, variant := range []uint8{0, 1, 2, 3, 4, 5, 16, 33, 50, 67} {
			for _, style := range []uint8{0, 1, 6, 27, 45} {
				f.Add(place, variant, style, "seed", "Salesforce rejected the request")
			}
		}
	}
	f.Add(uint8(9), uint8(0), uint8(0), "s", "token=")
	f.Add(uint8(9), uint8(1), uint8(0), "s", `say "`)
	f.Fuzz(func(t *testing.T, place, variant, style uint8, seed, text string) {
		o, cred := placed(place, variant, style, credential(seed), text)
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), cred) {
			t.Fatalf("the outcome does not hold the credential %s: %s", cred, data)
		}
		a, err := processor.Admit(fuzzIntegration, data, o.FinishedAt)
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		for _, before := range []subjects.FailureCounter{{}, {IntegrationID: fuzzIntegration, ConsecutiveFailures: 19, DisableAfter: 20}} {
			next, tr := processor.ApplyOutcome(before, &a, 7, policy.After(20).Top())
			eff := processor.BuildEffects(&next, &a, tr)
			events, err := processor.StoredEvents(fuzzIntegration, eff)
			if err != nil {
				t.Fatal(err)
			}
			outputs := map[string][]byte{}
			for _, ev := range events {
				outputs["event "+string(ev.Kind)] = ev.CloudEvent
			}
			outputs["disable command"], _ = json.Marshal(eff.Disable)
			outputs["counter"], _ = json.Marshal(next)
			for what, out := range outputs {
				if strings.Contains(string(out), cred) {
					t.Fatalf("%s holds the credential %s placed at %d/%d/%d:\n%s", what, cred, place%20, variant, style, out)
				}
			}
			// The marker shows where the credential was, unless bounding the
			// field after redaction cut it off.
			if ev := string(outputs["event "+string(tr.Kind)]); !strings.Contains(ev, redact.Marker) && !strings.Contains(ev, "[truncated: ") {
				t.Fatalf("event holds no %s marker: %s", redact.Marker, outputs["event "+string(tr.Kind)])
			}
		}
	})
}
