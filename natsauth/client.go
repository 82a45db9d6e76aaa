package natsauth

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// Client is how a client authenticates to a NATS server and secures its
// connection: what serve takes for --nats-url and the client commands take
// with natscli's names. The zero value connects anonymously in plain text.
type Client struct {
	User     string
	Password string
	Token    string
	// NkeyFile holds a user nkey seed (SU...).
	NkeyFile string
	// CredsFile is a .creds file: a user JWT and its nkey seed.
	CredsFile string
	// TLSCert and TLSKey are a client certificate and its key (PEM files),
	// TLSCA the authority that signed the server's certificate.
	TLSCert, TLSKey, TLSCA string
	// InboxPrefix replaces "_INBOX" in reply subjects; see InboxPrefix.
	InboxPrefix string
}

// Validate reports credentials that exclude each other: more than one of
// user, token, nkey and creds, a password without a user, or one half of a
// TLS certificate and key. The error wraps ErrConflictingOptions and names
// the options, never their values.
func (c Client) Validate() error {
	var given []string
	for _, o := range []struct{ name, v string }{{"user", c.User}, {"token", c.Token}, {"nkey", c.NkeyFile}, {"creds", c.CredsFile}} {
		if o.v != "" {
			given = append(given, o.name)
		}
	}
	switch {
	case len(given) > 1:
		return fmt.Errorf("%w: %s given together; give one way to authenticate", ErrConflictingOptions, strings.Join(given, " and "))
	case c.Password != "" && c.User == "":
		return fmt.Errorf("%w: a password without a user", ErrConflictingOptions)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("%w: a TLS certificate needs its key and a key its certificate", ErrConflictingOptions)
	case strings.ContainsAny(c.InboxPrefix, "*> ") || strings.HasSuffix(c.InboxPrefix, "."):
		return fmt.Errorf("%w: inbox prefix %q must be subject tokens without wildcards or a trailing dot", ErrConflictingOptions, c.InboxPrefix)
	}
	return nil
}

// Options returns the nats.Options for c after Validate. Files are read when
// connecting, so a missing seed or .creds file fails the connection.
func (c Client) Options() ([]nats.Option, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var opts []nats.Option
	switch {
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.NkeyFile != "":
		opt, err := nats.NkeyOptionFromSeed(c.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("nkey seed %s: %w", c.NkeyFile, err)
		}
		opts = append(opts, opt)
	}
	if c.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	return opts, nil
}
