package redact

import (
	"strings"
	"testing"
)

// unscreened is Text without the cheap screening, as it was before.
func unscreened(s string) string {
	return redactSecrets(textUserinfo.ReplaceAllString(s, "${1}"+Marker+"@"))
}

// FuzzRedactTextScreen holds the screening to never change what Text
// redacts.
func FuzzRedactTextScreen(f *testing.F) {
	for _, s := range []string{
		"", "plain words", "api_key=abc", "API_KEY: abc", `"Token": "x"`, "Authorization: Bearer abc.def",
		"basic dXNlcjpwYXNz", "https://user:pw@host/x", "HTTPS://USER:PW@HOST", "ſecret=abc", "\u212Aey=abc",
		"pass word", "signature:sig", "PaSsWd = hunter2", "no secrets, just a 500 from Salesforce",
		"x-api-key:k; client_secret=s&refresh_token=t", "ünïcode token=abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Text(s), unscreened(s); got != want {
			t.Fatalf("Text(%q) = %q, unscreened %q", s, got, want)
		}
	})
}

func BenchmarkRedactText(b *testing.B) {
	msg := strings.Repeat("Salesforce rejected the Invoice__c record: FIELD_CUSTOM_VALIDATION_EXCEPTION. ", 3)
	for b.Loop() {
		Text(msg)
	}
}
