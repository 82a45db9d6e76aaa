// Package subjects is the wire contract of integration-events: the subject
// names, the payloads carried on them, and the validation that decides whether
// an inbound message is acceptable. It holds no NATS client code, so runners,
// subscribers and operators can import it without pulling in the processor.
package subjects
