package test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// TestServerURLSecretsAreRedacted gives serve and the client commands
// server URLs carrying a token or a user and password, right and wrong,
// and checks that no secret reaches a status reply (NATS and HTTP), the
// status command's text or JSON, a connection error, or serve's log.
func TestServerURLSecretsAreRedacted(t *testing.T) {
	tokens := startExternal(t, &server.Options{Authorization: "fake-token-SECRET1"})
	users := startExternal(t, &server.Options{Users: []*server.User{{Username: "bob", Password: "fake-pass-SECRET2"}}})
	withCreds := func(s *server.Server, userinfo string) string {
		return strings.Replace(s.ClientURL(), "://", "://"+userinfo+"@", 1)
	}
	for _, tc := range []struct {
		name, url string
		as        nats.Option
	}{
		{"token", withCreds(tokens, "fake-token-SECRET1"), nats.Token("fake-token-SECRET1")},
		{"user and password", withCreds(users, "bob:fake-pass-SECRET2"), nats.UserInfo("bob", "fake-pass-SECRET2")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			httpListen := FreePort(t)
			s := StartServe(t, t.TempDir(), FreePort(t), "--nats-url", tc.url, "--http-listen", httpListen)
			nc, _ := ConnectAs(t, tc.url, tc.as)
			var seen []string
			st, err := operator.NewClient(nc, subjects.Default()).Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(st.Server.URL, "[REDACTED]@") {
				t.Errorf("status over NATS: server URL %q, want the credentials redacted", st.Server.URL)
			}
			reply, _ := json.Marshal(st)
			seen = append(seen, "NATS status reply: "+string(reply))

			resp, err := http.Get("http://" + httpListen + "/api/status")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "[REDACTED]@") {
				t.Errorf("GET /api/status: %d\n%s", resp.StatusCode, body)
			}
			seen = append(seen, "GET /api/status: "+string(body))

			for _, args := range [][]string{{"status", "--server", tc.url}, {"status", "--json", "--server", tc.url}} {
				out, err := cli(t, args...)
				if err != nil || !strings.Contains(out, "[REDACTED]@") {
					t.Errorf("%s: %v\n%s", strings.Join(args[:2], " "), err, out)
				}
				seen = append(seen, strings.Join(args[:2], " ")+": "+out)
			}
			seen = append(seen, "serve: "+s.Output())
			for _, text := range seen {
				if strings.Contains(text, "SECRET") {
					t.Errorf("a secret of the URL shows in %s", text)
				}
			}
		})
	}

	// A wrong password in the URL: reported as refused, reachable, and
	// not printed.
	wrong := withCreds(users, "bob:fake-wrong-SECRET3")
	out, err := cli(t, "status", "--server", wrong)
	if err == nil || !strings.Contains(out, "[REDACTED]") || strings.Contains(out, "SECRET") ||
		!strings.Contains(out, "reachable, authentication refused (check the credentials): ") ||
		!strings.Contains(out, "error: NATS server refused authentication: connect to nats://[REDACTED]:[REDACTED]@") {
		t.Errorf("status with a wrong password: %v\n%s", err, out)
	}
	st, printed, err := statusJSON(t, wrong)
	if err == nil || strings.Contains(printed, "SECRET") || !st.Server.Reachable || !st.Server.AuthRefused ||
		!strings.Contains(st.Server.Error, "Authorization Violation") || !strings.Contains(st.Server.URL, "[REDACTED]") {
		t.Errorf("status --json with a wrong password: %v\n%s", err, printed)
	}
	// events list and status with NATS_URL, a wrong token and a URL that
	// does not parse.
	for _, url := range []string{withCreds(tokens, "fake-wrong-SECRET4"), withCreds(users, "bob:fake-wrong-SECRET5") + "x"} {
		cmd := exec.Command(Binary(t), "status")
		cmd.Env = append(os.Environ(), "NATS_URL="+url)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Server        nats://[REDACTED]@") && !strings.Contains(string(out), "Server        nats://[REDACTED]:[REDACTED]@") ||
			strings.Contains(string(out), "SECRET") {
			t.Errorf("status with NATS_URL=%s: %v\n%s", url, err, out)
		}
		cmd = exec.Command(Binary(t), "events", "list")
		cmd.Env = append(os.Environ(), "NATS_URL="+url)
		out, err = cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "connect to") || strings.Contains(string(out), "SECRET") {
			t.Errorf("events list with NATS_URL=%s: %v\n%s", url, err, out)
		}
	}
}
