// Package test holds the end-to-end tests of integration-events and the
// fixtures they share: an embedded NATS server, a built `serve` process
// started and stopped by PID, a subscriber that collects what the processor
// publishes, outcome builders, and a reference model of the streak rules.
// Other packages' tests may import it.
package test
