package policy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/integration-events/integration-events/policy"
	"github.com/integration-events/integration-events/subjects"
)

// issueExample is the policy of issue 12's text.
const issueExample = `
disableAfter: 20          # the streak that disables
warnAt: [50, 75, 90]      # percent of disableAfter; [] turns warnings off
minStreakAge: 0s
kinds:
  authentication:
    disableAfter: 3
  validation:
    counts: false
destinations:
  Stripe:
    disableAfter: 10
`

func TestParseResolvesTheIssueExample(t *testing.T) {
	p, err := policy.Parse([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	r, err := policy.Resolve(p)
	if err != nil {
		t.Fatal(err)
	}
	top := r.For("Salesforce")
	if top != r.Top() || top.DisableAfter != 20 || !slices.Equal(top.WarnAt, []int{50, 75, 90}) || top.MinStreakAge != 0 || top.AutoActionOnRecovery {
		t.Errorf("top level %+v", top)
	}
	want := []policy.Threshold{{Key: "disableAfter", DisableAfter: 20}, {Key: "kinds.authentication.disableAfter", Kind: subjects.KindAuthentication, DisableAfter: 3}}
	if !slices.Equal(top.Thresholds, want) {
		t.Errorf("thresholds %+v, want %+v", top.Thresholds, want)
	}
	if top.Counts(subjects.KindValidation) || !top.Counts(subjects.KindPerform) || top.Key("kinds.validation.counts") != "kinds.validation.counts" {
		t.Errorf("validation counts %v, perform %v", top.Counts(subjects.KindValidation), top.Counts(subjects.KindPerform))
	}
	// Destinations compare without case; an override keeps what it does not set.
	for _, d := range []string{"Stripe", "stripe", "STRIPE"} {
		s := r.For(d)
		want := []policy.Threshold{{Key: "destinations.Stripe.disableAfter", DisableAfter: 10}, {Key: "kinds.authentication.disableAfter", Kind: subjects.KindAuthentication, DisableAfter: 3}}
		if s.Scope != "Stripe" || !slices.Equal(s.Thresholds, want) || s.Counts(subjects.KindValidation) || !slices.Equal(s.WarnAt, []int{50, 75, 90}) {
			t.Errorf("%s: %+v", d, s)
		}
	}
}

func TestDefaultPolicy(t *testing.T) {
	r := policy.MustResolve(policy.Default())
	top := r.Top()
	if top.DisableAfter != 20 || !slices.Equal(top.WarnAt, []int{50, 75, 90}) || len(top.Thresholds) != 1 || top.MinStreakAge != 0 || top.AutoActionOnRecovery {
		t.Errorf("default %+v", top)
	}
	for _, k := range subjects.FailureKinds {
		if !top.Counts(k) {
			t.Errorf("kind %s does not count by default", k)
		}
	}
	// The issue's warnings: the 10th, 15th and 18th failure of 20.
	var at []int
	for _, p := range top.WarnAt {
		n, ok := top.Thresholds[0].WarnCount(p)
		if !ok {
			t.Errorf("level %d is not before the threshold", p)
		}
		at = append(at, n)
	}
	if !slices.Equal(at, []int{10, 15, 18}) {
		t.Errorf("default warnings at failures %v, want 10, 15, 18", at)
	}
	if got := policy.After(3).Top(); got.DisableAfter != 3 || got.Thresholds[0].DisableAfter != 3 {
		t.Errorf("After(3) %+v", got)
	}
}

func TestWarnCountRoundsUpAndStopsShortOfTheThreshold(t *testing.T) {
	for _, tc := range []struct {
		after, percent, n int
		ok                bool
	}{
		{20, 50, 10, true}, {20, 90, 18, true}, {3, 50, 2, true}, {3, 75, 3, false}, {2, 50, 1, true}, {1, 99, 1, false}, {10, 1, 1, true},
	} {
		n, ok := policy.Threshold{DisableAfter: tc.after}.WarnCount(tc.percent)
		if n != tc.n || ok != tc.ok {
			t.Errorf("%d%% of %d: %d %v, want %d %v", tc.percent, tc.after, n, ok, tc.n, tc.ok)
		}
	}
}

func TestWarnAtEmptyTurnsWarningsOff(t *testing.T) {
	p, err := policy.Parse([]byte("warnAt: []\ndestinations:\n  Xero:\n    warnAt: [60]\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := policy.MustResolve(p)
	if len(r.Top().WarnAt) != 0 || !slices.Equal(r.For("xero").WarnAt, []int{60}) || r.For("xero").Key("warnAt") != "destinations.Xero.warnAt" {
		t.Errorf("top %v, Xero %v", r.Top().WarnAt, r.For("xero").WarnAt)
	}
}

func TestMinStreakAgeAndAutoAction(t *testing.T) {
	p, err := policy.Parse([]byte("minStreakAge: 72h\nautoActionOnRecovery: true\ndestinations:\n  NetSuite:\n    minStreakAge: 30m\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := policy.MustResolve(p)
	if r.Top().MinStreakAge != 72*time.Hour || !r.Top().AutoActionOnRecovery || r.For("netsuite").MinStreakAge != 30*time.Minute || !r.For("netsuite").AutoActionOnRecovery {
		t.Errorf("top %+v, NetSuite %+v", r.Top(), r.For("netsuite"))
	}
}

// TestParseRefusesWhatCannotWork checks that every invalid policy is an
// error wrapping ErrInvalid that names the key.
func TestParseRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"disableAfter: 0", "disableAfter: 0 must be 1 to 10000"},
		{"disableAfter: 10001", "disableAfter: 10001 must be 1 to 10000"},
		{"disableAfter: many", "cannot unmarshal"},
		{"disableAftr: 3", `line 1: unknown key "disableAftr": want one of disableAfter, warnAt, minStreakAge, autoActionOnRecovery, kinds, destinations`},
		{"warnAt: [50, 40]", "warnAt: levels must increase: 40 comes after 50"},
		{"warnAt: [100]", "warnAt: 100 must be a percent from 1 to 99"},
		{"warnAt: [0]", "warnAt: 0 must be a percent from 1 to 99"},
		{"minStreakAge: 3 days", `"3 days" is not a duration such as 72h or 30m`},
		{"minStreakAge: -1h", "minStreakAge: -1h0m0s is negative"},
		{"kinds:\n  perfom:\n    disableAfter: 3", `kinds.perfom: "perfom" is not a failure kind: want one of validation, missingaccountmapping, authentication, perform`},
		{"kinds:\n  disabled:\n    counts: false", `"disabled" is not a failure kind`},
		{"kinds:\n  perform:\n    disableAfter: 0", "kinds.perform.disableAfter: 0 must be 1 to 10000"},
		{"kinds:\n  perform:\n    disableAfter: 3\n    counts: false", "kinds.perform.disableAfter: kind perform does not count (kinds.perform.counts: false), so its threshold can never fire"},
		{"disableAfter: 5\n---\nbogus: 1", "more than one YAML document"},
		{"destinations:\n  'Stripe ':\n    disableAfter: 3", `destinations: "Stripe " has spaces around it`},
		{"kinds:\n  perform:\n    disableAfter: 3\ndestinations:\n  Xero:\n    kinds:\n      perform:\n        counts: false", "kinds.perform.disableAfter: kind perform does not count (destinations.Xero.kinds.perform.counts: false)"},
		{"kinds:\n  perform:\n    retries: 3", `line 3: unknown key "retries": want one of disableAfter, counts`},
		{"destinations:\n  Stripe:\n    disableAfter: 0", "destinations.Stripe.disableAfter: 0 must be 1 to 10000"},
		{"destinations:\n  Stripe: {}\n  stripe: {}", `destinations: "Stripe" and "stripe" are the same destination`},
		{"destinations:\n  Stripe:\n    destinations: {}", `line 3: unknown key "destinations": want one of disableAfter, warnAt, minStreakAge, autoActionOnRecovery, kinds`},
		{"- 1\n- 2", "cannot unmarshal"},
	} {
		_, err := policy.Parse([]byte(tc.yaml))
		if err == nil || !errors.Is(err, policy.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one wrapping ErrInvalid with %q", tc.yaml, err, tc.want)
		}
	}
}

func TestParseAcceptsAnEmptyFile(t *testing.T) {
	for _, s := range []string{"", "# nothing set\n"} {
		p, err := policy.Parse([]byte(s))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if r := policy.MustResolve(p); r.Top().DisableAfter != policy.DefaultDisableAfter {
			t.Errorf("%q: %+v", s, r.Top())
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := policy.Load(dir + "/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestFailuresCountsTheStreakOrItsKind(t *testing.T) {
	c := subjects.FailureCounter{ConsecutiveFailures: 7, FailuresByKind: map[string]int{"integration.authentication.error": 2, "integration.perform.error": 5}}
	if n := (policy.Threshold{}).Failures(&c); n != 7 {
		t.Errorf("streak %d", n)
	}
	if n := (policy.Threshold{Kind: subjects.KindAuthentication}).Failures(&c); n != 2 {
		t.Errorf("authentication %d", n)
	}
	if n := (policy.Threshold{Kind: subjects.KindValidation}).Failures(&c); n != 0 {
		t.Errorf("validation %d", n)
	}
}
