package store_test

import (
	"context"
	"testing"
)

func TestClaimRunRemembersTheFirstSequence(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	claim := func(integration, run string, seq uint64) uint64 {
		t.Helper()
		first, err := st.ClaimRun(ctx, integration, run, seq)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if got := claim("a", "run 1/with spaces and ümlauts", 10); got != 10 {
		t.Fatalf("first claim: %d", got)
	}
	if got := claim("a", "run 1/with spaces and ümlauts", 10); got != 10 {
		t.Fatalf("the same sequence again (a redelivery): %d", got)
	}
	if got := claim("a", "run 1/with spaces and ümlauts", 55); got != 10 {
		t.Fatalf("a resend at 55 must be told 10, got %d", got)
	}
	if got := claim("b", "run 1/with spaces and ümlauts", 56); got != 56 {
		t.Fatalf("another integration's run id is its own: %d", got)
	}
}
