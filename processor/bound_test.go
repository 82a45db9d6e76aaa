package processor_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/integration-events/integration-events/processor"
)

func TestTruncate(t *testing.T) {
	if got := processor.Truncate("short", 100); got != "short" {
		t.Errorf("short text changed: %q", got)
	}
	long := strings.Repeat("é", 1000) // 2,000 bytes
	got := processor.Truncate(long, 200)
	if len(got) > 200 || !utf8.ValidString(got) {
		t.Errorf("cut to %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if !strings.HasSuffix(got, " … [truncated: 2000 bytes in all]") || !strings.HasPrefix(got, "éé") {
		t.Errorf("cut text %q", got)
	}
	if got := processor.Truncate(long, 1); len(got) > 64 {
		t.Errorf("limit under the minimum gave %d bytes", len(got))
	}
}
