package processor

import "context"

// Carries exposes carries to the external tests.
func (p *Pipeline) Carries(ctx context.Context, seq uint64, id, runID string) (bool, error) {
	return p.carries(ctx, seq, id, runID)
}
