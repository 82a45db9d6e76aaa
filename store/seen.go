package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// seenKey hashes the run id: run ids are free text, KV keys are not.
func seenKey(integrationID, runID string) string {
	h := sha256.Sum256([]byte(runID))
	return integrationID + "." + hex.EncodeToString(h[:16])
}

// ClaimRun records that run runID of integrationID was first carried by
// stream sequence seq, and returns the sequence that first carried it: seq
// itself on the first claim (or when seq claimed it before a crash), another
// sequence for a resend.
func (s *Store) ClaimRun(ctx context.Context, integrationID, runID string, seq uint64) (uint64, error) {
	key := seenKey(integrationID, runID)
	val := strconv.FormatUint(seq, 10)
	_, err := s.seen.Create(ctx, key, []byte(val))
	if err == nil {
		return seq, nil
	}
	if !isConflict(err) {
		return 0, fmt.Errorf("claim run %s of %s: %w", runID, integrationID, err)
	}
	e, err := s.seen.Get(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("claimed run %s of %s: %w", runID, integrationID, err)
	}
	first, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("claimed run %s of %s holds %q: %w", runID, integrationID, e.Value(), err)
	}
	return first, nil
}
