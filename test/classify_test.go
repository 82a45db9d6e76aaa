package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// TestProviderCodesAndEmptyMessagesReachTheStoredEvents publishes two
// outcomes of issue 8 as a runner sends them, to a real serve process: a
// NetSuite INVALID_LOGIN_ATTEMPT answered 403, and a 502 with an empty
// failure.message, which used to be dead-lettered. It reads back the stored
// events' kind, message and remedy.
func TestProviderCodesAndEmptyMessagesReachTheStoredEvents(t *testing.T) {
	_, nc := startServe(t)
	dead := subscribe(t, nc, "integrations.deadletter")
	// The examples finished at 2026-11-29T12:00:00Z; an hour ago
	// here, so that a clock behind that time does not date them when
	// received (TestAFutureFinishedAtIsDatedWhenReceived).
	tail := `"status":"failed","finishedAt":"` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `"`
	PublishRaw(t, nc, "integrations.runs.ns-login", []byte(`{"runId":"r-login","integrationId":"ns-login","destination":"NetSuite",`+tail+
		`,"failure":{"stage":"perform","message":"INVALID_LOGIN_ATTEMPT: Invalid login attempt.","http":{"response":{"status":403}}}}`))
	PublishRaw(t, nc, "integrations.runs.ns-502", []byte(`{"runId":"r-502","integrationId":"ns-502","destination":"NetSuite",`+tail+
		`,"failure":{"stage":"perform","message":"","http":{"response":{"status":502}}}}`))

	byIntegration := map[string]Event{}
	CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		for _, e := range StoredEvents(t, nc) {
			byIntegration[e.Data.IntegrationID] = e
		}
		if len(byIntegration) != 2 {
			return fmt.Errorf("%d events stored, want 2", len(byIntegration))
		}
		return nil
	})
	if n := len(dead.all()); n != 0 {
		t.Fatalf("%d outcomes dead-lettered: %s", n, dead.all()[0].Header.Get(subjects.HeaderDeadLetterReason))
	}

	login := byIntegration["ns-login"]
	if login.Type != "integration.authentication.error" || login.Subject != "integrations.events.authentication.ns-login" {
		t.Errorf("NetSuite INVALID_LOGIN_ATTEMPT raised %s on %s", login.Type, login.Subject)
	}
	if d := login.Data; !strings.HasPrefix(d.Message, "NetSuite rejected the integration's credentials (HTTP 403): INVALID_LOGIN_ATTEMPT: Invalid login attempt. NetSuite refused") ||
		!strings.Contains(d.Remedy, "issue a new NetSuite access token") || !strings.HasSuffix(d.Message, d.Remedy) ||
		strings.Contains(d.Message, "..") || d.Error != "INVALID_LOGIN_ATTEMPT: Invalid login attempt." {
		t.Errorf("NetSuite login event: message %q, remedy %q, error %q", d.Message, d.Remedy, d.Error)
	}

	empty := byIntegration["ns-502"]
	if empty.Type != "integration.perform.error" {
		t.Errorf("empty 502 raised %s", empty.Type)
	}
	if d := empty.Data; d.Message != "NetSuite returned HTTP 502 when the integration sent the data, with no error message. Next: "+d.Remedy ||
		d.Remedy != "NetSuite had a server error: re-run the integration later, and check NetSuite's status page if it persists." {
		t.Errorf("empty 502 event: message %q, remedy %q", d.Message, d.Remedy)
	}
}
