package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// TestDemoServesTheConsoleUntilStopped runs the demo as a newcomer would,
// without --exit: it prints the console's URL, the console shows events of
// all five kinds, the demo goes on after its script, and SIGTERM stops it
// cleanly.
func TestDemoServesTheConsoleUntilStopped(t *testing.T) {
	d := StartDemo(t, "--pace", "2ms")
	kinds := []subjects.Kind{subjects.KindValidation, subjects.KindMissingAccountMapping, subjects.KindAuthentication, subjects.KindPerform, subjects.KindDisabled}
	CheckFor(t, 60*time.Second, 100*time.Millisecond, func() error {
		resp, err := http.Get(d.Console + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		page := string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, "<h1>Integration events</h1>") {
			return fmt.Errorf("GET /: %d, not the events page:\n%.500s", resp.StatusCode, page)
		}
		for _, k := range kinds {
			if !strings.Contains(page, `data-event-name="`+k.EventName()+`"`) {
				return fmt.Errorf("no %s event on the page yet", k.EventName())
			}
		}
		return nil
	})
	d.WaitScriptDone(60 * time.Second)
	if !strings.Contains(d.Output(), "xero-umbrella is still disabled: re-enable it at "+d.Console+"/integrations/xero-umbrella") {
		t.Errorf("the demo does not point at the disabled integration:\n%s", d.Output())
	}
	if err := d.Terminate(30 * time.Second); err != nil {
		t.Fatalf("demo on SIGTERM: %v\n%s", err, d.Output())
	}
	if !strings.HasSuffix(d.Output(), "stopping the demo\n") {
		t.Errorf("no goodbye:\n%s", d.Output())
	}
	if _, err := http.Get(d.Console + "/healthz"); err == nil {
		t.Error("the console still answers after the demo stopped")
	}
}

// TestDemoSaysItsAddressIsTaken: an address asked for and in use is an
// error that says so and how to get a free port.
func TestDemoSaysItsAddressIsTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, err := cli(t, "demo", "--exit", "--http-listen", l.Addr().String())
	if err == nil || !strings.Contains(out, l.Addr().String()+", which is in use") || !strings.Contains(out, "--http-listen 127.0.0.1:0") {
		t.Fatalf("demo on a taken address: %v\n%s", err, out)
	}
}
