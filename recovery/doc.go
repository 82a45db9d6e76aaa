// Package recovery marks a streak's error and warning events actioned by
// subjects.ActionedByRecovery when the success that ended it raised an
// integration.recovered event with autoAction set (the policy's
// autoActionOnRecovery). It consumes the recovered events with a durable
// consumer that every replica shares, walks the integration's events back
// from each to find the streak's (Pick), and actions them with
// store.Actioner: one acknowledgement per event, also across crashes and
// redeliveries.
package recovery
