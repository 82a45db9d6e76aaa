package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go/jetstream"
)

// Heartbeat records that replica id is live, for MemberTTL.
func (s *Store) Heartbeat(ctx context.Context, id string, info []byte) error {
	if _, err := s.members.Put(ctx, id, info); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// Leave removes replica id at once, so the others take its partitions over
// without waiting for its heartbeat to expire.
func (s *Store) Leave(ctx context.Context, id string) error {
	if err := s.members.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}

// Members lists the live replicas, sorted.
func (s *Store) Members(ctx context.Context) ([]string, error) {
	keys, err := s.members.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	sort.Strings(keys)
	return keys, nil
}
