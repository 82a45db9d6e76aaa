// Package natsserver starts the embedded NATS server of a single-machine
// deployment: JetStream on a data directory it locks, the client port with
// optional TLS and authentication, and the server's log through zap.
package natsserver
