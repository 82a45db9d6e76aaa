package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/integration-events/integration-events/subjects"
	"github.com/nats-io/nats.go"
)

// DeadLetter stores a rejected message with the reason it was rejected, in
// headers and body. It is de-duplicated by the original stream and sequence,
// so a redelivered bad message leaves one record: stored is false when the
// record was stored before.
func (s *Store) DeadLetter(ctx context.Context, m Msg, reason string) (stored bool, err error) {
	dl := subjects.DeadLetter{
		Reason:           reason,
		OriginalSubject:  m.Subject,
		OriginalStream:   m.Stream,
		OriginalSequence: m.Seq,
		ReceivedAt:       time.Now().UTC().Format(time.RFC3339Nano),
		Size:             len(m.Data),
	}
	if utf8.Valid(m.Data) {
		dl.Payload = string(m.Data)
	} else {
		dl.PayloadBase64 = base64.StdEncoding.EncodeToString(m.Data)
	}
	body, err := json.Marshal(dl)
	if err != nil {
		return false, err
	}
	hdr := nats.Header{}
	hdr.Set(subjects.HeaderDeadLetterReason, headerSafe(reason))
	hdr.Set(subjects.HeaderOriginalSubject, m.Subject)
	hdr.Set(subjects.HeaderOriginalStream, m.Stream)
	hdr.Set(subjects.HeaderOriginalSequence, strconv.FormatUint(m.Seq, 10))
	hdr.Set("Content-Type", "application/json")
	msgID := "dl-" + m.Stream + "-" + strconv.FormatUint(m.Seq, 10)
	ack, err := s.publishAck(ctx, s.subj.DeadLetter(), msgID, body, hdr)
	if err != nil {
		return false, err
	}
	return !ack.Duplicate, nil
}

// headerSafe keeps a reason on one header line.
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	if len(b) > 1024 {
		b = append(b[:1021], "..."...)
	}
	return string(b)
}
