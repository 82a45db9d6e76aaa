package test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The integrations whose subjects the forged replies aim at: rfOn has a
// streak of one, rfOff is disabled.
const (
	rfOn  = "rf-on"
	rfOff = "rf-off"
)

// forgedReplies are every protected subject, as a reply subject: if
// whatever answers a request published its answer there in the streams'
// account, a stream would store it.
func forgedReplies() []string {
	s := subjects.Default()
	return []string{
		s.Disable(rfOn), s.Enable(rfOff), s.Event(subjects.KindPerform, rfOn), s.Event(subjects.KindDisabled, rfOn),
		s.Actioned(rfOn), s.Run(rfOn), s.DeadLetter(),
	}
}

// protectedState is what the streams hold on the victims' subjects (and
// the dead letters), by stream and subject, and the victims' counters.
type protectedState struct {
	stored   map[string]int
	counters map[string]subjects.FailureCounter
}

// checkNothingForged settles what nc sent and compares the protected
// state with before.
func checkNothingForged(t *testing.T, nc, admin *nats.Conn, before protectedState) {
	t.Helper()
	settle(t, nc, admin)
	after := readProtected(t, admin)
	for k, n := range after.stored {
		if before.stored[k] != n {
			t.Errorf("%s: %d messages, %d before", k, n, before.stored[k])
		}
	}
	for id, c := range before.counters {
		if a := after.counters[id]; a.ConsecutiveFailures != c.ConsecutiveFailures || a.Disabled != c.Disabled || a.Episode != c.Episode {
			t.Errorf("%s: counter went from streak %d disabled %t episode %d to %d %t %d", id, c.ConsecutiveFailures, c.Disabled, c.Episode, a.ConsecutiveFailures, a.Disabled, a.Episode)
		}
	}
}

func readProtected(t *testing.T, admin *nats.Conn) protectedState {
	t.Helper()
	p := protectedState{stored: map[string]int{}, counters: map[string]subjects.FailureCounter{}}
	for _, stream := range []string{store.StreamRuns, store.StreamEvents, store.StreamCommands, store.StreamDeadLetter} {
		for _, m := range Stored(t, admin, stream) {
			if stream == store.StreamDeadLetter || strings.HasSuffix(m.Subject, "."+rfOn) || strings.HasSuffix(m.Subject, "."+rfOff) {
				p.stored[stream+" "+m.Subject]++
			}
		}
	}
	for _, id := range []string{rfOn, rfOff} {
		c, _ := Counter(t, admin, id)
		p.counters[id] = c
	}
	return p
}

