package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/fault"
	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
)

// TestActionedAckSurvivesACrashAtEveryStep runs serve built with -tags
// faultpoints, armed to die (SIGKILL, by its own PID) at one step of
// actioning: after the outbox entry, after the mark, after the
// acknowledgement. It actions one event, which kills it there, restarts
// serve on the same data unarmed, actions two more (and the first again),
// and compares with the model: the restart empties the outbox by itself,
// the three events are actioned as asked, with one acknowledgement each,
// none for the three left, and the acknowledgement the restart completed
// is logged with its ids.
func TestActionedAckSurvivesACrashAtEveryStep(t *testing.T) {
	bin := BinaryTags(t, "faultpoints")
	for _, point := range []string{store.PointActionedIntent, store.PointActionedMarked, store.PointActionedPublished} {
		t.Run(point, func(t *testing.T) {
			dir, listen := t.TempDir(), FreePort(t)
			s := StartServeBinary(t, bin, []string{fault.Env + "=" + point}, dir, listen)
			nc := Connect(t, s.URL)
			ids := raiseEvents(t, nc, 6)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if resp, err := API(nc).ActionEvents(ctx, subjects.ActionEventsRequest{IDs: ids[:1], ActionedBy: "ana", Note: "mapping created"}); err == nil {
				t.Fatalf("serve answered %+v: it should have died at %s", resp, point)
			}
			if err := s.WaitExit(30 * time.Second); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("serve armed at %s: %v", point, err)
			}
			nc.Close()

			s = StartServeBinary(t, bin, nil, dir, listen)
			nc = Connect(t, s.URL)
			api := API(nc)
			// The restart completes the action on its own.
			CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				if n := len(OutboxKeys(t, nc)); n != 0 {
					return fmt.Errorf("%d outbox entries", n)
				}
				return nil
			})
			resp, err := api.ActionEvents(context.Background(), subjects.ActionEventsRequest{IDs: ids[:3], ActionedBy: "bo"})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.AlreadyActioned) != 1 || resp.AlreadyActioned[0].ID != ids[0] || resp.AlreadyActioned[0].ActionedBy != "ana" || len(resp.Actioned) != 2 {
				t.Fatalf("after the restart: %+v", resp)
			}
			if n := len(OutboxKeys(t, nc)); n != 0 {
				t.Fatalf("%d outbox entries after a whole action", n)
			}
			var actioned []subjects.EventRecord
			for i, id := range ids {
				rec, err := api.Event(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if want := i < 3; (rec.DtActioned != nil) != want {
					t.Fatalf("event %d actioned: %t, want %t", i, rec.DtActioned != nil, want)
				}
				if rec.DtActioned != nil {
					actioned = append(actioned, rec)
				}
			}
			if actioned[0].ActionedBy != "ana" || actioned[0].Note != "mapping created" {
				t.Fatalf("the event actioned before the crash: %+v", actioned[0])
			}
			CheckOneAckEach(t, nc, actioned)
			completed := 0
			for _, line := range strings.Split(s.Output(), "\n") {
				if strings.Contains(line, "actioned acknowledgement completed from the outbox") && strings.Contains(line, ids[0]) && strings.Contains(line, actioned[0].IntegrationID) {
					completed++
				}
			}
			if want := map[bool]int{true: 0, false: 1}[point == store.PointActionedPublished]; completed != want {
				t.Fatalf("%d completions logged after the restart, want %d:\n%s", completed, want, s.Output())
			}
		})
	}
}

// raiseEvents publishes n failed runs over three integrations and returns
// the ids of their events, oldest first, once all are stored.
func raiseEvents(t *testing.T, nc *nats.Conn, n int) []string {
	t.Helper()
	for i := range n {
		Publish(t, nc, workload.Failed(fmt.Sprintf("crash-int-%d", i%3), fmt.Sprintf("run-%d", i), subjects.StagePerform, 500))
	}
	var ids []string
	CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		ids = ids[:0]
		for _, e := range StoredEvents(t, nc) {
			ids = append(ids, e.ID)
		}
		if len(ids) != n {
			return fmt.Errorf("%d of %d events stored", len(ids), n)
		}
		return nil
	})
	return slices.Clone(ids)
}
