package resend_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/integration-events/integration-events/resend"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

func TestKeySeparatesIntegrationAndRun(t *testing.T) {
	if resend.Key("ab", "c") == resend.Key("a", "bc") {
		t.Fatal("Key(ab, c) == Key(a, bc): the separator is lost")
	}
	if resend.Key("int-1", "run-1") != resend.Key("int-1", "run-1") {
		t.Fatal("Key is not deterministic")
	}
}

func TestEarlierFindsOnlyEarlierMessagesInTheWindow(t *testing.T) {
	g := resend.New(25 * time.Hour)
	k := resend.Key("int-1", "run-1")
	g.Record(k, 10, t0)
	g.Record(k, 10, t0) // the same message again
	cases := []struct {
		name string
		seq  uint64
		at   time.Time
		want []uint64
	}{
		{"a later resend", 20, t0.Add(time.Hour), []uint64{10}},
		{"the message itself, redelivered", 10, t0, nil},
		{"an earlier message", 5, t0.Add(-time.Second), nil},
		{"a resend at the window's end", 30, t0.Add(25 * time.Hour), []uint64{10}},
		{"a resend past the window", 31, t0.Add(25*time.Hour + time.Nanosecond), nil},
	}
	for _, c := range cases {
		if got := g.Earlier(k, c.seq, c.at); !slices.Equal(got, c.want) {
			t.Errorf("%s: Earlier = %v, want %v", c.name, got, c.want)
		}
	}
	if got := g.Earlier(resend.Key("int-1", "run-2"), 20, t0); got != nil {
		t.Errorf("another run: Earlier = %v, want none", got)
	}
	if g.Len() != 1 {
		t.Errorf("Len = %d after recording one message twice, want 1", g.Len())
	}
}

// TestEarlierKeepsEveryCarrierOfAKey covers a collision and a resend
// recorded out of order (a scan after processing): every message recorded
// under the key is a candidate, ascending, for the caller to confirm.
func TestEarlierKeepsEveryCarrierOfAKey(t *testing.T) {
	g := resend.New(time.Hour)
	g.Record(7, 40, t0.Add(2*time.Second))
	g.Record(7, 12, t0)
	g.Record(7, 25, t0.Add(time.Second))
	g.Record(7, 25, t0.Add(time.Second))
	if got, want := g.Earlier(7, 41, t0.Add(3*time.Second)), []uint64{12, 25, 40}; !slices.Equal(got, want) {
		t.Fatalf("Earlier = %v, want %v", got, want)
	}
	if got, want := g.Earlier(7, 30, t0.Add(3*time.Second)), []uint64{12, 25}; !slices.Equal(got, want) {
		t.Fatalf("Earlier before 30 = %v, want %v", got, want)
	}
	if g.Len() != 3 {
		t.Fatalf("Len = %d, want 3", g.Len())
	}
}

func TestExpireForgetsRunsPastTheWindow(t *testing.T) {
	g := resend.New(time.Hour)
	g.Record(1, 1, t0)
	g.Record(1, 5, t0.Add(50*time.Minute))
	g.Record(2, 2, t0.Add(2*time.Minute))
	g.Record(3, 3, t0.Add(59*time.Minute))
	if n := g.Expire(t0.Add(65 * time.Minute)); n != 2 {
		t.Fatalf("Expire removed %d, want 2 (key 1's first and key 2)", n)
	}
	if g.Len() != 2 {
		t.Fatalf("Len = %d after Expire, want 2", g.Len())
	}
	if got := g.Earlier(1, 9, t0.Add(65*time.Minute)); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("key 1 after Expire: Earlier = %v, want [5]", got)
	}
	if got := g.Earlier(2, 9, t0.Add(3*time.Minute)); got != nil {
		t.Fatalf("key 2 after Expire: Earlier = %v, want none", got)
	}
}

func TestCoverOnlyRises(t *testing.T) {
	g := resend.New(time.Hour)
	g.Cover(9)
	g.Cover(4)
	if g.Covered() != 9 {
		t.Fatalf("Covered = %d, want 9", g.Covered())
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	g := resend.New(time.Hour)
	g.Record(1, 1, t0)
	g.Record(1, 8, t0.Add(40*time.Minute))
	g.Record(2, 3, t0.Add(30*time.Minute))
	g.Cover(8)
	b, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r, err := resend.Restore(b, time.Hour, t0.Add(45*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r.Covered() != 8 || r.Len() != 3 {
		t.Fatalf("restored Covered %d Len %d, want 8 and 3", r.Covered(), r.Len())
	}
	if got := r.Earlier(1, 9, t0.Add(45*time.Minute)); !slices.Equal(got, []uint64{1, 8}) {
		t.Fatalf("restored Earlier = %v, want [1 8]", got)
	}
	// Restored later, the first message of key 1 is past the window.
	r, err = resend.Restore(b, time.Hour, t0.Add(61*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Fatalf("restored past the window: Len %d, want 2", r.Len())
	}
}

func TestRestoreRefusesWhatItCannotTrust(t *testing.T) {
	g := resend.New(time.Hour)
	g.Record(1, 1, t0)
	b, _ := g.MarshalBinary()
	for name, c := range map[string]struct {
		b      []byte
		window time.Duration
	}{
		"empty":                   {nil, time.Hour},
		"another version":         {append([]byte{9}, b[1:]...), time.Hour},
		"a torn record":           {b[:len(b)-1], time.Hour},
		"written for less window": {b, 2 * time.Hour},
	} {
		if _, err := resend.Restore(c.b, c.window, t0); !errors.Is(err, resend.ErrCheckpoint) {
			t.Errorf("%s: err = %v, want ErrCheckpoint", name, err)
		}
	}
}

// rec is one message of TestGuardAgreesWithAList's model.
type rec struct {
	key, seq uint64
	at       time.Time
}

const window = 10 * time.Minute

// forget drops what the window no longer holds at now.
func forget(model []rec, now time.Time) []rec {
	kept := model[:0]
	for _, r := range model {
		if !r.at.Before(now.Add(-window)) {
			kept = append(kept, r)
		}
	}
	return kept
}

// TestGuardAgreesWithAList checks the Guard against the plainest model, a
// list of every message recorded, under random records, expiries and
// checkpoints.
func TestGuardAgreesWithAList(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 1))
		g := resend.New(window)
		var model []rec
		now, seq := t0, uint64(0)
		for range 400 {
			now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
			seq++
			key := uint64(rng.IntN(30))
			switch rng.IntN(10) {
			case 0:
				g.Expire(now)
				model = forget(model, now)
			case 1:
				b, _ := g.MarshalBinary()
				var err error
				if g, err = resend.Restore(b, window, now); err != nil {
					t.Fatal(err)
				}
				model = forget(model, now)
			}
			var want []uint64
			for _, r := range model {
				if r.key == key && r.seq < seq && !r.at.Before(now.Add(-window)) {
					want = append(want, r.seq)
				}
			}
			if got := g.Earlier(key, seq, now); !slices.Equal(got, want) {
				t.Fatalf("seed %d seq %d: Earlier = %v, want %v", seed, seq, got, want)
			}
			g.Record(key, seq, now)
			model = append(model, rec{key, seq, now})
			if g.Len() != len(model) {
				t.Fatalf("seed %d seq %d: Len = %d, want %d", seed, seq, g.Len(), len(model))
			}
		}
	}
}
