package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRangeReadsOnePartitionBetweenTwoSequences checks the read a new pin
// makes of what an earlier holder may have left: only the partition's
// messages, after one sequence and up to another, all of them, in order.
func TestRangeReadsOnePartitionBetweenTwoSequences(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const n = 4000
	var want []uint64 // sequences of partition 0, as stored
	err := workload.Publish(ctx, st.Conn(), n, func(i int) *nats.Msg {
		return &nats.Msg{Subject: subjects.Default().Run(fmt.Sprintf("range-%d", i%40)), Data: []byte("{}")}
	}, func(i int, seq uint64) {
		if subjects.PartitionOf(fmt.Sprintf("range-%d", i%40), st.Partitions()) == 0 {
			want = append(want, seq)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.ConsumePartition(ctx, 0, func(*store.Delivery) {})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop(ctx)
	if len(want) < 300 {
		t.Fatalf("only %d of %d messages in partition 0: the test needs more than one fetch", len(want), n)
	}
	for _, c := range []struct{ after, through uint64 }{
		{0, n}, {want[10], want[len(want)-20]}, {want[5] - 1, want[5]}, {want[7], want[7]}, {n, n + 100},
	} {
		got, err := sub.Range(ctx, c.after, c.through)
		if err != nil {
			t.Fatal(err)
		}
		var exp []uint64
		for _, s := range want {
			if s > c.after && s <= c.through {
				exp = append(exp, s)
			}
		}
		if len(got) != len(exp) {
			t.Fatalf("range (%d, %d]: %d messages, want %d", c.after, c.through, len(got), len(exp))
		}
		for i, m := range got {
			if m.Seq != exp[i] {
				t.Fatalf("range (%d, %d]: message %d is sequence %d, want %d", c.after, c.through, i, m.Seq, exp[i])
			}
		}
	}

	// Messages removed from the end of the range (aged out, say) leave it
	// shorter, not unfinished.
	js, err := jetstream.New(st.Conn())
	if err != nil {
		t.Fatal(err)
	}
	runs, err := js.Stream(ctx, store.StreamRuns)
	if err != nil {
		t.Fatal(err)
	}
	last := len(want) - 1
	for _, seq := range want[last-2:] {
		if err := runs.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	got, err := sub.Range(ctx, want[last-9], want[last])
	if err != nil || len(got) != 6 || got[5].Seq != want[last-3] {
		t.Fatalf("range over 3 removed messages: %d messages, %v", len(got), err)
	}
}
