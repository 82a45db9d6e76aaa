package store

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestKVPutPrefixFollowsTheDomain checks the subjects Writes puts keys on
// against the ones nats.go's KV puts on (jetstream/kv.go, updateRevision):
// behind a domain's API prefix, a custom one, or a mirrored bucket's origin.
func TestKVPutPrefixFollowsTheDomain(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   jetstream.JetStreamOptions
		mirror *jetstream.StreamSource
		want   string
	}{
		{"no domain", jetstream.JetStreamOptions{}, nil, "$KV.b."},
		{"a domain", jetstream.JetStreamOptions{Domain: "hub"}, nil, "$JS.hub.API.$KV.b."},
		{"an API prefix", jetstream.JetStreamOptions{APIPrefix: "$JS.leaf.API"}, nil, "$JS.leaf.API.$KV.b."},
		{"the default API prefix", jetstream.JetStreamOptions{APIPrefix: jetstream.DefaultAPIPrefix}, nil, "$KV.b."},
		{"a mirror", jetstream.JetStreamOptions{}, &jetstream.StreamSource{Name: "KV_origin"}, "$KV.origin."},
		{"a mirror of another domain", jetstream.JetStreamOptions{Domain: "leaf"}, &jetstream.StreamSource{Name: "KV_origin", External: &jetstream.ExternalStream{APIPrefix: "$JS.hub.API"}}, "$JS.hub.API.$KV.origin."},
	} {
		if got := kvPutPrefix(c.opts, "b", c.mirror); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
