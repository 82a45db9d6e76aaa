package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/integration-events/integration-events/console"
	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/natsauth"
	"github.com/integration-events/integration-events/natsserver"
	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/recovery"
	"github.com/integration-events/integration-events/redact"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// serviceConfig is what serve and demo wire together.
type serviceConfig struct {
	NATSURL    string // empty: embed a server
	NATSListen string
	DataDir    string
	Store      store.Config
	Pipeline   processor.Config
	// HTTP is the HTTP API; HTTP.Listen empty leaves it off.
	HTTP operator.HTTPConfig
	// DrainTimeout bounds a stop's finishing of what is in flight.
	DrainTimeout time.Duration
	// NATSUsers turns on authentication on the embedded server.
	NATSUsers []natsauth.User
	// NATSCreds is the embedded server's certificate, key and client CA, or
	// with NATSURL the client's (with its credentials).
	NATSCreds natsauth.Client
}

// Validate reports the first setting that cannot work or that contradicts
// another, by the names of their flags, before anything starts; an HTTP
// address beyond loopback without a token is operator.ErrNoToken.
func (c serviceConfig) Validate() error {
	err := c.Store.Validate()
	if err == nil {
		err = c.Pipeline.Validate()
	}
	if err == nil {
		err = c.Pipeline.CheckLimits(c.Store)
	}
	if err == nil && c.DrainTimeout < c.Store.AckWait {
		err = fmt.Errorf("drain-timeout %s must be at least ack-wait %s: a stop should have the time a delivery has to be applied", c.DrainTimeout, c.Store.AckWait)
	}
	if err == nil && c.HTTP.Listen != "" {
		err = c.HTTP.Validate()
	}
	if err == nil && c.NATSURL == "" {
		_, _, err = natsserver.ParseListen(c.NATSListen)
	}
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return nil
}

// service is a running processor: an optional embedded server, the
// connection, the pipeline and the operator API.
type service struct {
	srv      *server.Server
	nc       *nats.Conn
	st       *store.Store
	pipeline *processor.Pipeline
	api      *operator.NATS
	http     *operator.HTTP
	log      *zap.Logger
	// stopOutbox ends the outbox completer; outboxDone is closed after.
	stopOutbox context.CancelFunc
	outboxDone chan struct{}
	// stopRecovery ends the auto-actioning of recovered streaks;
	// recoveryDone is closed after.
	stopRecovery context.CancelFunc
	recoveryDone chan struct{}
	// ClientURL is where clients reach the NATS server, with any user and
	// password in --nats-url redacted: it is logged.
	ClientURL string
	// internal authenticates as the processor on an embedded server with
	// users; nil without them.
	internal []nats.Option
}

// InternalOptions authenticate a connection to the embedded server as the
// processor's internal user (none without --nats-auth).
func (s *service) InternalOptions() []nats.Option { return s.internal }

// HTTPAddr is the address the HTTP API listens on, "" when it is off.
func (s *service) HTTPAddr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Addr()
}

