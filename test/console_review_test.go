package test

import (
	"net/url"
	"strings"
	"testing"
)

// TestConsoleActionedBannerTakesOnlyACount: the banner after actioning
// shows the count the redirect wrote, and nothing a link made up.
func TestConsoleActionedBannerTakesOnlyACount(t *testing.T) {
	s := StartServe(t, t.TempDir(), FreePort(t), "--http-listen", FreePort(t))
	for q, want := range map[string]string{
		"2":                                 "Marked 2 events as actioned.",
		"1":                                 "Marked 1 event as actioned.",
		"all of your invoices; call +1 555": "",
		"2 events. Your session expired":    "",
		"-1":                                "",
		"1e9":                               "",
	} {
		code, body := consoleGet(t, s, "/?"+url.Values{"actioned": {q}}.Encode())
		if code != 200 {
			t.Fatalf("actioned=%q: %d", q, code)
		}
		switch {
		case want != "" && !strings.Contains(body, `class="flash" role="status">`+want+`</p>`):
			t.Errorf("actioned=%q: no banner %q", q, want)
		case want == "" && (strings.Contains(body, "Marked") || strings.Contains(body, `class="flash"`)):
			t.Errorf("actioned=%q: a banner shows it", q)
		}
	}
}
