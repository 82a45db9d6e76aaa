package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/test"
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

// TestPartitionOfMatchesTheServer checks that subjects.PartitionOf, which
// tests use to aim at a partition, agrees with the stream's transform.
func TestPartitionOfMatchesTheServer(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	nc := st.Conn()
	for i := range 40 {
		id := fmt.Sprintf("int-%d-x", i*7919)
		if err := nc.Publish(subjects.Default().Run(id), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		var m store.Msg
		test.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
			var err error
			m, err = st.NextRun(ctx, id, 1)
			return err
		})
		pm, err := subjects.Default().ParsePartitioned(m.Subject)
		if err != nil {
			t.Fatal(err)
		}
		if want := subjects.PartitionOf(id, st.Partitions()); pm.Partition != want {
			t.Fatalf("%s stored in partition %d, PartitionOf says %d", id, pm.Partition, want)
		}
	}
}
