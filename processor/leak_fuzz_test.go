package processor_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
)

// credentialNames are names of every rule that marks a credential by name.
var credentialNames = []string{
	"password", "api_key", "X-Api-Key", "access_token", "client_secret", "sessionId", "X-SFDC-Session",
	"signature", "passwd", "pwd", "auth", "credentials", "refresh_token", "Cookie", "apiKey",
}

// oauthNames are OAuth's credential parameters, for query and form places.
var oauthNames = []string{"code", "code_verifier", "assertion", "client_assertion", "id_token", "sig"}

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
// credentials, chosen by place and variant, and the credential as placed;
// text surrounds the free-text places on lines of its own.
func placed(place, variant uint8, cred, text string) (subjects.RunOutcome, string) {
	pick := func(list []string) string { return list[int(variant)%len(list)] }
	name := pick(credentialNames)
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
	switch place % 16 {
	case 0:
		h := pick([]string{"X-SFDC-Session", "Authorization", "X-Custom", "Api-Token", "X-Whatever-" + name})
		req.Headers[h] = []string{pick([]string{"", "Bearer ", "Basic ", "session="}) + cred}
		return o, cred
	case 1:
		req.URL = "https://h.example.com/v1/x?page=2&" + pick(append(oauthNames, credentialNames...)) + "=" + cred
		return o, cred
	case 2:
		req.URL = "https://user:" + cred + "@h.example.com/x"
		return o, cred
	case 3:
		req.URL = "https://" + cred + "@h.example.com/x"
		return o, cred
	case 4:
		b, _ := json.Marshal(map[string]any{"a": 1, "nested": []any{map[string]any{name: cred, "text": text}}})
		resp.Body = subjects.Body(b)
		return o, cred
	case 5:
		req.Body = subjects.Body("grant_type=authorization_code&" + pick(append(oauthNames, credentialNames...)) + "=" + cred)
		return o, cred
	case 6:
		snippet = "<ns:" + name + ">" + cred + "</ns:" + name + ">"
	case 7:
		snippet = "<x " + name + `="` + cred + `"/>`
	case 8:
		snippet = pick([]string{name + "=" + cred, name + ": " + cred, `"` + name + `": "` + cred + `"`, name + " = '" + cred + "'"})
	case 9:
		snippet = pick([]string{"Bearer ", "Basic ", "Token ", "Negotiate ", `Digest username="u", response="`}) + cred
	case 10:
		snippet = pick([]string{"Cookie: a=", "Set-Cookie: sid=", "cookie: "}) + cred
	case 11:
		snippet = "eyJ" + cred + ".eyJ" + cred + "." + cred
	case 12:
		snippet = "-----BEGIN RSA PRIVATE KEY-----\n" + cred + "\n-----END RSA PRIVATE KEY-----"
	case 13:
		p := pick(keyPrefixes)
		if strings.HasPrefix(p, "A") && p != "AIza" {
			cred = strings.ToUpper(cred)
		}
		snippet = p + cred
	case 14:
		snippet = "GET https://h.example.com/p?" + pick(append(oauthNames, credentialNames...)) + "=" + cred + "&page=2"
	case 15:
		snippet = "https://" + pick([]string{"u:", ""}) + cred + "@db.example.com/x"
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
	for place := range uint8(16) {
		for _, variant := range []uint8{0, 1, 2, 3, 4, 5, 16, 33, 50, 67} {
			f.Add(place, variant, "seed", "Salesforce rejected the request")
		}
	}
	f.Add(uint8(8), uint8(0), "s", "token=")
	f.Add(uint8(8), uint8(1), "s", `say "`)
	f.Fuzz(func(t *testing.T, place, variant uint8, seed, text string) {
		o, cred := placed(place, variant, credential(seed), text)
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
			next, tr := processor.ApplyOutcome(before, &a, 7, 20)
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
					t.Fatalf("%s holds the credential %s placed at %d/%d:\n%s", what, cred, place%16, variant, out)
				}
			}
			if !strings.Contains(string(outputs["event "+string(tr.Kind)]), redact.Marker) {
				t.Fatalf("event holds no %s marker: %s", redact.Marker, outputs["event "+string(tr.Kind)])
			}
		}
	})
}
