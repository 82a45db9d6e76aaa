package subjects_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/integration-events/integration-events/subjects"
)

func TestValidateIntegrationID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want string // "" when valid, else a substring of the error
	}{
		{"simple", "salesforce-prod_1", ""},
		{"one char", "a", ""},
		{"all classes", "AZaz09_-", ""},
		{"uuid", "6f1c1d3e-9a49-4c7e-9d0b-6a0e2b8f4c11", ""},
		{"128 chars", strings.Repeat("x", 128), ""},
		{"empty", "", "integration id is empty"},
		{"129 chars", strings.Repeat("x", 129), "integration id is 129 characters, over 128"},
		{"dot", "a.b", `has '.' at position 1`},
		{"star", "*", `has '*' at position 0`},
		{"gt", "abc>", `has '>' at position 3`},
		{"space", "a b", `has ' ' at position 1`},
		{"tab", "a\tb", `has '\t' at position 1`},
		{"newline", "ab\n", `has '\n' at position 2`},
		{"slash", "a/b", `has '/' at position 1`},
		{"colon", "a:b", `has ':' at position 1`},
		{"dollar", "$sys", `has '$' at position 0`},
		{"unicode", "café", `"café" has 'é' at position 3`},
		{"unicode letter first", "Ωmega", `has 'Ω' at position 0`},
		{"the issue's subject token", "intégration-ä", `integration id "intégration-ä" has 'é' at position 3`},
		{"last character", "abc-ä", `has 'ä' at position 4`},
		{"emoji", "run-🚀", `has '🚀' at position 4`},
		{"not UTF-8", "ab\xffc", `has '\xff' at position 2`},
		{"nul", "a\x00", `has '\x00' at position 1`},
		{"zero-width space", "a\u200bb", `has '\u200b' at position 1`},
		{"128 characters of two bytes", strings.Repeat("é", 128), `has 'é' at position 0`},
		{"129 characters of two bytes", strings.Repeat("é", 129), "integration id is 129 characters, over 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := subjects.ValidateIntegrationID(tt.id)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateIntegrationID(%q): %v", tt.id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateIntegrationID(%q): no error", tt.id)
			}
			if !errors.Is(err, subjects.ErrBadIntegrationID) {
				t.Errorf("error %q does not wrap ErrBadIntegrationID", err)
			}
			if errors.Is(err, subjects.ErrBadSubject) || errors.Is(err, subjects.ErrBadInput) {
				t.Errorf("error %q wraps an unrelated sentinel", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error %q is not valid UTF-8", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateIntegrationIDEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		allowed := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-'
		err := subjects.ValidateIntegrationID("id" + string([]byte{b}))
		if allowed && err != nil {
			t.Errorf("byte %q rejected: %v", b, err)
		}
		if !allowed && err == nil {
			t.Errorf("byte %q accepted", b)
		}
	}
}

func TestIntegrationFrom(t *testing.T) {
	s := subjects.Default()
	tests := []struct {
		name    string
		subject string
		prefix  string
		want    string
		wantErr error
	}{
		{"run", "integrations.runs.sf-1", s.RunsPrefix(), "sf-1", nil},
		{"enable", "integrations.commands.enable.sf-1", s.EnablePrefix(), "sf-1", nil},
		{"built run", s.Run("abc_DEF-9"), s.RunsPrefix(), "abc_DEF-9", nil},
		{"wrong prefix", "integrations.events.perform.sf-1", s.RunsPrefix(), "", subjects.ErrBadSubject},
		{"other root", "other.runs.sf-1", s.RunsPrefix(), "", subjects.ErrBadSubject},
		{"prefix without dot", "integrations.runssf-1", s.RunsPrefix(), "", subjects.ErrBadSubject},
		{"nothing after prefix", "integrations.runs.", s.RunsPrefix(), "", subjects.ErrBadIntegrationID},
		{"two tokens", "integrations.runs.a.b", s.RunsPrefix(), "", subjects.ErrBadIntegrationID},
		{"wildcard", "integrations.runs.*", s.RunsPrefix(), "", subjects.ErrBadIntegrationID},
		{"too long", "integrations.runs." + strings.Repeat("a", 129), s.RunsPrefix(), "", subjects.ErrBadIntegrationID},
		{"longest", "integrations.runs." + strings.Repeat("a", 128), s.RunsPrefix(), strings.Repeat("a", 128), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := subjects.IntegrationFrom(tt.subject, tt.prefix)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("IntegrationFrom(%q, %q): %v", tt.subject, tt.prefix, err)
				}
				if got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("IntegrationFrom(%q, %q): error %v, want %v", tt.subject, tt.prefix, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("id %q returned with an error", got)
			}
			if tt.wantErr == subjects.ErrBadIntegrationID && !strings.Contains(err.Error(), tt.subject) {
				t.Errorf("error %q does not name the subject", err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	good := []string{"integrations", "acme.prod.integrations", "a", "a-b_c"}
	for _, root := range good {
		s, err := subjects.New(root)
		if err != nil {
			t.Errorf("New(%q): %v", root, err)
			continue
		}
		if s.Root != root {
			t.Errorf("New(%q).Root = %q", root, s.Root)
		}
	}
	bad := []string{"", ".", "a.", ".a", "a..b", "*", "a.*", "a.>", ">", "a b", "a\tb", "a\nb", "a\rb", "int*", "ab>", " "}
	for _, root := range bad {
		s, err := subjects.New(root)
		if !errors.Is(err, subjects.ErrBadSubject) {
			t.Errorf("New(%q): error %v, want ErrBadSubject", root, err)
		}
		if s != (subjects.Subjects{}) {
			t.Errorf("New(%q) returned %+v with an error", root, s)
		}
	}
}

func TestSubjectBuilders(t *testing.T) {
	s, err := subjects.New("acme.ie")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ got, want string }{
		{s.Run("sf"), "acme.ie.runs.sf"},
		{s.Runs(), "acme.ie.runs.>"},
		{s.RunsPrefix(), "acme.ie.runs."},
		{s.Event(subjects.KindPerform, "sf"), "acme.ie.events.perform.sf"},
		{s.Event(subjects.KindMissingAccountMapping, "sf"), "acme.ie.events.missingaccountmapping.sf"},
		{s.Events(), "acme.ie.events.>"},
		{s.EventFilter("", ""), "acme.ie.events.*.*"},
		{s.EventFilter(subjects.KindDisabled, ""), "acme.ie.events.disabled.*"},
		{s.EventFilter("", "sf"), "acme.ie.events.*.sf"},
		{s.EventFilter(subjects.KindValidation, "sf"), "acme.ie.events.validation.sf"},
		{s.Actioned("sf"), "acme.ie.actioned.sf"},
		{s.ActionedAll(), "acme.ie.actioned.>"},
		{s.Disable("sf"), "acme.ie.commands.disable.sf"},
		{s.Enable("sf"), "acme.ie.commands.enable.sf"},
		{s.Enables(), "acme.ie.commands.enable.>"},
		{s.EnablePrefix(), "acme.ie.commands.enable."},
		{s.Commands(), "acme.ie.commands.>"},
		{s.DeadLetter(), "acme.ie.deadletter"},
		{s.API(subjects.EndpointEventsList), "acme.ie.api.events.list"},
		{s.API(subjects.EndpointIntegrationEnable), "acme.ie.api.integrations.enable"},
		{s.APIGroup(), "acme.ie.api"},
		{subjects.Default().Run("x"), "integrations.runs.x"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if subjects.Default().Root != subjects.DefaultRoot {
		t.Errorf("Default root %q", subjects.Default().Root)
	}
	// The prefixes round-trip through IntegrationFrom.
	for _, p := range []struct{ subject, prefix string }{
		{s.Run("sf-1"), s.RunsPrefix()},
		{s.Enable("sf-1"), s.EnablePrefix()},
	} {
		if id, err := subjects.IntegrationFrom(p.subject, p.prefix); err != nil || id != "sf-1" {
			t.Errorf("IntegrationFrom(%q, %q) = %q, %v", p.subject, p.prefix, id, err)
		}
	}
	// Every built subject lies under its wildcard.
	under := func(subject, wildcard string) bool {
		return strings.HasPrefix(subject, strings.TrimSuffix(wildcard, ">"))
	}
	if !under(s.Run("x"), s.Runs()) || !under(s.Enable("x"), s.Enables()) || !under(s.Disable("x"), s.Commands()) ||
		!under(s.Enable("x"), s.Commands()) || !under(s.Event(subjects.KindAuthentication, "x"), s.Events()) ||
		!under(s.Actioned("x"), s.ActionedAll()) {
		t.Error("a built subject is outside its wildcard")
	}
}

func TestKindsAndEventNames(t *testing.T) {
	want := []string{
		"integration.validation.error",
		"integration.missingaccountmapping.error",
		"integration.authentication.error",
		"integration.perform.error",
		"integration.disabled.error",
		"integration.disable.warning",
		"integration.recovered",
	}
	names := subjects.EventNames()
	if len(names) != len(want) || len(subjects.Kinds) != len(want) {
		t.Fatalf("EventNames() = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("EventNames()[%d] = %q, want %q", i, names[i], want[i])
		}
		k := subjects.Kinds[i]
		if k.EventName() != want[i] {
			t.Errorf("%s.EventName() = %q", k, k.EventName())
		}
		got, err := subjects.KindOf(k.EventName())
		if err != nil || got != k {
			t.Errorf("KindOf(%q) = %q, %v; want %q", k.EventName(), got, err, k)
		}
	}
	for _, bad := range []string{"", "perform", "integration.perform", "integration.Perform.error", "integration.perform.error ", "integration.unknown.error", "integration.*.error", "integration.warning.error", "integration.recovered.error", strings.Repeat("x", 500)} {
		k, err := subjects.KindOf(bad)
		if err == nil || !errors.Is(err, subjects.ErrBadInput) {
			t.Errorf("KindOf(%q) = %q, %v; want ErrBadInput", bad, k, err)
			continue
		}
		if k != "" {
			t.Errorf("KindOf(%q) returned kind %q with an error", bad, k)
		}
		if !strings.Contains(err.Error(), "is unknown: want one of integration.validation.error, ") {
			t.Errorf("KindOf(%q) error %q does not list the names", bad, err)
		}
		if len(err.Error()) > 400 {
			t.Errorf("KindOf error is %d bytes: the name is not truncated", len(err.Error()))
		}
	}
}

func TestStreakRunIDsFitBoundsTheJSON(t *testing.T) {
	plain := strings.Repeat("r", 256)
	var ids []string
	for subjects.StreakRunIDsFit(ids, plain) {
		ids = append(ids, plain)
	}
	if len(ids) < subjects.MaxStreakRunIDs {
		t.Errorf("only %d plain 256-byte run ids fit, want at least %d", len(ids), subjects.MaxStreakRunIDs)
	}
	escaped := strings.Repeat("<", 256) // \u003c: 6 bytes each
	ids = nil
	for subjects.StreakRunIDsFit(ids, escaped) {
		ids = append(ids, escaped)
	}
	b, err := json.Marshal(ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > subjects.MaxStreakRunIDBytes || len(b)+1+len(`"`+strings.Repeat(`\u003c`, 256)+`"`) <= subjects.MaxStreakRunIDBytes {
		t.Errorf("%d escaped run ids are %d bytes as JSON, want the most that fit %d", len(ids), len(b), subjects.MaxStreakRunIDBytes)
	}
	if !subjects.StreakRunIDsFit(nil, "run-1") {
		t.Error("a first short run id does not fit")
	}
}
