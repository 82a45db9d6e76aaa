package main

import (
	"context"
	"fmt"
	"time"

	"github.com/integration-events/integration-events/console"
	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/operator"
	"github.com/integration-events/integration-events/processor"
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
	// ClientURL is where clients reach the NATS server.
	ClientURL string
}

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
	if cfg.NATSURL == "" {
		srv, err := store.StartServer(store.ServerConfig{Listen: cfg.NATSListen, DataDir: cfg.DataDir})
		if err != nil {
			return nil, err
		}
		s.srv = srv
		s.ClientURL = srv.ClientURL()
		opts = append(opts, nats.InProcessServer(srv))
	} else {
		s.ClientURL = cfg.NATSURL
	}
	nc, err := nats.Connect(s.ClientURL, opts...)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("connect to %s: %w", s.ClientURL, err)
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
	ops, err := operator.New(operator.DefaultConfig(), s.st, log)
	if err == nil {
		ops.SetMetrics(m)
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
	if s.pipeline != nil {
		s.pipeline.Stop(ctx)
	}
	s.close()
}

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
		_ = s.nc.Drain()
	}
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
}
