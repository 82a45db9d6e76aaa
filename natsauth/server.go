package natsauth

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats-server/v2/server"
)

// ServerUsers are the users of an embedded server: those of the users file
// with their roles' permissions, plus the processor's internal user.
type ServerUsers struct {
	Users []*server.User
	Nkeys []*server.NkeyUser
	// Internal is how the processor connects: InternalUser with a password
	// made at random for this process, with every permission.
	Internal Internal
}

// Internal is the processor's own credential.
type Internal struct {
	User     string
	Password string
}

// ForServer turns users into server users under subj, and adds a fresh
// internal user. It fails only when the system's random source does.
func ForServer(users []User, subj subjects.Subjects) (ServerUsers, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return ServerUsers{}, err
	}
	internal := Internal{User: InternalUser, Password: base64.RawURLEncoding.EncodeToString(secret)}
	out := ServerUsers{
		Internal: internal,
		// nil permissions: everything.
		Users: []*server.User{{Username: internal.User, Password: internal.Password}},
	}
	for _, u := range users {
		perms := u.Role.Permissions(u.Name, subj)
		if u.Nkey != "" {
			out.Nkeys = append(out.Nkeys, &server.NkeyUser{Nkey: u.Nkey, Permissions: perms})
			continue
		}
		out.Users = append(out.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: perms})
	}
	return out, nil
}
