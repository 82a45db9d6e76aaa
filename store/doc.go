// Package store is the only package of the service that touches JetStream: it
// creates the streams and KV buckets, stores counters, run ids and events,
// reads them back for the operator API, and runs the durable consumers the
// pipeline is driven by. The embedded NATS server is natsserver's.
package store
