package redact

import (
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
)

// minKeyFormat is the shortest secret a gitleaks finding is replaced for:
// a shorter one would blank harmless text wherever it recurs.
const minKeyFormat = 8

// detector is gitleaks' detector with its default rule set (gitleaks.toml,
// 222 rules of provider key formats, maintained upstream), loaded once.
// "gitleaks:allow" in the text does not silence it: runners write that text.
// Its logging is off, since findings carry the secrets.
var detector = sync.OnceValue(func() *detect.Detector {
	logging.Logger = logging.Logger.Level(zerolog.Disabled)
	d, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		// The rule set is embedded in the module: it always loads.
		panic("redact: gitleaks default rules: " + err.Error())
	}
	d.IgnoreGitleaksAllow = true
	return d
})

// keyFormats replaces the secrets gitleaks finds in s.
func keyFormats(s string) string {
	for _, f := range detector().DetectString(s) {
		if len(f.Secret) >= minKeyFormat {
			s = strings.ReplaceAll(s, f.Secret, Marker)
		}
	}
	return s
}
