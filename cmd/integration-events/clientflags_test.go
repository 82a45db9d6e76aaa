package main

import (
	"testing"
	"time"

	"github.com/integration-events/integration-events/operator"
	"github.com/spf13/cobra"
)

// An explicit --timeout wins over $NATS_TIMEOUT, also when it is the
// default value; without it the variable is used.
func TestClientTimeoutFlagBeatsNATSTimeout(t *testing.T) {
	t.Setenv("NATS_TIMEOUT", "1s")
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{[]string{"--timeout", "30s"}, 30 * time.Second},
		{[]string{"--timeout", operator.DefaultClientTimeout.String()}, operator.DefaultClientTimeout},
		{nil, time.Second},
	} {
		var f clientFlags
		root := &cobra.Command{Use: "x"}
		f.add(root)
		var got time.Duration
		sub := &cobra.Command{Use: "sub", RunE: func(*cobra.Command, []string) error {
			if err := f.fromEnv(); err != nil {
				return err
			}
			got = f.timeout
			return nil
		}}
		root.AddCommand(sub)
		root.SetArgs(append([]string{"sub"}, tc.args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%q with NATS_TIMEOUT=1s: timeout %s, want %s", tc.args, got, tc.want)
		}
	}
	t.Setenv("NATS_TIMEOUT", "soon")
	var f clientFlags
	if err := f.fromEnv(); err == nil {
		t.Error("NATS_TIMEOUT=soon accepted")
	}
}

// The reply inbox's user comes from the first server URL that names one,
// with or without a scheme.
func TestURLUser(t *testing.T) {
	for list, want := range map[string]string{
		"nats://ana:fake-pw@127.0.0.1:4222":                      "ana",
		"nats://127.0.0.1:4222, tls://bob:fake-pw@10.0.0.2:4222": "bob",
		"ana:fake-pw@127.0.0.1:4222":                             "ana",
		"nats://127.0.0.1:4222":                                  "",
		"nats://fake-token@127.0.0.1:4222":                       "",
		"":                                                       "",
	} {
		if got := urlUser(list); got != want {
			t.Errorf("urlUser(%q) = %q, want %q", list, got, want)
		}
	}
}
