package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/config"
	"github.com/integration-events/integration-events/fault"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// keyFlags are serve's flags as configuration keys: all but --help and
// --config (a file does not name another).
func keyFlags(cmd *cobra.Command) []*pflag.Flag {
	var out []*pflag.Flag
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != config.FlagName {
			out = append(out, f)
		}
	})
	return out
}

func noEnv() []string { return nil }

// TestExampleConfigurationHoldsEveryServeFlagAtItsDefault loads
// deploy/integration-events.yaml through the loader serve uses: every serve
// flag must be a key of it, at its default, and it must pass the checks
// serve makes at start.
func TestExampleConfigurationHoldsEveryServeFlagAtItsDefault(t *testing.T) {
	cmd := serveCmd()
	if err := cmd.Flags().Parse([]string{"--config", "../../deploy/integration-events.yaml"}); err != nil {
		t.Fatal(err)
	}
	if err := config.Apply(cmd.Flags(), noEnv, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range keyFlags(cmd) {
		if !f.Changed {
			t.Errorf("deploy/integration-events.yaml has no key %s", f.Name)
		} else if f.Value.String() != f.DefValue {
			t.Errorf("deploy/integration-events.yaml: %s is %q, the default is %q", f.Name, f.Value.String(), f.DefValue)
		}
	}
}

// TestReadmeConfigurationReferenceMatchesServe reads the table under
// README's "### Configuration": one row for every serve flag and nothing
// else, each with the flag, its environment variable and its default.
func TestReadmeConfigurationReferenceMatchesServe(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Configuration\n")
	if !ok {
		t.Fatal(`README has no "### Configuration"`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	row := regexp.MustCompile("(?m)^\\| `([^`]*)` \\| `([^`]*)` \\| `([^`]*)` \\| `([^`]*)` \\| (.+) \\|$")
	rows := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if _, dup := rows[m[1]]; dup {
			t.Errorf("README: key %s twice", m[1])
		}
		rows[m[1]] = m
	}
	for _, f := range keyFlags(serveCmd()) {
		m, ok := rows[f.Name]
		if !ok {
			t.Errorf("README's configuration reference has no row for %s", f.Name)
			continue
		}
		delete(rows, f.Name)
		if m[2] != "--"+f.Name {
			t.Errorf("README: key %s has flag %s", f.Name, m[2])
		}
		if m[3] != config.EnvName(f.Name) {
			t.Errorf("README: key %s has variable %s, want %s", f.Name, m[3], config.EnvName(f.Name))
		}
		// The default as README writes it (672h), read by the flag itself.
		def := strings.Trim(m[4], `"`)
		fresh := serveCmd().Flags().Lookup(f.Name)
		if err := fresh.Value.Set(def); err != nil || fresh.Value.String() != f.DefValue {
			t.Errorf("README: key %s has default %s, the flag's is %q", f.Name, m[4], f.DefValue)
		}
	}
	for k := range rows {
		t.Errorf("README's configuration reference has %s, which is no serve flag", k)
	}
}

// TestBadConfigurationFailsServeAtStart runs serve on files that cannot
// work: each must fail before anything starts, naming the key and the
// problem.
func TestBadConfigurationFailsServeAtStart(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"disable-after: abc\n", `disable-after: "abc" is not an integer`},
		{"disable-afte: 3\n", `unknown key "disable-afte" (did you mean "disable-after"?)`},
		{"disable-after: -1\n", "disable-after -1 must be 1 to 10000 (0: the policy's)"},
		{"ack-wait: 2s\n", "batch-timeout 3s must be under ack-wait 2s"},
		{"ack-wait: 2s\nbatch-timeout: 2s\n", "batch-timeout 2s must be under ack-wait 2s"},
		{"heartbeat: 2s\n", "heartbeat 2s must be at most half of member-ttl 3s"},
		{"member-ttl: 1s\n", "heartbeat 1s must be at most half of member-ttl 1s"},
		{"resend-window: 200h\n", "run-retention 168h0m0s must cover resend-window 200h0m0s"},
		{"resend-window: 1m\nrun-retention: 1m\n", "run-retention 1m0s must cover the 2m0s in which INTEGRATION_RUNS drops a runner's retried publish"},
		{"drain-timeout: 5s\n", "drain-timeout 5s must be at least ack-wait 6s"},
		{"pinned-ttl: 1s\n", "pinned-ttl 1s is under 2s"},
		{"event-retention: 30m\n", "event-retention 30m0s is under an hour"},
		{"replicas: 7\n", "replicas 7 must be 1 to 5"},
		{"http-listen: nowhere\n", `http-listen "nowhere"`},
		{"http-listen: 0.0.0.0:0\n", "refusing to serve the HTTP API on 0.0.0.0:0, beyond loopback, without a token"},
		{"nats-listen:\n", `nats-listen "": missing port in address`},
		{"nats-listen: nonsense\n", `nats-listen "nonsense": missing port in address`},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "serve.yaml")
		if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := serveCmd()
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		// The file's listen address, not a flag's, is the one on trial.
		args := []string{"--config", path, "--data-dir", dir}
		for _, key := range []string{"nats-listen", "http-listen"} {
			if !strings.HasPrefix(c.file, key) {
				args = append(args, "--"+key, "127.0.0.1:0")
			}
		}
		cmd.SetArgs(args)
		// Should serve start after all, the deadline stops it.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := cmd.ExecuteContext(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.file, err, c.want)
		}
		if _, serr := os.Stat(filepath.Join(dir, "jetstream")); serr == nil {
			t.Errorf("%q: the embedded server started before the configuration was refused", c.file)
		}
	}
}

// An INTEGRATION_EVENTS_* variable is checked against the flags of every
// command of the binary: one that names none is refused with the closest
// variable, one of another command (or the fault point's) is left alone.
func TestEnvironmentVariablesOfTheWholeBinary(t *testing.T) {
	root := rootCmd()
	for _, name := range []string{"serve", "demo", "bench"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		others := func() []string {
			return []string{"INTEGRATION_EVENTS_HTTP_TOKEN=fake-token", "INTEGRATION_EVENTS_PACE=2ms", "INTEGRATION_EVENTS_SERVER=nats://127.0.0.1:1", fault.Env + "=none"}
		}
		if err := config.Apply(cmd.Flags(), others, allFlags(cmd), fault.Env); err != nil {
			t.Errorf("%s refuses another command's variable: %v", name, err)
		}
		typo := func() []string { return []string{"INTEGRATION_EVENTS_DISABLE_AFTR=3"} }
		err = config.Apply(cmd.Flags(), typo, allFlags(cmd), fault.Env)
		if !errors.Is(err, config.ErrUnknownVariable) || !strings.Contains(err.Error(), `unknown variable "INTEGRATION_EVENTS_DISABLE_AFTR" (did you mean "INTEGRATION_EVENTS_DISABLE_AFTER"?)`) {
			t.Errorf("%s with a misspelled variable: %v", name, err)
		}
	}
}
