package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// benchBatch is a partition's default batch of writes.
const benchBatch = 256

// BenchmarkBatchOfEvents stores batches of benchBatch events, each sent at
// once and awaited together: by Writes, and by nats.go's PublishMsgAsync
// with a future per write, the way Writes would be written over it.
func BenchmarkBatchOfEvents(b *testing.B) {
	st := openStore(b)
	ce := []byte(`{"specversion":"1.0","id":"x","source":"t","type":"integration.perform.error","time":"2026-11-25T12:00:00Z","data":{"n":1}}`)
	ev := func(i, j int) store.StoredEvent {
		return store.StoredEvent{ID: fmt.Sprintf("ev-%d-%d", i, j), Kind: subjects.KindPerform, IntegrationID: fmt.Sprintf("int-%d", j), Time: time.Unix(0, 0), CloudEvent: ce}
	}
	ctx := context.Background()
	b.Run("Writes", func(b *testing.B) {
		w, err := st.Writes()
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		for i := 0; b.Loop(); i++ {
			var failed error
			for j := range benchBatch {
				w.PublishEvent(ev(i, j), func(_ uint64, err error) {
					if err != nil {
						failed = err
					}
				})
			}
			w.Flush(ctx)
			if failed != nil {
				b.Fatal(failed)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/write")
	})
	b.Run("PublishMsgAsync", func(b *testing.B) {
		js, err := jetstream.New(st.Conn(), jetstream.WithPublishAsyncMaxPending(4*benchBatch))
		if err != nil {
			b.Fatal(err)
		}
		subj := st.Subjects()
		futures := make([]jetstream.PubAckFuture, benchBatch)
		for i := 0; b.Loop(); i++ {
			for j := range benchBatch {
				e := ev(i+1<<20, j)
				m := &nats.Msg{Subject: subj.Event(e.Kind, e.IntegrationID), Data: e.CloudEvent, Header: nats.Header{"Content-Type": []string{subjects.CloudEventsContentType}}}
				if futures[j], err = js.PublishMsgAsync(m, jetstream.WithMsgID(e.ID)); err != nil {
					b.Fatal(err)
				}
			}
			for _, f := range futures {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					b.Fatal(err)
				case <-ctx.Done():
					b.Fatal(ctx.Err())
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/write")
	})
}
