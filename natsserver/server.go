package natsserver

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

// Config configures the embedded NATS server.
type Config struct {
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

// ParseListen reads the embedded server's client address, host:port as
// --nats-listen gives it; port 0 or -1 picks a free one (-1 returned).
// Errors name nats-listen and the address.
func ParseListen(addr string) (host string, port int, err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		if ae, ok := errors.AsType[*net.AddrError](err); ok {
			err = errors.New(ae.Err)
		}
		return "", 0, fmt.Errorf("nats-listen %q: %w", addr, err)
	}
	port, err = strconv.Atoi(portStr)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("nats-listen %q: port %q is not -1 to 65535", addr, portStr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Start starts an embedded NATS server with JetStream and waits until it
// accepts connections. It holds an exclusive lock on DataDir's LockFile
// until the server has shut down: a directory another process holds is
// ErrDataDirInUse. A client address it cannot listen on fails at once with
// the listen error, naming nats-listen.
func Start(cfg Config) (*server.Server, error) {
	host, port, err := ParseListen(cfg.Listen)
	if err != nil {
		return nil, err
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
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	fatal := &fatalNote{}
	if cfg.Logs && cfg.Log == nil {
		s.ConfigureLogger()
	} else {
		zl := cmp.Or(cfg.Log, zap.NewNop())
		s.SetLoggerV2(serverLog{l: zl.Sugar().With("component", "nats-server"), fatal: fatal}, false, false, false)
	}
	if err := start(s, fatal); err != nil {
		s.Shutdown()
		s.WaitForShutdown()
		lock.release()
		if errors.Is(err, errListen) {
			return nil, fmt.Errorf("nats-listen %s: %w", cfg.Listen, err)
		}
		return nil, err
	}
	lock.holdUntilShutdown(s)
	return s, nil
}

// start runs s.Start, which returns once the client port listens or the
// server gave up (a fatal error, as a port taken): the latter is an error
// at once, no ready timeout to wait out. A listen error wraps errListen.
func start(s *server.Server, fatal *fatalNote) error {
	started := make(chan struct{})
	go func() {
		s.Start()
		close(started)
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		return errors.New("embedded server did not become ready in 30s")
	}
	if s.Addr() != nil {
		return nil
	}
	msg, err := fatal.get()
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return fmt.Errorf("%w: %w", errListen, err)
	}
	return fmt.Errorf("embedded server did not start: %s", cmp.Or(msg, "see its log"))
}

// tls sets the TLS options of opts from the certificate files.
func (cfg Config) tls(opts *server.Options) error {
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
