package bench

import (
	"testing"
	"time"

	"github.com/integration-events/integration-events/test"
)

// TestValidateChecksTheProcessorBeforeTheBaseline: a pipeline or store
// setting that cannot work, alone or against another, fails Validate, as
// serve's check does, instead of the first processor run after the baseline.
func TestValidateChecksTheProcessorBeforeTheBaseline(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Config)
		want string // "" for none
	}{
		{"defaults", func(*Config) {}, ""},
		{"batch over 4096", func(c *Config) { c.Pipeline.Batch = 5000 }, "batch 5000 must be 1 to 4096"},
		{"max-ack-pending negative", func(c *Config) { c.Store.MaxAckPending = -1 }, "max-ack-pending -1 must be positive"},
		{"ack-wait under batch-timeout", func(c *Config) { c.Store.AckWait = 2 * time.Second }, "batch-timeout 3s must be under ack-wait 2s"},
	} {
		cfg := Config{}
		c.set(&cfg)
		cfg.setDefaults()
		test.CheckError(t, c.name, cfg.Validate(), c.want)
	}
}
