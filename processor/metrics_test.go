package processor_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/metrics"
	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
	"github.com/integration-events/integration-events/workload"
	"go.uber.org/zap"
)

// TestPipelineCountsWhatItApplies runs the pipeline in process (so -race
// sees its counting) over many integrations in every partition, with
// resends, and checks the counts against what was published.
func TestPipelineCountsWhatItApplies(t *testing.T) {
	srv := test.StartServer(t)
	nc := test.Connect(t, srv.ClientURL())
	ctx := context.Background()
	st, err := store.Open(ctx, nc, store.DefaultConfig(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Labels{Statuses: []string{"succeeded", "failed"}, Destinations: processor.Destinations(), DeadLetterReasons: processor.DeadLetterReasons})
	st.SetMetrics(m)
	p, err := processor.NewPipeline(processor.Config{Policy: policy.After(3)}, st, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	p.SetMetrics(m)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	const integrations, runs = 24, 4
	for r := range runs {
		for i := range integrations {
			o := workload.Failed(fmt.Sprintf("count-%d", i), fmt.Sprintf("r%d", r), subjects.StagePerform, 500)
			if r%2 == 1 {
				o = workload.Succeeded(o.IntegrationID, o.RunID)
			}
			test.Publish(t, nc, o)
			if r == runs-1 {
				test.Publish(t, nc, o) // a resend
			}
		}
	}
	want := fmt.Sprintf(`integration_events_outcomes_total{destination="Salesforce",status="failed"} %d`, integrations*runs/2) + "\n" +
		fmt.Sprintf(`integration_events_outcomes_total{destination="Salesforce",status="succeeded"} %d`, integrations*runs/2)
	test.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		body := rec.Body.String()
		if !strings.Contains(body, want) || !strings.Contains(body, "integration_events_processing_seconds_count "+fmt.Sprint(integrations*runs)+"\n") {
			return fmt.Errorf("want\n%s\nin\n%s", want, grep(body, "integration_events_outcomes_total{destination=\"Salesforce\""))
		}
		return nil
	})
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
