package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/subjects"
)

// TestPrintStatusBoundsAndLabels: what the end-to-end test cannot reach
// cheaply: more disabled integrations than the text lists, bounded
// not-actioned counts, 16 partitions over two replicas, and colour.
func TestPrintStatusBoundsAndLabels(t *testing.T) {
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	st := subjects.DeploymentStatus{Time: now, ServiceVersion: "0.1.0",
		Server: subjects.StatusServer{URL: "nats://127.0.0.1:4222", Reachable: true, Name: "n1", Version: "2.15.2", RTTMillis: 0.5}}
	st.Replicas = []subjects.ReplicaStatus{
		{ID: "aaaaaaaa-1", LastHeartbeat: now.Add(-2 * time.Second), Partitions: []int{0, 2, 4, 6, 8, 10, 12, 14}},
		{ID: "bbbbbbbb-2", LastHeartbeat: now.Add(-time.Second), Partitions: []int{1, 3, 5, 7, 9, 11, 13, 15}},
	}
	for p := range 16 {
		st.Partitions = append(st.Partitions, subjects.PartitionStatus{Partition: p, Pending: uint64(p * 100_000), Replica: st.Replicas[p%2].ID})
	}
	st.Disabled.Total = 30
	for i := range subjects.MaxStatusDisabled {
		st.Disabled.Integrations = append(st.Disabled.Integrations, subjects.DisabledIntegration{IntegrationID: fmt.Sprintf("int-%02d", i),
			Destination: "Stripe", DisabledAt: &now, ConsecutiveFailures: 20, LastError: strings.Repeat("card declined ", 20)})
	}
	st.NotActioned = subjects.NotActionedStatus{ByEventName: map[string]uint64{}, Stored: map[string]uint64{}, Total: 5000, ActionedRead: 10_000, ActionedTotal: 12_345}
	for _, n := range subjects.EventNames() {
		st.NotActioned.ByEventName[n], st.NotActioned.Stored[n] = 1000, 3469
	}

	var plain, coloured bytes.Buffer
	printStatus(&plain, st, false)
	printStatus(&coloured, st, true)
	text := plain.String()
	for _, want := range []string{
		`(?m)^Partition( +\d+){10}$`, `(?m)^Partition +10 +11 +12 +13 +14 +15$`,
		`(?m)^  pending +0 100,000 200,000 .* 900,000$`, `(?m)^  pending +1\.0M +1\.1M +1\.2M +1\.3M +1\.4M +1\.5M$`, `(?m)^  replica( +a +b){5}$`,
		`(?m)^Replicas \(2\) +a aaaaaaaa  partitions 0,2,4,6,8,10,12,14  heartbeat 2s ago$`,
		`(?m)^ +b bbbbbbbb  partitions 1,3,5,7,9,11,13,15  heartbeat 1s ago$`,
		`(?m)^Disabled \(30\)$`, `(?m)^  \.\.\. 27 more \(--json lists 20; integrations list lists all\)$`,
		`(?m)^Not actioned  5,000 \(at most: 10000 of 12345 acknowledgements read\)$`,
		`(?m)^  integration\.perform\.error +1,000 of 3,469 stored$`,
	} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("no line matching %s in:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "  int-"); n != statusDisabledShown {
		t.Errorf("%d disabled integrations listed, want %d", n, statusDisabledShown)
	}
	for _, l := range strings.Split(text, "\n") {
		if len(l) > statusWidth {
			t.Errorf("line of %d characters: %s", len(l), l)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour codes without colour")
	}
	// Colour marks what needs an operator, and only that.
	if !strings.Contains(coloured.String(), "\x1b[1;31mDisabled (30)\x1b[0m") || !strings.Contains(coloured.String(), "\x1b[1;31m100,000\x1b[0m") ||
		strings.Contains(coloured.String(), "\x1b[1;31m      0\x1b[0m") {
		t.Errorf("colour:\n%q", coloured.String())
	}
	if got := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(coloured.String(), ""); got != text {
		t.Errorf("colour changed the text:\n%s\nwant\n%s", got, text)
	}
}

// TestPrintStreamsAlignsLongNames: every name column is as wide as its
// longest name (integration_actioned_outbox is 27 characters), so each
// number stands under its heading.
func TestPrintStreamsAlignsLongNames(t *testing.T) {
	var all []subjects.StreamStatus
	for _, n := range []string{"INTEGRATION_RUNS", "INTEGRATION_DEADLETTER"} {
		all = append(all, subjects.StreamStatus{Name: n, Kind: subjects.StreamKindStream, Messages: 1234, Bytes: 5 << 10})
	}
	for _, n := range []string{"integration_failures", "integration_actioned_outbox", "integration_processors"} {
		all = append(all, subjects.StreamStatus{Name: n, Kind: subjects.StreamKindBucket, Messages: 1_234_567, Bytes: 3 << 20})
	}
	var b bytes.Buffer
	printStreams(&b, all)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	head := lines[0]
	bucketsAt := strings.Index(head, "Buckets")
	countEnd := strings.LastIndex(head, "messages") + len("messages")
	for _, l := range lines[1:] {
		name := strings.Fields(l[bucketsAt:])[0]
		if !strings.HasPrefix(l[bucketsAt:], "integration_") || len(l) < countEnd || !strings.HasSuffix(l[:countEnd], " 1,234,567") {
			t.Errorf("bucket %s out of its columns:\n%s\n%s", name, head, l)
		}
		if len(l) > statusWidth {
			t.Errorf("line of %d characters: %s", len(l), l)
		}
	}
	if len(lines) != 4 || !strings.HasPrefix(lines[3], strings.Repeat(" ", bucketsAt)) {
		t.Errorf("a bucket without a stream beside it is not in its column:\n%s", b.String())
	}
}

// TestPrintStatusAuthRefused: a server that refuses the credentials is
// reported reachable and refusing, not unreachable.
func TestPrintStatusAuthRefused(t *testing.T) {
	var b bytes.Buffer
	printStatus(&b, subjects.DeploymentStatus{Server: subjects.StatusServer{URL: "nats://[REDACTED]:[REDACTED]@127.0.0.1:4222", Reachable: true, AuthRefused: true,
		Error: "connect to nats://[REDACTED]:[REDACTED]@127.0.0.1:4222: nats: Authorization Violation"}}, false)
	want := "Server        nats://[REDACTED]:[REDACTED]@127.0.0.1:4222  reachable, authentication refused (check the credentials): connect to nats://[REDACTED]:[REDACTED]@127.0.0.1:4222: nats: Authorization Violation\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestRanges(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{{nil, "none"}, {[]int{3}, "3"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{7, 0, 1, 2, 5}, "0-2,5,7"}, {[]int{1, 3, 4}, "1,3-4"}} {
		if got := ranges(c.in); got != c.want {
			t.Errorf("ranges(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
