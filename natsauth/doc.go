// Package natsauth holds who may do what on NATS: the --nats-auth users
// file, parsed and validated into nats-server users whose permissions come
// from a fixed role table, the accounts the roles are in (the streams in
// one, each client role in one that imports only what it may use, so no
// reply subject reaches a stream), the processor's own internal user, and
// the one place where client credentials (user and password, token, nkey seed,
// .creds file, TLS) become nats.Options.
//
// It builds values only; natsserver.Start is what hands them to a server.
package natsauth