// TestNoRoleForgesThroughAReplySubject: the server never checks a reply
// subject against publish permissions, so each role sends every request it
// may make with every protected subject as its reply subject. Because the
// roles are in accounts without streams (natsauth.Accounts), each answer
// goes back into the requester's account and nothing is stored; the streams
// and counters are compared before and after.
func TestNoRoleForgesThroughAReplySubject(t *testing.T) {
	users := WriteAuthUsers(t)
	s := StartServe(t, t.TempDir(), FreePort(t), "--nats-auth", users.File, "--disable-after", "2")
	subj := subjects.Default()
	admin, _ := ConnectAs(t, s.URL, users.As(UserAdmin)...)
	runner, _ := ConnectAs(t, s.URL, users.As(UserRunner)...)
	op, _ := ConnectAs(t, s.URL, users.As(UserOperator)...)
	sub, _ := ConnectAs(t, s.URL, users.As(UserSubscriber)...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	replies := forgedReplies()

	// rfOn has a streak of one, rfOff is disabled; one event for each
	// message a subscriber's request below takes.
	Publish(t, runner, workload.Failed(rfOn, "rf-on-1", subjects.StagePerform, 502))
	Publish(t, runner, workload.Failed(rfOff, "rf-off-1", subjects.StagePerform, 502))
	Publish(t, runner, workload.Failed(rfOff, "rf-off-2", subjects.StagePerform, 502))
	for i := range 2 * len(replies) {
		Publish(t, runner, workload.Failed(fmt.Sprintf("rf-e%d", i), "rf-e-1", subjects.StagePerform, 502))
	}
	WaitCounter(t, admin, rfOn, Streak(1, false))
	WaitCounter(t, admin, rfOff, Streak(2, true))
	for i := range 2 * len(replies) {
		WaitCounter(t, admin, fmt.Sprintf("rf-e%d", i), Streak(1, false))
	}
	ajs, _ := jetstream.New(admin)
	for _, stream := range []string{store.StreamEvents, store.StreamCommands} {
		if _, err := ajs.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: UserSubscriber, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
			t.Fatal(err)
		}
	}
	start := readProtected(t, admin)
	if !start.counters[rfOff].Disabled || start.stored[store.StreamCommands+" "+subj.Disable(rfOff)] != 1 {
		t.Fatalf("set-up: %+v", start)
	}
	// Each role is checked after its requests, and all at the end, for an
	// answer that came late.
	defer checkNothingForged(t, admin, admin, start)

	// send publishes data on subject with each forged reply.
	send := func(nc *nats.Conn, subject string, data []byte) {
		t.Helper()
		for _, r := range replies {
			if err := nc.PublishMsg(&nats.Msg{Subject: subject, Reply: r, Data: data}); err != nil {
				t.Fatal(err)
			}
		}
	}
	kvGet := func(bucket, key string) (info, direct, msgGet string, data []byte) {
		return "$JS.API.STREAM.INFO.KV_" + bucket, "$JS.API.DIRECT.GET.KV_" + bucket + ".$KV." + bucket + "." + key,
			"$JS.API.STREAM.MSG.GET.KV_" + bucket, []byte(`{"last_by_subj":"$KV.` + bucket + `.` + key + `"}`)
	}

	t.Run("runner", func(t *testing.T) {
		before := readProtected(t, admin)
		defer checkNothingForged(t, runner, admin, before)
		run, _ := json.Marshal(workload.Succeeded("rf-src", "rf-src-1"))
		send(runner, subj.Run("rf-src"), run) // a JetStream publish: its PubAck
		info, direct, msgGet, req := kvGet(store.BucketMappings, "Salesforce.Account.none")
		send(runner, info, nil)
		send(runner, direct, nil)
		send(runner, msgGet, req)
		// Honest requests after them: answered, so were the forged ones.
		js, _ := jetstream.New(runner)
		if _, err := js.Publish(ctx, subj.Run("rf-src"), run); err != nil {
			t.Fatal(err)
		}
		kv, err := js.KeyValue(ctx, store.BucketMappings)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Get(ctx, "Salesforce.Account.none"); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Fatalf("runner's mapping get: %v, want key not found", err)
		}
	})

	t.Run("operator", func(t *testing.T) {
		before := readProtected(t, admin)
		defer checkNothingForged(t, op, admin, before)
		send(op, subj.API(subjects.EndpointStatus), []byte(`{}`))
		send(op, subj.API(subjects.EndpointIntegrationGet), []byte(`{"integrationId":"`+rfOff+`"}`))
		send(op, "$SRV.PING", nil)
		send(op, "$SRV.INFO."+subjects.ServiceName, nil)
		send(op, subj.Enable("rf-src"), []byte(`{"integrationId":"rf-src","enabledBy":"op1"}`))
		for _, b := range []string{store.BucketCounters, store.BucketMappings} {
			info, direct, msgGet, req := kvGet(b, rfOff)
			send(op, info, nil)
			send(op, direct, nil)
			send(op, msgGet, req)
		}
		if _, err := API(op).Integration(ctx, rfOff); err != nil {
			t.Fatal(err)
		}
		if _, err := op.Request("$SRV.PING."+subjects.ServiceName, nil, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(op)
		if _, err := js.Publish(ctx, subj.Enable("rf-src"), []byte(`{"integrationId":"rf-src","enabledBy":"op1"}`)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("subscriber", func(t *testing.T) {
		before := readProtected(t, admin)
		defer checkNothingForged(t, sub, admin, before)
		js, _ := jetstream.New(sub)
		c, err := js.Consumer(ctx, store.StreamEvents, UserSubscriber)
		if err != nil {
			t.Fatal(err)
		}
		// Acks, each of a message fetched honestly, with a forged reply.
		batch, err := c.FetchNoWait(len(replies))
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for m := range batch.Messages() {
			if err := sub.PublishMsg(&nats.Msg{Subject: m.Reply(), Reply: replies[i], Data: []byte("+ACK")}); err != nil {
				t.Fatal(err)
			}
			i++
		}
		if i != len(replies) {
			t.Fatalf("fetched %d events, want %d (%v)", i, len(replies), batch.Error())
		}
		for _, stream := range []string{store.StreamEvents, store.StreamCommands} {
			send(sub, "$JS.API.CONSUMER.MSG.NEXT."+stream+"."+UserSubscriber, []byte(`{"batch":1,"no_wait":true}`))
			send(sub, "$JS.API.CONSUMER.INFO."+stream+"."+UserSubscriber, nil)
			send(sub, "$JS.API.STREAM.INFO."+stream, nil)
		}
		CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			info, err := c.Info(ctx)
			if err != nil {
				return err
			}
			if info.AckFloor.Consumer < uint64(len(replies)) {
				return fmt.Errorf("ack floor %d, want the %d acks with forged replies taken", info.AckFloor.Consumer, len(replies))
			}
			return nil
		})
	})

}
