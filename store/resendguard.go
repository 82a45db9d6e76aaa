package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// resendCheckpointName names partition p's checkpoint in
// BucketResendCheckpoints: "p3".
func resendCheckpointName(p int) string { return "p" + strconv.Itoa(p) }

// SaveResendCheckpoint stores partition p's resend guard checkpoint
// (resend.Guard.MarshalBinary), replacing the one before.
func (s *Store) SaveResendCheckpoint(ctx context.Context, p int, b []byte) error {
	if _, err := s.checkpoints.PutBytes(ctx, resendCheckpointName(p), b); err != nil {
		return fmt.Errorf("resend checkpoint of partition %d: %w", p, err)
	}
	return nil
}

// LoadResendCheckpoint returns partition p's last resend guard checkpoint,
// or ErrNotFound when none was stored.
func (s *Store) LoadResendCheckpoint(ctx context.Context, p int) ([]byte, error) {
	b, err := s.checkpoints.GetBytes(ctx, resendCheckpointName(p))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("resend checkpoint of partition %d: %w", p, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("resend checkpoint of partition %d: %w", p, err)
	}
	return b, nil
}

// RunAt returns the message INTEGRATION_RUNS stored at sequence seq, read
// from the stream leader, or ErrNotFound when there is none (never stored,
// aged out or removed).
func (s *Store) RunAt(ctx context.Context, seq uint64) (Msg, error) {
	raw, err := s.runs.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Msg{}, fmt.Errorf("%s sequence %d: %w", StreamRuns, seq, ErrNotFound)
	}
	if err != nil {
		return Msg{}, fmt.Errorf("%s sequence %d: %w", StreamRuns, seq, err)
	}
	return runMsg(raw), nil
}
