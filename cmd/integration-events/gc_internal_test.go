package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestGCDefaultsYieldToGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "200")
	debug.SetGCPercent(200)
	setGCDefaults()
	if got := debug.SetGCPercent(200); got != 200 {
		t.Fatalf("with GOGC=200 set, the GC percent became %d", got)
	}
}

func TestGCDefaultsApplyWithoutGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	// t.Setenv cannot unset; LookupEnv must then see it missing.
	unsetenv(t, "GOGC")
	setGCDefaults()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("without GOGC the GC percent is %d, want %d", got, defaultGCPercent)
	}
}

// unsetenv removes key for the rest of the test; t.Setenv restores it.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
