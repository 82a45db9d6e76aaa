// Package store is the only package that touches JetStream: it creates the
// streams and KV buckets, stores counters, run ids and events, reads them
// back for the operator API, and runs the durable consumers the pipeline is
// driven by. It also starts the embedded NATS server of a single-machine
// deployment.
package store
