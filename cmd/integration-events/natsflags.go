package main

import (
	"errors"
	"fmt"

	"github.com/integration-events/integration-events/natsauth"
	"github.com/spf13/pflag"
)

// natsServeFlags are serve's NATS security flags: --nats-auth and TLS for
// the embedded server, or credentials and TLS for --nats-url.
type natsServeFlags struct {
	authFile string
	creds    natsauth.Client
}

func (n *natsServeFlags) add(f *pflag.FlagSet) {
	f.StringVar(&n.authFile, "nats-auth", "", "YAML users file that turns on authentication on the embedded server (users with a password or nkey and a role)")
	f.StringVar(&n.creds.User, "nats-user", "", "user name at the --nats-url server")
	f.StringVar(&n.creds.Password, "nats-password", "", "password of --nats-user (better: INTEGRATION_EVENTS_NATS_PASSWORD)")
	f.StringVar(&n.creds.Token, "nats-token", "", "token at the --nats-url server (better: INTEGRATION_EVENTS_NATS_TOKEN)")
	f.StringVar(&n.creds.NkeyFile, "nats-nkey", "", "file of the user nkey seed to authenticate with at the --nats-url server")
	f.StringVar(&n.creds.CredsFile, "nats-creds", "", ".creds file (user JWT and seed) to authenticate with at the --nats-url server")
	f.StringVar(&n.creds.TLSCert, "nats-tls-cert", "", "TLS certificate (PEM): the embedded server's, or the client's with --nats-url")
	f.StringVar(&n.creds.TLSKey, "nats-tls-key", "", "key of --nats-tls-cert (PEM)")
	f.StringVar(&n.creds.TLSCA, "nats-tls-ca", "", "CA (PEM): of client certificates the embedded server requires, or of the --nats-url server's certificate")
}

// apply validates the flags against cfg.NATSURL and sets cfg's NATS
// security. Errors name the flags, never a secret.
func (n *natsServeFlags) apply(cfg *serviceConfig) error {
	c := n.creds
	if cfg.NATSURL == "" {
		if c.User != "" || c.Password != "" || c.Token != "" || c.NkeyFile != "" || c.CredsFile != "" {
			return errors.New("--nats-user, --nats-password, --nats-token, --nats-nkey and --nats-creds are for a --nats-url server; the embedded server's users come from --nats-auth")
		}
		if (c.TLSCert == "") != (c.TLSKey == "") || (c.TLSCA != "" && c.TLSCert == "") {
			return errors.New("TLS on the embedded server needs --nats-tls-cert and --nats-tls-key (and --nats-tls-ca only with them)")
		}
		if n.authFile != "" {
			users, err := natsauth.ReadFile(n.authFile)
			if err != nil {
				return fmt.Errorf("--nats-auth: %w", err)
			}
			cfg.NATSUsers = users
		}
	} else {
		if n.authFile != "" {
			return errors.New("--nats-auth configures the embedded server; a --nats-url server has its own users (see deploy/nats)")
		}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("--nats-url credentials: %w", err)
		}
	}
	cfg.NATSCreds = c
	return nil
}
