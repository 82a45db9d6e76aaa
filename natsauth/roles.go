package natsauth

import (
	"fmt"
	"slices"

	"github.com/integration-events/integration-events/store"
	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats-server/v2/server"
)

// Role is what a user of the users file may do.
type Role string

// The roles. Their grants are in Grants.
const (
	// RoleRunner publishes run outcomes and reads external mappings.
	RoleRunner Role = "runner"
	// RoleSubscriber reads events, commands and actioned acknowledgements,
	// and consumes INTEGRATION_EVENTS and INTEGRATION_COMMANDS through
	// durable consumers named after itself.
	RoleSubscriber Role = "subscriber"
	// RoleOperator calls the operator API, publishes enable commands, reads
	// the integration_failures and external_mappings buckets, and finds the
	// micro service.
	RoleOperator Role = "operator"
	// RoleAdmin may do everything, like the nats CLI's stream and consumer
	// management.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order the README documents them.
var Roles = []Role{RoleRunner, RoleSubscriber, RoleOperator, RoleAdmin}

// ParseRole returns the role named s, or an error wrapping ErrUnknownRole
// that lists the roles.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("%w %q: want one of runner, subscriber, operator, admin", ErrUnknownRole, s)
	}
	return r, nil
}

// InboxPrefix is user's private inbox prefix, "_INBOX_<user>": the user may
// subscribe to "_INBOX_<user>.>" and nothing under "_INBOX.", so no one
// reads another user's replies. Clients pass it to nats.CustomInboxPrefix
// (natscli: --inbox-prefix).
func InboxPrefix(user string) string { return "_INBOX_" + user }

// Grants are the subjects a user may publish to and subscribe to.
type Grants struct {
	Publish   []string
	Subscribe []string
}

// ConsumedStreams are the streams a subscriber consumes, each through the
// durable consumer named after the subscriber.
var ConsumedStreams = []string{store.StreamEvents, store.StreamCommands}

// Grants returns role's grants for user under subj. The admin's are ">"
// both ways. It panics on a role ParseRole does not return.
func (r Role) Grants(user string, subj subjects.Subjects) Grants {
	inbox := InboxPrefix(user) + ".>"
	switch r {
	case RoleRunner:
		return Grants{
			Publish:   append([]string{subj.Runs()}, kvGet(store.BucketMappings)...),
			Subscribe: []string{inbox},
		}
	case RoleSubscriber:
		var pub []string
		for _, stream := range ConsumedStreams {
			pub = append(pub, consume(stream, user)...)
		}
		return Grants{
			Publish:   pub,
			Subscribe: []string{subj.Events(), subj.Commands(), subj.ActionedAll(), inbox},
		}
	case RoleOperator:
		pub := []string{subj.APIGroup() + ".>", subj.Enables(), "$SRV.>"}
		pub = append(pub, kvGet(store.BucketCounters)...)
		pub = append(pub, kvGet(store.BucketMappings)...)
		return Grants{Publish: pub, Subscribe: []string{inbox}}
	case RoleAdmin:
		return Grants{Publish: []string{">"}, Subscribe: []string{">"}}
	}
	panic(fmt.Sprintf("natsauth: role %q has no grants", string(r)))
}

// Permissions is Grants as the server's permissions.
func (r Role) Permissions(user string, subj subjects.Subjects) *server.Permissions {
	g := r.Grants(user, subj)
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: g.Publish},
		Subscribe: &server.SubjectPermission{Allow: g.Subscribe},
	}
}

// kvGet is what `nats kv get BUCKET KEY` (and a KV client's Get) needs:
// the bucket's stream info, and a direct or stream message get.
func kvGet(bucket string) []string {
	stream := store.KVStream(bucket)
	return []string{
		"$JS.API.STREAM.INFO." + stream,
		"$JS.API.DIRECT.GET." + stream,
		"$JS.API.DIRECT.GET." + stream + ".>",
		"$JS.API.STREAM.MSG.GET." + stream,
	}
}

// consume is what pulling from stream through the durable consumer named
// user needs: stream and consumer info, the next messages, and acks. The
// consumer is created by an admin: whoever may create a consumer may give
// it a push deliver subject, and JetStream would then republish the
// stream's messages there, e.g. as forged commands.
func consume(stream, user string) []string {
	return []string{
		"$JS.API.STREAM.INFO." + stream,
		"$JS.API.CONSUMER.INFO." + stream + "." + user,
		"$JS.API.CONSUMER.MSG.NEXT." + stream + "." + user,
		"$JS.ACK." + stream + "." + user + ".>",
	}
}
