package processor_test

import (
	"testing"
	"time"

	"github.com/integration-events/integration-events/processor"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/test"
)

// TestCheckLimitsRefusesLimitsThatContradict sets pairs of limits that are
// each valid alone: CheckLimits refuses the pairs that cannot work, naming
// both flags and why, and lets the boundary that works through.
func TestCheckLimitsRefusesLimitsThatContradict(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*processor.Config, *store.Config)
		want string // "" for none
	}{
		{"defaults", func(*processor.Config, *store.Config) {}, ""},
		{"batch-timeout just under ack-wait", func(p *processor.Config, s *store.Config) { p.BatchTimeout = s.AckWait - time.Millisecond }, ""},
		{"batch-timeout at ack-wait", func(p *processor.Config, s *store.Config) { p.BatchTimeout = s.AckWait },
			"batch-timeout 6s must be under ack-wait 6s: JetStream would redeliver a slow batch while it is applied"},
		{"ack-wait under the default batch-timeout", func(_ *processor.Config, s *store.Config) { s.AckWait = 2 * time.Second },
			"batch-timeout 3s must be under ack-wait 2s"},
		{"heartbeat half of member-ttl", func(p *processor.Config, s *store.Config) { p.Heartbeat = s.MemberTTL / 2 }, ""},
		{"heartbeat over half of member-ttl", func(p *processor.Config, s *store.Config) { p.Heartbeat = s.MemberTTL/2 + time.Millisecond },
			"heartbeat 1.501s must be at most half of member-ttl 3s: one late heartbeat would drop a live replica"},
		{"member-ttl under twice the default heartbeat", func(_ *processor.Config, s *store.Config) { s.MemberTTL = time.Second },
			"heartbeat 1s must be at most half of member-ttl 1s"},
	} {
		p, s := processor.DefaultConfig(), store.DefaultConfig()
		c.set(&p, &s)
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: the pipeline config alone: %v", c.name, err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: the store config alone: %v", c.name, err)
		}
		test.CheckError(t, c.name, p.CheckLimits(s), c.want)
	}
}
