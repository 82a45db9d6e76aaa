package resend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// checkpointVersion starts every checkpoint; a change of layout changes it,
// and an older process then rebuilds from the stream instead.
const checkpointVersion = 1

// ErrCheckpoint is returned for a checkpoint that cannot be read back.
var ErrCheckpoint = errors.New("unreadable resend checkpoint")

// entryBytes is one entry in a checkpoint: key, sequence and time, each 8
// bytes, big-endian.
const entryBytes = 24

// MarshalBinary returns the Guard as a checkpoint: a version byte, the
// window and Covered (8 bytes each), then one 24-byte record per entry.
// Written by hand because it is a flat array of fixed-size records, which a
// general encoder would only make larger and slower.
func (g *Guard) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 17+entryBytes*g.Len())
	b = append(b, checkpointVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(g.window))
	b = binary.BigEndian.AppendUint64(b, g.covered)
	put := func(k uint64, e entry) {
		b = binary.BigEndian.AppendUint64(b, k)
		b = binary.BigEndian.AppendUint64(b, e.seq)
		b = binary.BigEndian.AppendUint64(b, uint64(e.at))
	}
	for k, f := range g.first {
		put(k, f)
		for _, e := range g.more[k] {
			put(k, e)
		}
	}
	return b, nil
}

// Restore returns the Guard a checkpoint holds, with the window given (a
// checkpoint written under a shorter window knows too little: ErrCheckpoint)
// and the entries stored before now minus the window left out (none when
// now is zero).
func Restore(b []byte, window time.Duration, now time.Time) (*Guard, error) {
	if len(b) < 17 || b[0] != checkpointVersion || (len(b)-17)%entryBytes != 0 {
		return nil, fmt.Errorf("%w: %d bytes, version %d", ErrCheckpoint, len(b), firstByte(b))
	}
	if w := time.Duration(binary.BigEndian.Uint64(b[1:])); w < window {
		return nil, fmt.Errorf("%w: written for a resend window of %s, not %s", ErrCheckpoint, w, window)
	}
	g := New(window)
	g.first = make(map[uint64]entry, (len(b)-17)/entryBytes)
	g.covered = binary.BigEndian.Uint64(b[9:])
	since := now.Add(-window).UnixNano()
	for r := b[17:]; len(r) > 0; r = r[entryBytes:] {
		k, seq, at := binary.BigEndian.Uint64(r), binary.BigEndian.Uint64(r[8:]), int64(binary.BigEndian.Uint64(r[16:]))
		if now.IsZero() || at >= since {
			g.Record(k, seq, time.Unix(0, at))
		}
	}
	return g, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}
