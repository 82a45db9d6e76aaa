package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotConnected is returned by Ping when the NATS connection is down.
var ErrNotConnected = errors.New("NATS is not connected")

// Ping returns nil when the connection is up and the events and runs
// streams answer an info request within ctx; otherwise what failed. It is
// what a readiness probe asks: one round trip per stream.
func (s *Store) Ping(ctx context.Context) error {
	if !s.nc.IsConnected() {
		return ErrNotConnected
	}
	if _, err := s.events.Info(ctx); err != nil {
		return fmt.Errorf("stream %s: %w", StreamEvents, err)
	}
	if _, err := s.runs.Info(ctx); err != nil {
		return fmt.Errorf("stream %s: %w", StreamRuns, err)
	}
	return nil
}
