package processor

import (
	"fmt"

	"github.com/integration-events/integration-events/store"
)

// CheckLimits reports the first limit of c that contradicts one of s, by
// the names of their flags. Each check says why the two must be so.
func (c Config) CheckLimits(s store.Config) error {
	switch {
	case c.BatchTimeout >= s.AckWait:
		return fmt.Errorf("batch-timeout %s must be under ack-wait %s: JetStream would redeliver a slow batch while it is applied; lower batch-timeout with ack-wait", c.BatchTimeout, s.AckWait)
	case 2*c.Heartbeat > s.MemberTTL:
		return fmt.Errorf("heartbeat %s must be at most half of member-ttl %s: one late heartbeat would drop a live replica and move its partitions", c.Heartbeat, s.MemberTTL)
	}
	return nil
}
