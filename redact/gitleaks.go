package redact

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"
)

// minKeyFormat is the shortest secret a gitleaks finding is replaced for:
// a shorter one would blank harmless text wherever it recurs.
const minKeyFormat = 8

// detector is gitleaks' detector with its default rule set (gitleaks.toml,
// maintained upstream) less generic-api-key, loaded once, with the keywords
// of its rules. generic-api-key finds a credential named by a word next to
// a separator, which the pairs rule here redacts by name already; on an
// outcome's text it took 48 of the detector's 57 µs. "gitleaks:allow" in
// the text does not silence it: runners write that text. Its logging is
// off, since findings carry the secrets.
var detector = sync.OnceValue(func() keyDetector {
	logging.Logger = logging.Logger.Level(zerolog.Disabled)
	v := viper.New()
	v.SetConfigType("toml")
	var vc config.ViperConfig
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		panic("redact: gitleaks default rules: " + err.Error()) // embedded in the module: it always loads
	}
	if err := v.Unmarshal(&vc); err != nil {
		panic("redact: gitleaks default rules: " + err.Error())
	}
	kept := vc.Rules[:0]
	for _, r := range vc.Rules {
		// A rule of file paths only (pkcs12-file) finds nothing in text,
		// which has no path; kept, its lack of keywords would send every
		// text to the detector.
		if r.ID != "generic-api-key" && r.Regex != "" {
			kept = append(kept, r)
		}
	}
	vc.Rules = kept
	cfg, err := vc.Translate()
	if err != nil {
		panic("redact: gitleaks default rules: " + err.Error())
	}
	d := detect.NewDetector(cfg)
	d.IgnoreGitleaksAllow = true
	kd := keyDetector{detector: d, byRule: map[string]*detect.Detector{}, generic: map[string]bool{}}
	keywords := ahocorasick.NewTrieBuilder()
	index := map[string]int{} // keyword: its pattern number in keywords
	for id, r := range cfg.Rules {
		if len(r.Keywords) == 0 {
			kd.everyText = true
		}
		for _, k := range r.Keywords { // lowered by Translate
			i, ok := index[k]
			if !ok {
				i = len(kd.rulesOf)
				index[k] = i
				kd.rulesOf = append(kd.rulesOf, nil)
				keywords.AddString(k)
			}
			kd.rulesOf[i] = append(kd.rulesOf[i], id)
		}
		one := cfg
		one.Rules = map[string]config.Rule{id: r}
		one.OrderedRules = []string{id}
		one.Keywords = map[string]struct{}{}
		for _, k := range r.Keywords {
			one.Keywords[k] = struct{}{}
		}
		kd.byRule[id] = detect.NewDetector(one)
		kd.byRule[id].IgnoreGitleaksAllow = true
		// The detector drops a generic rule's finding that another rule's
		// covers, so those rules are run only all together.
		kd.generic[id] = strings.Contains(strings.ToLower(id), "generic")
	}
	kd.keywords = keywords.Build()
	return kd
})

// keyDetector is gitleaks' detector, the same with each of its rules
// alone, and its prefilter: a rule runs only on text that holds one of its
// keywords, lowered, unless it has none (everyText).
type keyDetector struct {
	detector  *detect.Detector
	byRule    map[string]*detect.Detector
	keywords  *ahocorasick.Trie
	rulesOf   [][]string // by pattern number in keywords: the rules of that keyword
	generic   map[string]bool
	everyText bool
}

// maxRulesApart is the most rules find runs one by one; for more the
// detector's own loop over all of them costs less.
const maxRulesApart = 4

// find returns gitleaks' findings in s: the detector's, with the rules
// whose keywords s holds run one by one. The detector would run those
// rules only, the same way, but after a loop over all 220 that cost a
// failure 6 to 10 µs (BenchmarkAdmit) whatever its text.
func (kd keyDetector) find(s string) []report.Finding {
	if kd.everyText {
		return kd.detector.DetectString(s)
	}
	var rules []string
	all := false
	kd.keywords.Walk([]byte(strings.ToLower(s)), func(_, _, pattern int64) bool {
		for _, id := range kd.rulesOf[pattern] {
			if !slices.Contains(rules, id) {
				rules = append(rules, id)
				all = all || kd.generic[id]
			}
		}
		all = all || len(rules) > maxRulesApart
		return !all
	})
	if all {
		return kd.detector.DetectString(s)
	}
	var findings []report.Finding
	for _, id := range rules {
		findings = append(findings, kd.byRule[id].DetectString(s)...)
	}
	return findings
}

// keyFormats replaces the secrets gitleaks finds in s, the longest first,
// so that a secret inside another is never replaced first and the
// result does not hang on the order of the rules.
func keyFormats(s string) string {
	findings := detector().find(s)
	secrets := make([]string, 0, len(findings))
	for _, f := range findings {
		if len(f.Secret) >= minKeyFormat {
			secrets = append(secrets, f.Secret)
		}
	}
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, Marker)
	}
	return s
}
