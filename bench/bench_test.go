package bench

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/test"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

func newRunner(t testing.TB) *runner {
	t.Helper()
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	cfg := Config{}
	cfg.setDefaults()
	st, err := store.Open(context.Background(), nc, cfg.Store, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &runner{cfg: cfg, st: st, nc: nc, js: js, subj: st.Subjects(), log: zap.NewNop(), res: &Result{Verified: true}, prog: newProgress(nil)}
}

// TestVerifyCatchesWhatTheModelDoesNotSay holds the exactly-once check to
// failing loudly: a counter one failure off, and an event too many.
func TestVerifyCatchesWhatTheModelDoesNotSay(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t)
	r.cfg.Pipeline.Policy = policy.After(3)
	m := mix{name: "verify", integrations: 5, failEvery: 1, enableAfter: 3}
	before, err := r.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.process(ctx, m, 40, nil); err != nil {
		t.Fatalf("an honest run: %v", err)
	}

	c, rev, err := r.st.Counter(ctx, "verify-000001")
	if err != nil {
		t.Fatal(err)
	}
	c.ConsecutiveFailures++
	if rev, err = r.st.PutCounter(ctx, &c, rev); err != nil {
		t.Fatal(err)
	}
	err = r.verify(ctx, m.name, before)
	if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "verify-000001") {
		t.Fatalf("a wrong counter: %v", err)
	}

	c.ConsecutiveFailures--
	if _, err := r.st.PutCounter(ctx, &c, rev); err != nil {
		t.Fatal(err)
	}
	if err := r.verify(ctx, m.name, before); err != nil {
		t.Fatalf("counter put back: %v", err)
	}
	if _, err := r.st.PublishEvent(ctx, r.storedEvent(0)); err != nil {
		t.Fatal(err)
	}
	if err := r.verify(ctx, m.name, before); !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "events stored") {
		t.Fatalf("an extra event: %v", err)
	}
}

// BenchmarkProcess times the pipeline over stored workloads, in outcomes
// per second, with the exactly-once check after each run.
func BenchmarkProcess(b *testing.B) {
	for _, m := range []mix{
		{name: "healthy", integrations: 1000, failEvery: 20},
		{name: "outage", integrations: 100, failEvery: 1, enableAfter: 20},
	} {
		b.Run(m.name, func(b *testing.B) {
			r := newRunner(b)
			var rates []float64
			for i := 0; b.Loop(); i++ {
				m := m
				m.name = m.name + string(rune('a'+i%26))
				rate, err := r.process(context.Background(), m, 20_000, nil)
				if err != nil {
					b.Fatal(err)
				}
				rates = append(rates, rate)
			}
			b.ReportMetric(rates[len(rates)/2], "outcomes/s")
		})
	}
}

// TestRunDoesNotPrintTheURLsSecrets: a --nats-url that does not parse is
// quoted by url.Parse's error; its password is not.
func TestRunDoesNotPrintTheURLsSecrets(t *testing.T) {
	_, err := Run(context.Background(), Config{NATSURL: "nats://bob:fake-bench-SECRET@127.0.0.1:port"}, zap.NewNop())
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "connect to nats://[REDACTED]:[REDACTED]@127.0.0.1:port") {
		t.Fatalf("bench on a bad URL: %v", err)
	}
}
