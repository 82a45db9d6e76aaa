// Package resend recognises a resent outcome: one whose run id an earlier
// message of the same integration carried within the resend window (issue
// 2: a resend within 24 hours is ignored, also after a restart and after
// newer outcomes).
//
// A Guard is one partition's memory of the runs it has seen, kept in the
// processor's heap rather than as one KV key per run: a run costs a hash, a
// stream sequence and a time (24 bytes in a map slot), not a per-subject
// index entry in the server. A hash says only where to look: the caller
// confirms a candidate by reading the message at its sequence, so a hash
// collision can never drop a real outcome, and a Guard that is complete
// (every run of the partition up to Covered recorded) never misses a resend.
//
// The Guard is pure and deterministic: no clock, no I/O. Its state is
// checkpointed with MarshalBinary and rebuilt on takeover from the
// checkpoint plus the stream after Covered.
package resend
