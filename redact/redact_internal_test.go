package redact

import (
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/report"
)

// unscreened is byRules without the screening: every rule, always.
func unscreened(s string) string {
	if s == "" {
		return s
	}
	for _, r := range textRules {
		s = r.apply(s)
	}
	return s
}

// FuzzRedactTextScreen holds the screening to never change what Text
// redacts.
func FuzzRedactTextScreen(f *testing.F) {
	for _, s := range []string{
		"", "plain words", "api_key=abc", "API_KEY: abc", `"Token": "x"`, "Authorization: Bearer abc.def",
		"basic dXNlcjpwYXNz", "https://user:pw@host/x", "HTTPS://USER:PW@HOST", "ſecret=abc", "\u212Aey=abc",
		"pass word", "signature:sig", "PaSsWd = hunter2", "no secrets, just a 500 from Salesforce",
		"x-api-key:k; client_secret=s&refresh_token=t", "ünïcode token=abc", "Cookie: sid=abc1",
		"<ns:password>pw1</ns:password>", "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "key sk_live_abc123", "https://h/cb?code=abc#access_token=x",
		"token=:", "password: :", "Authorization: ", `"token": ""`, "key:[", `\"password\":\"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := byRules(s), unscreened(s); got != want {
			t.Fatalf("byRules(%q) = %q, unscreened %q", s, got, want)
		}
	})
}

func BenchmarkRedactText(b *testing.B) {
	msg := strings.Repeat("Salesforce rejected the Invoice__c record: FIELD_CUSTOM_VALIDATION_EXCEPTION. ", 3)
	for b.Loop() {
		Text(msg)
	}
}

// BenchmarkRedactAdversarial redacts 1 MiB texts built to make a rule
// rescan what it has read (many names with no value end, unclosed quotes,
// CDATA and PEM blocks): each must stay linear, near the others' MB/s.
func BenchmarkRedactAdversarial(b *testing.B) {
	for name, unit := range map[string]string{
		"authorization": "Authorization: ",
		"redacted-auth": "Authorization: Bearer abc123XYZ ",
		"cdata":         "<password><![CDATA[",
		"pem":           "-----BEGIN PRIVATE KEY-----",
		"cookie":        "Cookie: ",
		"bearer":        "Bearer ",
		"single-quote":  `'password': '`,
		"prose":         "token: expired ",
		"escaped":       `\"password\":\"`,
		"brackets":      "key:[",
		"urls":          "https://a@b?code=",
	} {
		s := strings.Repeat(unit, 1<<20/len(unit))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				Text(s)
			}
		})
	}
}

// FuzzKeyDetectorFinds holds keyDetector.find, which runs the rules whose
// keywords the text holds one by one, to what gitleaks' detector finds
// with all of its rules.
func FuzzKeyDetectorFinds(f *testing.F) {
	for _, s := range []string{
		"", "plain words", "invalid api key sk_live_4eC39HqLyjWDarjtT1zdp7dc",
		"aws AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"token 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 and xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
		`{"Name":"run-1","client_secret":"sekret-body"}`, "kind: Secret\ndata:\n  password: cGFzc3dvcmQxMjM0NTY3OA==",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n-----END RSA PRIVATE KEY-----",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"glpat-abcdefghij0123456789 AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY sk_test_abcdefghijklmnopqrstuvwx",
	} {
		f.Add(s)
	}
	secrets := func(fs []report.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.RuleID+"\x00"+f.Secret)
		}
		slices.Sort(out)
		return out
	}
	f.Fuzz(func(t *testing.T, s string) {
		kd := detector()
		if got, want := secrets(kd.find(s)), secrets(kd.detector.DetectString(s)); !slices.Equal(got, want) {
			t.Fatalf("find(%q) = %q, the detector finds %q", s, got, want)
		}
	})
}