func startService(ctx context.Context, cfg serviceConfig, log *zap.Logger) (*service, error) {
	s := &service{log: log}
	opts := []nats.Option{nats.Name("integration-events"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	var connectURL string
	if cfg.NATSURL == "" {
		scfg := natsserver.Config{Listen: cfg.NATSListen, DataDir: cfg.DataDir, Log: log,
			TLSCert: cfg.NATSCreds.TLSCert, TLSKey: cfg.NATSCreds.TLSKey, TLSCA: cfg.NATSCreds.TLSCA}
		if len(cfg.NATSUsers) > 0 {
			users, err := natsauth.ForServer(cfg.NATSUsers, cfg.Store.Subjects)
			if err != nil {
				return nil, err
			}
			scfg.Users, scfg.Nkeys, scfg.Accounts = users.Users, users.Nkeys, users.Accounts
			s.internal = []nats.Option{nats.UserInfo(users.Internal.User, users.Internal.Password)}
			opts = append(opts, s.internal...)
		}
		srv, err := natsserver.Start(scfg)
		if err != nil {
			return nil, err
		}
		s.srv = srv
		s.ClientURL = srv.ClientURL()
		// In-process: no TCP, and the server asks no TLS of it; a tls://
		// URL would make the client insist on TLS all the same.
		opts = append(opts, nats.InProcessServer(srv))
		connectURL = strings.Replace(s.ClientURL, "tls://", "nats://", 1)
	} else {
		s.ClientURL, connectURL = redact.URLs(cfg.NATSURL), cfg.NATSURL
		copts, err := cfg.NATSCreds.Options()
		if err != nil {
			return nil, err
		}
		opts = append(opts, copts...)
	}
	nc, err := nats.Connect(connectURL, opts...)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("connect to %s: %w", s.ClientURL, redact.URLError(err, connectURL))
	}
	s.nc = nc
	if s.st, err = store.Open(ctx, nc, cfg.Store, log); err != nil {
		s.close()
		return nil, err
	}
	m := newMetrics()
	s.st.SetMetrics(m)
	if s.pipeline, err = processor.NewPipeline(cfg.Pipeline, s.st, log); err != nil {
		s.close()
		return nil, err
	}
	s.pipeline.SetMetrics(m)
	if err := s.pipeline.Start(ctx); err != nil {
		s.close()
		return nil, err
	}
	// Every replica consumes the recovered events: the durable consumer
	// shares them out (recovery.Recovery).
	rec, err := recovery.New(recovery.Config{}, s.st, log)
	if err != nil {
		s.Stop(ctx)
		return nil, err
	}
	rec.SetMetrics(m)
	rctx, cancelRec := context.WithCancel(context.WithoutCancel(ctx))
	s.stopRecovery, s.recoveryDone = cancelRec, make(chan struct{})
	go func() { defer close(s.recoveryDone); _ = rec.Run(rctx) }()
	// The API shows each integration the policy the pipeline applies.
	opsCfg := operator.DefaultConfig()
	opsCfg.Policy = cfg.Pipeline.Policy
	ops, err := operator.New(opsCfg, s.st, log)
	if err == nil {
		ops.SetMetrics(m)
		// Actions a crash left half done are completed at start and then
		// periodically, by every replica: racing is safe (store.Actioner).
		octx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.stopOutbox, s.outboxDone = cancel, make(chan struct{})
		go func() { defer close(s.outboxDone); ops.CompleteActions(octx) }()
		s.api, err = operator.NewNATS(nc, ops, log)
	}
	if err == nil && cfg.HTTP.Listen != "" {
		var con *console.Console
		if con, err = console.New(console.Config{}, ops, log); err != nil {
			s.Stop(ctx)
			return nil, err
		}
		httpCfg := cfg.HTTP
		httpCfg.Routes = con.Register
		httpCfg.Metrics = m.Handler()
		if s.http, err = operator.NewHTTP(httpCfg, ops, log); err == nil {
			err = s.http.Start()
		}
		if err != nil {
			s.http = nil
		}
	}
	if err != nil {
		s.Stop(ctx)
		return nil, err
	}
	return s, nil
}

// Stop stops taking requests and outcomes, finishes what is in flight (up to
// ctx), and closes the connection and the embedded server.
func (s *service) Stop(ctx context.Context) {
	if s.http != nil {
		_ = s.http.Shutdown(ctx)
	}
	if s.api != nil {
		_ = s.api.Stop()
	}
	if s.stopOutbox != nil {
		s.stopOutbox()
		<-s.outboxDone
	}
	if s.stopRecovery != nil {
		s.stopRecovery()
		<-s.recoveryDone
	}
	if s.pipeline != nil {
		s.pipeline.Stop(ctx)
	}
	s.close()
}

// closeWait bounds how long close waits for the connection to drain.
const closeWait = 5 * time.Second

// newMetrics returns the service's metrics, with every label value the
// processor can use made at zero.
func newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Labels{
		Statuses:          []string{string(subjects.StatusSucceeded), string(subjects.StatusFailed)},
		Destinations:      processor.Destinations(),
		EventNames:        subjects.EventNames(),
		DeadLetterReasons: processor.DeadLetterReasons,
	})
}

func (s *service) close() {
	if s.nc != nil {
		// Drain is asynchronous: wait until it has flushed what is
		// buffered, the last acknowledgements among it, before the
		// embedded server goes.
		closed := make(chan struct{})
		s.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
		if s.nc.Drain() == nil {
			select {
			case <-closed:
			case <-time.After(closeWait):
			}
		}
		s.nc.Close()
	}
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
}
