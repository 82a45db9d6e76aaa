package natsauth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats-server/v2/server"
)

// ServerUsers are the accounts and users of an embedded server: those of
// the users file in their roles' accounts with their roles' permissions,
// plus the processor's internal user in ServiceAccount.
type ServerUsers struct {
	// Accounts are Accounts, as the server's configuration parser makes
	// them from AccountsConfig.
	Accounts []*server.Account
	Users    []*server.User
	Nkeys    []*server.NkeyUser
	// Internal is how the processor connects: InternalUser with a password
	// made at random for this process, with every permission.
	Internal Internal
}

// Internal is the processor's own credential.
type Internal struct {
	User     string
	Password string
}

// ForServer turns users into server users under subj, each in its role's
// account, and adds a fresh internal user. The accounts are parsed from
// AccountsConfig by the server's own configuration code, the same that
// reads deploy/nats/nats-server.conf, so both are built the same way. It
// fails when the system's random source does or the server refuses the
// accounts (a bug).
func ForServer(users []User, subj subjects.Subjects) (ServerUsers, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return ServerUsers{}, err
	}
	var opts server.Options
	if err := opts.ProcessConfigString(AccountsConfig(subj)); err != nil {
		return ServerUsers{}, fmt.Errorf("natsauth: the generated accounts: %w", err)
	}
	byName := map[string]*server.Account{}
	for _, a := range opts.Accounts {
		byName[a.Name] = a
	}
	internal := Internal{User: InternalUser, Password: base64.RawURLEncoding.EncodeToString(secret)}
	out := ServerUsers{
		Accounts: opts.Accounts,
		Internal: internal,
		// nil permissions: everything in the service account.
		Users: []*server.User{{Username: internal.User, Password: internal.Password, Account: byName[ServiceAccount]}},
	}
	for _, u := range users {
		perms := u.Role.Permissions(u.Name, subj)
		acc := byName[u.Role.Account()]
		if u.Nkey != "" {
			out.Nkeys = append(out.Nkeys, &server.NkeyUser{Nkey: u.Nkey, Permissions: perms, Account: acc})
			continue
		}
		out.Users = append(out.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: perms, Account: acc})
	}
	return out, nil
}
