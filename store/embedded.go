package store

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// MaxPayload of the embedded server: above the 1 MiB outcome limit, so an
// oversized outcome reaches the processor and is dead-lettered with a reason
// instead of being refused at the door.
const MaxPayload = 8 << 20

// ServerConfig configures the embedded NATS server.
type ServerConfig struct {
	// Listen is the client address, host:port; port 0 or -1 picks a free one.
	Listen string
	// DataDir holds JetStream's files.
	DataDir string
	// Name of the server; defaults to "integration-events".
	Name string
	// Logs turns on the server's own logging, to stderr.
	Logs bool
	// Log, when set, receives the server's warnings and errors instead
	// (its notices at debug level), as JetStream's recovery of its files.
	Log *zap.Logger
	// MaxPayload is the largest message the server accepts, in bytes;
	// 0 means MaxPayload (8 MiB).
	MaxPayload int32
	// Users and Nkeys turn on authentication: clients must be one of them
	// (natsauth.ForServer builds them). None: anyone may connect.
	// Accounts are the accounts users are in; none: the global account.
	Users    []*server.User
	Nkeys    []*server.NkeyUser
	Accounts []*server.Account
	// TLSCert and TLSKey (PEM files) turn on TLS on the client port: plain
	// text clients are refused; the in-process connection is exempt.
	// TLSCA (PEM) makes clients present a certificate it signed.
	TLSCert, TLSKey, TLSCA string
}

// StartServer starts an embedded NATS server with JetStream and waits until
// it accepts connections.
func StartServer(cfg ServerConfig) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("listen port %q: %w", portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if cfg.DataDir == "" {
		return nil, errors.New("embedded server needs a data directory")
	}
	name := cfg.Name
	if name == "" {
		name = "integration-events"
	}
	opts := &server.Options{
		ServerName: name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		MaxPayload: cmp.Or(cfg.MaxPayload, MaxPayload),
		NoSigs:     true,
		NoLog:      !cfg.Logs,
		HTTPPort:   0,
		Users:      cfg.Users,
		Nkeys:      cfg.Nkeys,
		Accounts:   cfg.Accounts,
	}
	if err := cfg.tls(opts); err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	if cfg.Log != nil {
		s.SetLoggerV2(serverLog{cfg.Log.Sugar().With("component", "nats-server")}, false, false, false)
	} else if cfg.Logs {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded server did not become ready in 30s")
	}
	return s, nil
}

// tls sets the TLS options of opts from the certificate files.
func (cfg ServerConfig) tls(opts *server.Options) error {
	if cfg.TLSCert == "" && cfg.TLSKey == "" && cfg.TLSCA == "" {
		return nil
	}
	if cfg.TLSCert == "" || cfg.TLSKey == "" {
		return errors.New("embedded server TLS needs both a certificate and a key")
	}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
		CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey, CaFile: cfg.TLSCA, Verify: cfg.TLSCA != "",
	})
	if err != nil {
		return fmt.Errorf("embedded server TLS: %w", err)
	}
	opts.TLS, opts.TLSConfig, opts.TLSVerify = true, tc, cfg.TLSCA != ""
	opts.TLSTimeout = 2
	return nil
}
