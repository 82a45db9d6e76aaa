package resend

import (
	"hash/fnv"
	"slices"
	"time"
)

// Key is the 64-bit FNV-1a hash of integrationID and runID, the Guard's key
// for one run. Stable across processes, so a checkpoint stays valid after a
// restart or on another replica.
func Key(integrationID, runID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(integrationID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(runID))
	return h.Sum64()
}

// entry is one message that carried a run: its stream sequence and stream
// time (Unix nanoseconds).
type entry struct {
	seq uint64
	at  int64
}

// Guard remembers, by Key, the messages that carried each run within the
// window. The zero value is not usable; see New. A Guard is used by one
// goroutine at a time.
type Guard struct {
	window time.Duration
	// first holds one entry per key; more holds any further entries of a
	// key (a resend, or a run whose hash collides), which are rare.
	first   map[uint64]entry
	more    map[uint64][]entry
	covered uint64
}

// New returns an empty Guard that remembers a run for window after the
// stream stored the message that carried it.
func New(window time.Duration) *Guard {
	return &Guard{window: window, first: map[uint64]entry{}, more: map[uint64][]entry{}}
}

// Window is how long a run is remembered.
func (g *Guard) Window() time.Duration { return g.window }

// Record remembers that the message at stream sequence seq, stored at at,
// carried the run of key. Recording the same sequence again does nothing.
func (g *Guard) Record(key, seq uint64, at time.Time) {
	e := entry{seq: seq, at: at.UnixNano()}
	f, ok := g.first[key]
	switch {
	case !ok:
		g.first[key] = e
	case f.seq == seq:
	default:
		for _, m := range g.more[key] {
			if m.seq == seq {
				return
			}
		}
		g.more[key] = append(g.more[key], e)
	}
}

// Earlier returns the sequences, ascending, of the messages recorded for key
// that come before seq in the stream and within the window before at (the
// stream time of the message at seq). The first one the caller confirms to
// carry the same integration's run is the one this message resends; none
// confirmed, the message is the run's first.
func (g *Guard) Earlier(key, seq uint64, at time.Time) []uint64 {
	f, ok := g.first[key]
	if !ok {
		return nil
	}
	since := at.Add(-g.window).UnixNano()
	var out []uint64
	for _, e := range append([]entry{f}, g.more[key]...) {
		if e.seq < seq && e.at >= since {
			out = append(out, e.seq)
		}
	}
	slices.Sort(out)
	return out
}

// Expire forgets the runs stored more than the window before now and
// returns how many entries it removed.
func (g *Guard) Expire(now time.Time) int {
	since := now.Add(-g.window).UnixNano()
	removed := 0
	for k, f := range g.first {
		rest := g.more[k]
		kept := rest[:0]
		for _, e := range rest {
			if e.at >= since {
				kept = append(kept, e)
			} else {
				removed++
			}
		}
		if f.at < since {
			removed++
			if len(kept) == 0 {
				delete(g.first, k)
				delete(g.more, k)
				continue
			}
			f, kept = kept[0], kept[1:]
			g.first[k] = f
		}
		if len(kept) == 0 {
			delete(g.more, k)
		} else {
			g.more[k] = kept
		}
	}
	return removed
}

// Runs is the number of distinct runs remembered (keys, strictly: two
// runs whose hashes collide count once).
func (g *Guard) Runs() int { return len(g.first) }

// Len is the number of messages remembered: the runs in the window, plus
// their resends.
func (g *Guard) Len() int {
	n := len(g.first)
	for _, m := range g.more {
		n += len(m)
	}
	return n
}

// Covered is the stream sequence up to which every run of the partition is
// recorded; 0 before any.
func (g *Guard) Covered() uint64 { return g.covered }

// Cover raises Covered to seq; a lower seq leaves it as it is. Call it only
// once every message of the partition up to seq has been recorded (or was
// no outcome).
func (g *Guard) Cover(seq uint64) { g.covered = max(g.covered, seq) }
