// Package fault holds the fault points of crash tests. Point marks a place
// where a crash must leave nothing that a restart cannot complete. In an
// ordinary build Point does nothing; in a binary built with -tags
// faultpoints it kills the process with SIGKILL when the environment
// variable Env names the point, so a test can stop serve exactly there.
package fault

// Env names the fault point a faultpoints binary dies at.
const Env = "INTEGRATION_EVENTS_FAULT"
