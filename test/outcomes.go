package test

import (
	"encoding/json"
	"testing"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
)

// Publish publishes o on its run subject, as a runner would (core NATS).
func Publish(t testing.TB, nc *nats.Conn, o subjects.RunOutcome) {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	PublishRaw(t, nc, subjects.Default().Run(o.IntegrationID), b)
}

// PublishRaw publishes data on subject and flushes.
func PublishRaw(t testing.TB, nc *nats.Conn, subject string, data []byte) {
	t.Helper()
	if err := nc.Publish(subject, data); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}
