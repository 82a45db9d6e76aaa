package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type flags struct {
	fs           *pflag.FlagSet
	disableAfter int
	ackWait      time.Duration
	listen       string
	token        string
	scale        []int
	keep         bool
}

func newFlags(t *testing.T, args ...string) *flags {
	t.Helper()
	f := &flags{fs: pflag.NewFlagSet("serve", pflag.ContinueOnError)}
	f.fs.IntVar(&f.disableAfter, "disable-after", 20, "")
	f.fs.DurationVar(&f.ackWait, "ack-wait", 6*time.Second, "")
	f.fs.StringVar(&f.listen, "http-listen", "127.0.0.1:8080", "")
	f.fs.StringVar(&f.token, "http-token", "", "")
	f.fs.IntSliceVar(&f.scale, "scale-integrations", []int{1}, "")
	f.fs.BoolVar(&f.keep, "keep", false, "")
	AddFlag(f.fs)
	if err := f.fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

// withDemo is fs with another command's flag, pace, as the binary's flags.
func withDemo(fs *pflag.FlagSet) *pflag.FlagSet {
	all := pflag.NewFlagSet("all", pflag.ContinueOnError)
	all.AddFlagSet(fs)
	all.Int("pace", 0, "")
	return all
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "integration-events.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func environ(kv ...string) func() []string { return func() []string { return kv } }

func TestFlagsWinOverEnvironmentOverFileOverDefaults(t *testing.T) {
	p := writeFile(t, "disable-after: 3\nack-wait: 2s\nhttp-listen: ''\nscale-integrations: [10, 100]\nkeep: true\n")
	f := newFlags(t, "--config", p, "--disable-after", "7")
	err := Apply(f.fs, environ("INTEGRATION_EVENTS_DISABLE_AFTER=5", "INTEGRATION_EVENTS_ACK_WAIT=4s", "INTEGRATION_EVENTS_PACE=1s", "OTHER=1"), withDemo(f.fs))
	if err != nil {
		t.Fatal(err)
	}
	if f.disableAfter != 7 || f.ackWait != 4*time.Second || f.listen != "" || !f.keep || len(f.scale) != 2 || f.scale[1] != 100 {
		t.Fatalf("disable-after %d (want the flag's 7), ack-wait %s (want the environment's 4s), http-listen %q (want the file's ''), keep %t, scale %v",
			f.disableAfter, f.ackWait, f.listen, f.keep, f.scale)
	}
	if !f.fs.Changed("http-listen") || f.fs.Changed("http-token") {
		t.Fatal("a flag the file gives counts as given; one nothing gives does not")
	}

	// Nothing but defaults.
	f = newFlags(t)
	if err := Apply(f.fs, environ(), nil); err != nil || f.disableAfter != 20 || f.listen != "127.0.0.1:8080" {
		t.Fatalf("defaults: %v %d %q", err, f.disableAfter, f.listen)
	}
}

func TestTheEnvironmentNamesTheFile(t *testing.T) {
	p := writeFile(t, "disable-after: 4\n")
	f := newFlags(t)
	if err := Apply(f.fs, environ("INTEGRATION_EVENTS_CONFIG="+p), nil); err != nil || f.disableAfter != 4 {
		t.Fatalf("%v: disable-after %d, want the file's 4", err, f.disableAfter)
	}
	// --config wins over the variable.
	q := writeFile(t, "disable-after: 9\n")
	f = newFlags(t, "--config", q)
	if err := Apply(f.fs, environ("INTEGRATION_EVENTS_CONFIG="+p), nil); err != nil || f.disableAfter != 9 {
		t.Fatalf("%v: disable-after %d, want --config's 9", err, f.disableAfter)
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	for _, c := range []struct {
		name, file string
		env        []string
		want       []string
	}{
		{"not an integer", "disable-after: abc\n", nil, []string{`config FILE: disable-after: "abc" is not an integer`}},
		{"a fraction", "disable-after: 2.5\n", nil, []string{`disable-after: "2.5" is not an integer`}},
		{"a duration without unit", "ack-wait: 6\n", nil, []string{`config FILE: ack-wait: "6" is not a duration`}},
		{"a typo", "disable-afterr: 3\n", nil, []string{`config FILE: unknown key "disable-afterr" (did you mean "disable-after"?)`}},
		{"underscores", "ack_wait: 3s\n", nil, []string{`unknown key "ack_wait" (did you mean "ack-wait"?)`}},
		{"far from any flag", "colour: blue\n", nil, []string{`unknown key "colour"`}},
		{"nested", "http:\n  listen: x\n", nil, []string{`unknown key "http.listen"`}},
		{"two at once", "a-wait: 1s\nbogus: 1\n", nil, []string{`unknown key "a-wait"`, `unknown key "bogus"`}},
		{"config in config", "config: other.yaml\n", nil, []string{`key "config": a configuration file cannot name another`}},
		{"a list for one value", "disable-after: [1, 2]\n", nil, []string{`disable-after: a list, want an integer`}},
		{"a bad list", "scale-integrations: [1, x]\n", nil, []string{`scale-integrations: "[1 x]" is not a list of integers`}},
		{"not yaml", "disable-after: [\n", nil, []string{`config FILE: yaml:`}},
		{"no mapping", "fake-token-in-the-wrong-file\n", nil, []string{`config FILE: not a YAML mapping of keys to values`}},
		{"a list", "- a\n", nil, []string{`config FILE: not a YAML mapping`}},
		{"a key twice", "disable-after: 1\nack-wait: 2s\ndisable-after: 2\n", nil, []string{`config FILE: line 3: key "disable-after" given twice, first at line 1`}},
		{"a nested key twice", "http:\n  listen: a\n  listen: b\n", nil, []string{`line 3: key "http.listen" given twice, first at line 2`}},
		{"a key twice under a secret", "http-token:\n  fake-token-1: 1\n  fake-token-1: 2\n", nil, []string{`line 3: a key under "http-token" given twice, first at line 2`}},
		{"a secret as a mapping's key", "http-token: {fake-token-SECRET: 1}\n", nil, []string{`config FILE: key "http-token": a mapping, want a string`}},
		{"a secret as a nested key", "tokens:\n  fake-token-SECRET: 1\n", nil, []string{`unknown key "tokens"`}},
		{"a mapping for one value", "disable-after: {a: 1, b: 2}\n", nil, []string{`key "disable-after": a mapping, want an integer`}},
		{"environment", "", []string{"INTEGRATION_EVENTS_KEEP=maybe"}, []string{`INTEGRATION_EVENTS_KEEP: "maybe" is not true or false`}},
		{"a typo in a variable", "", []string{"INTEGRATION_EVENTS_DISABLE_AFTR=fake-token-3"}, []string{`unknown variable "INTEGRATION_EVENTS_DISABLE_AFTR" (did you mean "INTEGRATION_EVENTS_DISABLE_AFTER"?)`}},
		{"no flag's variable", "", []string{"INTEGRATION_EVENTS_WHATEVER=1"}, []string{`unknown variable "INTEGRATION_EVENTS_WHATEVER": no flag of any command is named so`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file)
			f := newFlags(t, "--config", p)
			err := Apply(f.fs, environ(c.env...), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := strings.ReplaceAll(err.Error(), p, "FILE")
			if strings.Contains(msg, "fake-token") {
				t.Fatalf("error %q quotes the file", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Fatalf("error %q does not say %q", msg, w)
				}
			}
			if c.name == "a typo in a variable" && !errors.Is(err, ErrUnknownVariable) {
				t.Fatalf("%v is not ErrUnknownVariable", err)
			}
			if strings.HasPrefix(c.name, "a typo") && c.env == nil && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("%v is not ErrUnknownKey", err)
			}
		})
	}
	f := newFlags(t, "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if err := Apply(f.fs, environ(), nil); err == nil || !strings.Contains(err.Error(), "missing.yaml: open: no such file") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestASecretIsNeverQuoted(t *testing.T) {
	const secret = "fake-secret-4711"
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.Int("nats-password-rounds", 1, "") // a secret's name, a value that can fail
	AddFlag(fs)
	p := writeFile(t, "nats-password-rounds: "+secret+"\n")
	_ = fs.Parse([]string{"--config", p})
	err := Apply(fs, environ("INTEGRATION_EVENTS_NATS_PASSWORD_ROUNDS="+secret), nil)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "INTEGRATION_EVENTS_NATS_PASSWORD_ROUNDS: the value is not an integer") {
		t.Fatalf("error %v", err)
	}
	if !IsSecret("http-token") || !IsSecret("nats-password") || IsSecret("nats-tls-key") {
		t.Fatal("IsSecret")
	}
}
