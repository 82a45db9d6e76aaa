// Package processor turns integration run outcomes into integration error
// events. Its core is pure: the classification table (classify.go), the
// failure-streak state machine (streak.go), the event builder (events.go,
// messages.go) and redaction (redact.go) touch no network and are tested
// exhaustively on their own. The pipeline (pipeline.go) drives them from the
// store, and api.go serves the operator API.
package processor
