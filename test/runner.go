package test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Runner publishes a workload in the background the way a careful runner
// does: through JetStream, retrying each outcome until the server
// acknowledges it, across crashes of serve and of NATS nodes.
type Runner struct {
	t    testing.TB
	NC   *nats.Conn
	JS   jetstream.JetStream
	ctx  context.Context
	sent atomic.Int64
	done chan error
}

// StartRunner connects to urls and starts publishing outcomes. It stops at
// cleanup, or after timeout.
func StartRunner(t testing.TB, urls string, outcomes []subjects.RunOutcome, timeout time.Duration) *Runner {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	r := &Runner{t: t, NC: nc, JS: js, ctx: ctx, done: make(chan error, 1)}
	go func() {
		for _, o := range outcomes {
			if err := r.Publish(o); err != nil {
				r.done <- err
				return
			}
			r.sent.Add(1)
		}
		r.done <- nil
	}()
	return r
}

// Publish publishes o through JetStream and retries until the server
// acknowledges it: a retry after a lost acknowledgement may store it twice,
// as a real runner's would.
func (r *Runner) Publish(o subjects.RunOutcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	for {
		pctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
		_, err := r.JS.Publish(pctx, subjects.Default().Run(o.IntegrationID), b)
		cancel()
		if err == nil {
			return nil
		}
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Sent is how many outcomes were acknowledged so far.
func (r *Runner) Sent() int64 { return r.sent.Load() }

// WaitSent waits until n outcomes were acknowledged.
func (r *Runner) WaitSent(n int64) {
	r.t.Helper()
	CheckFor(r.t, 2*time.Minute, 5*time.Millisecond, func() error {
		if got := r.sent.Load(); got < n {
			return fmt.Errorf("%d of %d outcomes sent", got, n)
		}
		return nil
	})
}

// Wait waits until every outcome was acknowledged.
func (r *Runner) Wait() {
	r.t.Helper()
	if err := <-r.done; err != nil {
		r.t.Fatal(err)
	}
}
