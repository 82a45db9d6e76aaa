package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

// TestDemoStopsOnCtrlC gives the demo its pace in a --config file, stops it
// with SIGINT in the middle of its script, as Ctrl-C does, and checks that
// it exits 0 and removes its data directory. A key that is serve's, not the
// demo's, is refused.
func TestDemoStopsOnCtrlC(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "serve.yaml")
	if err := os.WriteFile(bad, []byte("disable-after: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, "demo", "--exit", "--config", bad); err == nil || !strings.Contains(out, `config `+bad+`: unknown key "disable-after"`) {
		t.Fatalf("demo with a serve key: %v\n%s", err, out)
	}
	cfg := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(cfg, []byte("pace: 2ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := StartDemo(t, "--config", cfg)
	m := regexp.MustCompile(`data in (\S+)`).FindStringSubmatch(d.Output())
	if m == nil {
		t.Fatalf("the demo does not say where its data is:\n%s", d.Output())
	}
	if err := d.Interrupt(30 * time.Second); err != nil {
		t.Fatalf("demo on SIGINT: %v\n%s", err, d.Output())
	}
	if !strings.HasSuffix(d.Output(), "stopping the demo\n") {
		t.Errorf("no goodbye:\n%s", d.Output())
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the demo stopped: %v", m[1], err)
	}
}
