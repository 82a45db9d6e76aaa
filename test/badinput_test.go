package test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/integration-events/integration-events/workload"
)

func TestEveryBadOutcomeIsDeadLetteredAndChangesNoCounter(t *testing.T) {
	s, nc := startServe(t)
	const id = "poison"
	events := subscribe(t, nc, "integrations.events.>")
	Publish(t, nc, workload.Failed(id, "p1", subjects.StagePerform, 500))
	Publish(t, nc, workload.Failed(id, "p2", subjects.StageValidate, 0))
	before := WaitCounter(t, nc, id, Streak(2, false))
	events.waitCount(t, 2)

	dead := subscribe(t, nc, "integrations.deadletter")
	inputs := BadOutcomes(id)
	for _, in := range inputs {
		PublishRaw(t, nc, in.Subject, in.Data)
	}
	got := dead.waitCount(t, len(inputs))

	// Partitions run in parallel, so records arrive in any order: each input
	// must match exactly one record by subject, reason and payload, and
	// each record exactly one input.
	used := make([]string, len(got))
	seqs := make([]uint64, len(inputs))
	for i, in := range inputs {
		matches := 0
		for j, m := range got {
			reason := m.Header.Get(subjects.HeaderDeadLetterReason)
			if m.Header.Get(subjects.HeaderOriginalSubject) != in.Subject || !strings.Contains(reason, in.Reason) {
				continue
			}
			var dl subjects.DeadLetter
			if err := json.Unmarshal(m.Data, &dl); err != nil {
				t.Fatalf("dead letter body: %v", err)
			}
			if !samePayload(dl, in.Data) {
				continue
			}
			matches++
			if used[j] != "" {
				t.Errorf("%s: its record is also %s's", in.Name, used[j])
			}
			used[j] = in.Name
			if dl.Reason != reason || dl.OriginalSubject != in.Subject || dl.Size != len(in.Data) || dl.OriginalStream != store.StreamRuns {
				t.Errorf("%s: body reason %.300q subject %q stream %q size %d, want %.300q %q %q %d",
					in.Name, dl.Reason, dl.OriginalSubject, dl.OriginalStream, dl.Size, reason, in.Subject, store.StreamRuns, len(in.Data))
			}
			if !strings.HasPrefix(reason, "bad input: ") && !strings.HasPrefix(reason, "subject ") {
				t.Errorf("%s: reason %.300q is neither bad input nor a bad subject", in.Name, reason)
			}
			seq, err := strconv.ParseUint(m.Header.Get(subjects.HeaderOriginalSequence), 10, 64)
			if err != nil || seq == 0 || seq != dl.OriginalSequence {
				t.Errorf("%s: original sequence header %q, body %d", in.Name, m.Header.Get(subjects.HeaderOriginalSequence), dl.OriginalSequence)
			}
			seqs[i] = seq
		}
		if matches != 1 {
			t.Errorf("%s: %d dead letters on %s with reason %q and its payload, want 1", in.Name, matches, in.Subject, in.Reason)
		}
	}
	for j, name := range used {
		if name == "" {
			t.Errorf("dead letter %s (%.200s) matches no input", got[j].Header.Get(subjects.HeaderDeadLetterReason), got[j].Data)
		}
	}

	// Nothing counted, nothing raised.
	after, ok := Counter(t, nc, id)
	if !ok {
		t.Fatal("the counter of poison is gone")
	}
	if after.ConsecutiveFailures != before.ConsecutiveFailures || after.LastAppliedSeq != before.LastAppliedSeq ||
		!after.UpdatedAt.Equal(before.UpdatedAt) || after.LastRunID != before.LastRunID {
		t.Fatalf("bad input changed the counter: %+v then %+v", before, after)
	}
	if n := len(events.all()); n != 2 {
		t.Fatalf("%d events after the bad input, want the 2 of the valid failures", n)
	}

	// Still alive and still counting: the next valid failure makes the streak 3.
	select {
	case <-s.exited:
		t.Fatalf("serve exited: %v\n%s", s.err, tail(s.Output()))
	default:
	}
	Publish(t, nc, workload.Failed(id, "p3", subjects.StagePerform, 503))
	next := WaitCounter(t, nc, id, Streak(3, false))
	if next.LastRunID != "p3" || next.LastAppliedSeq <= before.LastAppliedSeq {
		t.Fatalf("after the next failure: %+v", next)
	}
	events.waitCount(t, 3)

	// One warning per input, each naming the input's sequence: serve's
	// logger does not sample, so none is dropped in a burst.
	var logged map[uint64]int
	CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		logged = deadLetterLog(t, s.Output())
		if n := sum(logged); n < len(inputs) {
			return fmt.Errorf("%d dead-letter warnings logged, want %d", n, len(inputs))
		}
		return nil
	})
	if n := strings.Count(s.Output(), "message dead-lettered"); n != len(inputs) {
		t.Errorf("%d dead-letter warnings logged, want %d (once each)", n, len(inputs))
	}
	for i, in := range inputs {
		if seqs[i] != 0 && logged[seqs[i]] != 1 {
			t.Errorf("%s: %d warnings for sequence %d, want 1", in.Name, logged[seqs[i]], seqs[i])
		}
	}
	if strings.Contains(s.Output(), "sekret") {
		t.Error("a secret reached the log")
	}
}

// samePayload reports whether a dead-letter body holds data.
func samePayload(dl subjects.DeadLetter, data []byte) bool {
	if dl.PayloadBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(dl.PayloadBase64)
		return err == nil && dl.Payload == "" && bytes.Equal(b, data)
	}
	return dl.Payload == string(data)
}

// deadLetterLog counts serve's "message dead-lettered" JSON log lines by the
// sequence they name.
func deadLetterLog(t *testing.T, output string) map[uint64]int {
	t.Helper()
	out := map[uint64]int{}
	for _, line := range strings.Split(output, "\n") {
		if !strings.Contains(line, "message dead-lettered") {
			continue
		}
		var entry struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Stream string `json:"stream"`
			Seq    uint64 `json:"seq"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %v: %.300s", err, line)
		}
		if entry.Msg != "message dead-lettered" || entry.Level != "warn" || entry.Stream != store.StreamRuns || entry.Reason == "" {
			t.Errorf("dead-letter log line: %.300s", line)
		}
		out[entry.Seq]++
	}
	return out
}

func sum(m map[uint64]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}
