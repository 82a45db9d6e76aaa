package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/integration-events/integration-events/natsauth"
	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultServer is where the client commands connect without --server or
// $NATS_URL.
const defaultServer = "nats://127.0.0.1:4222"

// clientFlags are the connection flags of every client command, with
// natscli's names and environment variables. connect is the one way they
// reach NATS.
type clientFlags struct {
	server  string
	root    string
	timeout time.Duration
	creds   natsauth.Client
	// flags are where add defined them: a flag given explicitly wins over
	// natscli's variable even when it has the default value.
	flags *pflag.FlagSet
}

// clientEnv pairs each flag with the variable natscli reads for it; the
// variable is used when the flag is not given. Defaults are not shown in
// --help, so a password in the environment is not printed.
func (f *clientFlags) clientEnv() []struct {
	flag, env string
	v         *string
} {
	return []struct {
		flag, env string
		v         *string
	}{
		{"server", "NATS_URL", &f.server},
		{"user", "NATS_USER", &f.creds.User},
		{"password", "NATS_PASSWORD", &f.creds.Password},
		{"token", "NATS_TOKEN", &f.creds.Token},
		{"creds", "NATS_CREDS", &f.creds.CredsFile},
		{"nkey", "NATS_NKEY", &f.creds.NkeyFile},
		{"tlscert", "NATS_CERT", &f.creds.TLSCert},
		{"tlskey", "NATS_KEY", &f.creds.TLSKey},
		{"tlsca", "NATS_CA", &f.creds.TLSCA},
	}
}

func (f *clientFlags) add(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	f.flags = pf
	usage := map[string]string{
		"server":   "NATS server URLs, comma separated (default " + defaultServer + ")",
		"user":     "user name",
		"password": "password of --user",
		"token":    "token",
		"creds":    "user credentials file (.creds)",
		"nkey":     "user nkey seed file",
		"tlscert":  "TLS client certificate (PEM)",
		"tlskey":   "TLS client key (PEM)",
		"tlsca":    "TLS certificate authority of the server (PEM)",
	}
	for _, e := range f.clientEnv() {
		pf.StringVar(e.v, e.flag, "", fmt.Sprintf("%s [$%s]", usage[e.flag], e.env))
	}
	pf.StringVar(&f.creds.InboxPrefix, "inbox-prefix", "", "prefix of reply subjects (default _INBOX_<user> with --user or a user in the server URL, as the users of --nats-auth need; _INBOX for the NATS default)")
	pf.StringVar(&f.root, "subject-root", subjects.DefaultRoot, "root token of every subject")
	pf.DurationVar(&f.timeout, "timeout", operator.DefaultClientTimeout, "how long to wait for a reply [$NATS_TIMEOUT]")
}

// session connects (see connect) and returns a context that ends after
// --timeout, or at the first permissions violation the server reports,
// which is then its cause: a request whose reply cannot reach us fails at
// once, saying why. done cancels it and closes the connection.
func (f *clientFlags) session() (ctx context.Context, nc *nats.Conn, done func(), err error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	nc, err = f.connect(nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			cancel(err)
		}
	}))
	if err != nil {
		cancel(err)
		return nil, nil, nil, err
	}
	ctx, stop := context.WithTimeout(ctx, f.timeout)
	return ctx, nc, func() { stop(); cancel(nil); nc.Close() }, nil
}

// fromEnv sets the flags not given from natscli's environment variables.
// An invalid $NATS_TIMEOUT is an error naming it.
func (f *clientFlags) fromEnv() error {
	for _, e := range f.clientEnv() {
		if *e.v == "" {
			*e.v = os.Getenv(e.env)
		}
	}
	if v, ok := os.LookupEnv("NATS_TIMEOUT"); ok && (f.flags == nil || !f.flags.Changed("timeout")) {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("NATS_TIMEOUT=%q: %w", v, err)
		}
		f.timeout = d
	}
	return nil
}

// connect connects with the flags and extra options, falling back to
// natscli's environment variables for the flags not given.
func (f *clientFlags) connect(extra ...nats.Option) (*nats.Conn, error) {
	if err := f.fromEnv(); err != nil {
		return nil, err
	}
	if f.server == "" {
		f.server = defaultServer
	}
	creds := f.creds
	user := creds.User
	if user == "" {
		user = urlUser(f.server)
	}
	if creds.InboxPrefix == "" && user != "" {
		creds.InboxPrefix = natsauth.InboxPrefix(user)
	}
	opts, err := creds.Options()
	if err != nil {
		return nil, err
	}
	opts = append(append(opts, nats.Name("integration-events-cli"), nats.Timeout(5*time.Second)), extra...)
	nc, err := nats.Connect(f.server, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact.URLs(f.server), redact.URLError(err, f.server))
	}
	return nc, nil
}

// urlUser is the user name of the first URL of list (comma separated, as
// NATS server URLs are given) that carries one; "" when none does. A URL
// without a scheme is read as nats://, as the NATS client reads it.
func urlUser(list string) string {
	for _, u := range strings.Split(list, ",") {
		u = strings.TrimSpace(u)
		if !strings.Contains(u, "://") {
			u = "nats://" + u
		}
		if p, err := url.Parse(u); err == nil && p.User != nil {
			if _, isUser := p.User.Password(); isUser && p.User.Username() != "" {
				return p.User.Username()
			}
		}
	}
	return ""
}
